from django.urls import include, path

from accounts import apis, views

urlpatterns = [
    path("users/me", apis.MeApi.as_view(), name="users-me"),
]

# Pages and provider webhooks, mounted at the site root (not under the API prefix).
email_urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.email_unsubscribe, name="email-unsubscribe"),
    # Tracking webhooks of every anymail ESP, e.g. anymail/postmark/tracking/ (basic auth:
    # ANYMAIL_WEBHOOK_SECRET).
    path("anymail/", include("anymail.urls")),
]
