"""In-app notifications and the one entry point that makes them: `notify`.

`notify` writes the notification (once per `dedupe_key`) and, when the person wants that kind
by web push and web push is set up, a push per subscribed browser through the push outbox
(accounts.push). Email stays with the callers, which queue it in the same transaction through
accounts.mail per the email half of the preferences.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    User,
)
from accounts.push import push_enabled, pushes_queue
from accounts.services import notification_preference_update

# The preference that switches web push of each kind on or off.
PUSH_PREFERENCE = {
    NotificationKind.APPLICATION_UPDATE: "application_updates_push",
    NotificationKind.INTERVIEW_UPDATE: "interview_updates_push",
    NotificationKind.MATCH_DIGEST: "match_digest_push",
}
# What the notification settings page changes.
SETTINGS_FIELDS = frozenset(
    {
        "application_updates",
        "application_updates_push",
        "interview_updates",
        "interview_updates_push",
        "match_digest",
        "match_digest_push",
    }
)


def notification_preference_get(*, user: User) -> NotificationPreference:
    """The person's preferences; the defaults (unsaved) when they never changed any."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


def _wanting_push(notifications: list[Notification]) -> list[Notification]:
    """Those of `notifications` whose person wants their kind by web push (one query)."""
    fields = list(PUSH_PREFERENCE.values())
    saved = {
        row[0]: dict(zip(fields, row[1:], strict=True))
        for row in NotificationPreference.objects.filter(
            user_id__in={notification.user_id for notification in notifications}
        ).values_list("user_id", *fields)
    }
    defaults = {field: NotificationPreference._meta.get_field(field).default for field in fields}
    return [
        notification
        for notification in notifications
        if saved.get(notification.user_id, defaults)[PUSH_PREFERENCE[notification.kind]]
    ]


def _cleaned(notification: Notification) -> Notification:
    notification.title = " ".join(notification.title.split())[:200]
    notification.body = notification.body.strip()[:1000]
    notification.full_clean(exclude=["user"], validate_unique=False)
    return notification


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
) -> Notification:
    """Add a notification to `user`'s list unless one with `dedupe_key` is there already, and
    queue its web push per their preferences. Call it inside the transaction of the change it
    reports: both are written with it (or not at all), and the push leaves after the commit.

    `url` is a path on this site (what opening the notification shows).
    """
    existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    notification = _cleaned(
        Notification(user=user, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key)
    )
    try:
        # A concurrent writer of the same key waits for ours to commit, fails here, takes ours.
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is None:
            raise
        return existing
    if push_enabled():
        pushes_queue(notifications=_wanting_push([notification]))
    return notification


def notify_many(*, notifications: list[Notification]) -> list[Notification]:
    """Add unsaved notifications (user, kind, title, body, url, dedupe_key set) in one INSERT,
    leaving out those whose `dedupe_key` is there already (or earlier in the list), and queue
    their web pushes per preferences; return the new ones. A handful of queries, whatever the
    count: for batches such as the nightly match digests.

    Like accounts.mail.emails_queue, this doesn't wait out a concurrent writer of the same key
    (the INSERT would fail and write nothing): callers serialise the writers of their keys, as
    the digests do with a lock per user, and call it in the transaction that makes them due.
    """
    keys = {notification.dedupe_key for notification in notifications}
    known = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    new: list[Notification] = []
    for notification in notifications:
        if notification.dedupe_key in known:
            continue
        known.add(notification.dedupe_key)
        new.append(_cleaned(notification))
    if not new:
        return []
    Notification.objects.bulk_create(new)
    if push_enabled():
        pushes_queue(notifications=_wanting_push(new))
    return new


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_settings_update(*, user: User, values: dict[str, Any]) -> NotificationPreference:
    """Change which notifications the person gets, by email and by web push."""
    return notification_preference_update(user=user, values=values, allowed=SETTINGS_FIELDS)


# --- Reads ------------------------------------------------------------------------------------


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The person's notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
