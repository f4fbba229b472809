import logging
from functools import wraps

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError
from django.http import HttpResponseNotFound
from django.urls import URLPattern, include, path

from accounts import apis, views

logger = logging.getLogger(__name__)

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


def _configured_only(view):
    """anymail builds a provider's webhook view on each request and raises a configuration
    error there when the provider's settings are missing: a 500 for anyone who calls the
    webhook of a provider we don't use. Answer those with 404 instead."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except AnymailConfigurationError:
            logger.info("anymail webhook of a provider that is not configured: %s", request.path)
            return HttpResponseNotFound("No such webhook here.", content_type="text/plain")

    return wrapper


def _configured_only_patterns() -> list[URLPattern]:
    return [
        URLPattern(
            pattern.pattern, _configured_only(pattern.callback), pattern.default_args, pattern.name
        )  # fmt: skip
        for pattern in anymail_urls.urlpatterns
    ]


# Pages and provider webhooks, mounted at the site root (not under the API prefix).
email_urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.email_unsubscribe, name="email-unsubscribe"),
    # Tracking webhooks of every anymail ESP, e.g. anymail/postmark/tracking/ (basic auth:
    # ANYMAIL_WEBHOOK_SECRET); those of a provider this site is not set up for answer 404.
    path("anymail/", include((_configured_only_patterns(), "anymail"))),
]
