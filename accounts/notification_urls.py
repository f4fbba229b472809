from django.urls import path

from accounts import pages

urlpatterns = [
    path("me/notifications/", pages.notifications, name="me-notifications"),
    path("me/notifications/<int:pk>/", pages.notification_open, name="me-notification-open"),
    path(
        "me/notifications/read-all/", pages.notifications_read_all, name="me-notifications-read-all"
    ),
    path(
        "me/notifications/settings/", pages.notification_settings, name="me-notification-settings"
    ),
    path("me/notifications/push/subscribe/", pages.push_subscribe, name="me-push-subscribe"),
    path("me/notifications/push/unsubscribe/", pages.push_unsubscribe, name="me-push-unsubscribe"),
    path(
        "me/notifications/push/<int:pk>/remove/",
        pages.push_subscription_remove,
        name="me-push-remove",
    ),
    # At the root, so the service worker's scope is the whole site.
    path("sw.js", pages.service_worker, name="service-worker"),
]
