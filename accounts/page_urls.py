from django.urls import path

from accounts import security
from accounts.notification_urls import urlpatterns as notification_urlpatterns
from accounts.privacy_urls import urlpatterns as privacy_urlpatterns

# Candidate pages about the person: notifications (and web push), and their data.
urlpatterns = [
    *notification_urlpatterns,
    *privacy_urlpatterns,
    path("me/sessions/end/", security.sessions_end_page, name="me-sessions-end"),
]
