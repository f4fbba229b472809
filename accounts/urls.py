from django.urls import path

from accounts import apis

urlpatterns = [
    path("users/me", apis.MeApi.as_view(), name="users-me"),
]
