from django.urls import path

from accounts import privacy_pages

urlpatterns = [
    path("me/privacy/", privacy_pages.privacy, name="me-privacy"),
]
