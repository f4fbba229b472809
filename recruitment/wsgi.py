import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")
application = get_wsgi_application()

# Import every view now, not during the first request, then move what start-up made (the
# settings, apps, models, views and their libraries) out of the garbage collector's sight: its
# full collections then scan only what requests create, which keeps their pauses short.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
