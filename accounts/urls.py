from django.urls import include, path

from accounts import apis, views

urlpatterns = [
    path("users/me", apis.MeApi.as_view(), name="users-me"),
    path("webhooks", apis.WebhookListApi.as_view(), name="webhooks-list"),
    path("webhooks/events", apis.WebhookEventListApi.as_view(), name="webhooks-events"),
    path("webhooks/<int:pk>", apis.WebhookDetailApi.as_view(), name="webhooks-detail"),
    path(
        "webhooks/<int:pk>/rotate-secret",
        apis.WebhookRotateSecretApi.as_view(),
        name="webhooks-rotate-secret",
    ),
    path("webhooks/<int:pk>/ping", apis.WebhookPingApi.as_view(), name="webhooks-ping"),
    path(
        "webhooks/<int:pk>/deliveries",
        apis.WebhookDeliveryListApi.as_view(),
        name="webhooks-deliveries",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>",
        apis.WebhookDeliveryDetailApi.as_view(),
        name="webhooks-delivery",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver",
        apis.WebhookRedeliverApi.as_view(),
        name="webhooks-redeliver",
    ),
]

# Pages and provider webhooks, mounted at the site root (not under the API prefix).
email_urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.email_unsubscribe, name="email-unsubscribe"),
    # Tracking webhooks of every anymail ESP, e.g. anymail/postmark/tracking/ (basic auth:
    # ANYMAIL_WEBHOOK_SECRET).
    path("anymail/", include("anymail.urls")),
]
