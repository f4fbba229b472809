"""The project's settings with the API benchmark's URLconf: the project's URLs plus the naive
baseline views (`benchmarks/_api_urls.py`). Only `benchmarks/api.py`'s server uses it."""

import warnings

from recruitment.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks._api_urls"
# One line per 404 of an endpoint not written yet is noise here; errors still show.
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405
# The benchmark serves no static files (collectstatic has not run).
warnings.filterwarnings("ignore", message="No directory at")
