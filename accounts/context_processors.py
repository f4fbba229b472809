"""Template context for every page: the unread count of the navigation's notification badge."""

from django.utils.functional import SimpleLazyObject

from accounts.notifications import notification_unread_count


def unread_notifications(request) -> dict:
    """`unread_notifications` for signed-in people: one indexed COUNT, run only when a
    template shows it (JSON answers and pages without the navigation pay nothing)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: notification_unread_count(user=user))}
