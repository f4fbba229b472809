from django.urls import path

from accounts import pages

urlpatterns = [
    path("me/notifications/", pages.notifications, name="me-notifications"),
]
