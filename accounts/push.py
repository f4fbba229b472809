"""Web Push (RFC 8030) with VAPID (RFC 8292): browser subscriptions and the push outbox.

- A browser subscribes through static/js/push.js, which POSTs its `PushSubscription` JSON;
  `push_subscription_clean` checks it (an https endpoint, a P-256 key and a 16-byte auth
  secret, all base64url) and `push_subscription_save` keeps it.
- `pushes_queue(notifications=[...])`, called by accounts.notifications.notify (and notify_many)
  inside the business transaction, writes one `OutboundPush` per subscription of the person; a task sends them once
  the transaction commits, and `accounts.push_send_due` (celery-beat, every minute) sweeps up
  retries and rows whose task was lost to a broker outage.
- Each send encrypts `{"title", "body", "url", "tag"}` for the browser (aes128gcm, RFC 8291)
  and signs a VAPID JWT (aud = the endpoint's origin) through pywebpush. 2xx is done; 404 and
  410 mean the subscription is gone, so it is deleted; 429, 5xx, timeouts and refused
  connections are retried with doubling waits until PUSH_MAX_ATTEMPTS; any other answer fails
  the row for good.
- Unless PUSH_ALLOW_PRIVATE_TARGETS is set, endpoints must be https and their host must resolve
  to public addresses only (checked at every send; redirects are never followed), so a forged
  subscription cannot make the server POST into its own network. DNS could still change between
  the check and the request's own lookup; the body is encrypted noise to anyone but the
  subscriber, which limits what such a request could do.

Delivery is at least once: a worker that dies after the push service answered but before the
row is updated leaves the row to be sent again when its lease runs out. The `tag` lets the
browser replace a duplicate rather than show it twice.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import json
import logging
import os
import re
import socket
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, OutboundPush, PushSubscription, User
from accounts.outbox import LeasedOutbox, retry_delay

if TYPE_CHECKING:
    from py_vapid import Vapid02

logger = logging.getLogger(__name__)

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
P256DH_BYTES = 65  # an uncompressed P-256 point: 0x04, x, y
AUTH_BYTES = 16
MAX_SUBSCRIPTIONS_PER_USER = 20
GONE = frozenset({404, 410})


# --- VAPID keys -------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _dev_private_key() -> str:
    """The development key pair's private half, made once and kept in VAPID_DEV_KEY_FILE."""
    path = Path(settings.VAPID_DEV_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        raw = _b64url(key.private_numbers().private_value.to_bytes(32, "big"))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(raw + "\n")
            logger.warning("web push: made a development VAPID key in %s", path)
    return path.read_text().strip()


@functools.lru_cache(maxsize=4)
def _vapid(private_key: str, public_key: str) -> Vapid02:
    # py_vapid and pywebpush (and what they bring) load when push is first used, not in every
    # web process: see benchmarks/memory.py.
    from py_vapid import Vapid02

    try:
        vapid = Vapid02.from_string(private_key=private_key)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ImproperlyConfigured(
            "VAPID_PRIVATE_KEY is not a P-256 private key (base64url of 32 raw bytes or DER)"
        ) from exc
    derived = _b64url(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    if public_key and public_key.rstrip("=") != derived:
        raise ImproperlyConfigured("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY")
    return vapid


def push_vapid() -> Vapid02 | None:
    """The server's VAPID key, or None when web push is off (no key, and not DEBUG)."""
    private_key = settings.VAPID_PRIVATE_KEY or (_dev_private_key() if settings.DEBUG else "")
    if not private_key:
        return None
    return _vapid(private_key, settings.VAPID_PUBLIC_KEY)


def push_enabled() -> bool:
    return push_vapid() is not None


def push_public_key() -> str:
    """The applicationServerKey browsers subscribe with (base64url), or "" when push is off."""
    vapid = push_vapid()
    if vapid is None:
        return ""
    return _b64url(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def push_subject() -> str:
    return settings.VAPID_SUBJECT or "mailto:" + parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


# --- Subscriptions ----------------------------------------------------------------------------


def _endpoint_clean(endpoint: Any) -> str:
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationError({"endpoint": "The subscription has no endpoint."})
    if len(endpoint) > 2000:
        raise ValidationError({"endpoint": "The endpoint is longer than 2000 characters."})
    parts = urlsplit(endpoint)
    local_http = (
        parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
        and settings.PUSH_ALLOW_PRIVATE_TARGETS
    )
    try:
        URLValidator(schemes=["https", "http"] if local_http else ["https"])(endpoint)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except (ValidationError, ValueError) as exc:
        raise ValidationError({"endpoint": "The endpoint must be an https URL."}) from exc
    if parts.username or parts.password:
        raise ValidationError({"endpoint": "The endpoint must not hold credentials."})
    if not settings.PUSH_ALLOW_PRIVATE_TARGETS:
        try:
            address = ipaddress.ip_address(parts.hostname or "")
        except ValueError:
            pass  # a host name: checked by DNS at every send
        else:
            if not _address_public(str(address)):
                raise ValidationError({"endpoint": "The endpoint must be a public address."})
    return endpoint


def _key_clean(value: Any, *, field: str, size: int) -> bytes:
    if not isinstance(value, str) or not _BASE64URL.match(value):
        raise ValidationError({field: f"The {field} key must be base64url text."})
    try:
        raw = _b64url_decode(value.rstrip("="))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({field: f"The {field} key must be base64url text."}) from exc
    if len(raw) != size:
        raise ValidationError({field: f"The {field} key must be {size} bytes, not {len(raw)}."})
    return raw


def push_subscription_clean(data: Any) -> dict[str, str]:
    """The endpoint and keys of a browser's `PushSubscription.toJSON()`, checked; or
    ValidationError saying what is wrong."""
    if not isinstance(data, dict):
        raise ValidationError("Send the subscription as a JSON object.")
    endpoint = _endpoint_clean(data.get("endpoint"))
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise ValidationError({"keys": "The subscription has no keys (p256dh and auth)."})
    p256dh = _key_clean(keys.get("p256dh"), field="p256dh", size=P256DH_BYTES)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError as exc:
        raise ValidationError({"p256dh": "The p256dh key is not a point on P-256."}) from exc
    auth = _key_clean(keys.get("auth"), field="auth", size=AUTH_BYTES)
    return {"endpoint": endpoint, "p256dh": _b64url(p256dh), "auth": _b64url(auth)}


@transaction.atomic
def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Keep a browser's subscription for `user` (checked by `push_subscription_clean`).

    An endpoint belongs to one browser: subscribing it again updates its keys, and a browser
    whose subscription another person made (a shared computer) now notifies the new one.
    """
    values = {"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]}
    subscription = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if subscription is None:
        if user.push_subscriptions.count() >= MAX_SUBSCRIPTIONS_PER_USER:
            raise ValidationError(
                f"You have {MAX_SUBSCRIPTIONS_PER_USER} browsers subscribed already: "
                "remove one in your notification settings first."
            )
        subscription = PushSubscription(endpoint=endpoint)
    for name, value in values.items():
        setattr(subscription, name, value)
    subscription.full_clean(exclude=["user"], validate_unique=False)
    try:
        with transaction.atomic():
            subscription.save()
    except IntegrityError:
        # The same browser subscribed twice at once and the other request won: update its row.
        PushSubscription.objects.filter(endpoint=endpoint).update(**values)
        subscription = PushSubscription.objects.get(endpoint=endpoint)
    return subscription


def push_subscription_delete(*, subscription: PushSubscription) -> None:
    subscription.delete()


def push_subscription_list(*, user: User) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user=user).order_by("-created_at", "-pk")


# --- Queueing ---------------------------------------------------------------------------------


def pushes_queue(*, notifications: list[Notification]) -> list[OutboundPush]:
    """Write a push of each notification for each browser its person subscribed, to be sent
    once the transaction commits (two queries, whatever the count). Call it in the transaction
    that made the notifications."""
    if not notifications:
        return []
    subscriptions: dict[int, list[int]] = {}
    for user_id, subscription_id in PushSubscription.objects.filter(
        user_id__in={notification.user_id for notification in notifications}
    ).values_list("user_id", "pk"):
        subscriptions.setdefault(user_id, []).append(subscription_id)
    now = timezone.now()
    pushes = [
        OutboundPush(
            notification=notification,
            subscription_id=subscription_id,
            dedupe_key=f"push:{notification.pk}:{subscription_id}",
            created_at=now,
            next_attempt_at=now,
        )
        for notification in notifications
        for subscription_id in subscriptions.get(notification.user_id, [])
    ]
    if not pushes:
        return []
    OutboundPush.objects.bulk_create(pushes)
    _send_on_commit(pushes)
    return pushes


def _send_on_commit(pushes: list[OutboundPush]) -> None:
    from accounts.tasks import push_send

    ids = [push.pk for push in pushes]
    # Robust: with the broker away the write still stands; the sweeper sends later.
    push_send.delay_on_commit(ids)


# --- Sending ----------------------------------------------------------------------------------


class UnsafeTarget(Exception):
    """The endpoint's host does not resolve, or resolves to an address we must not call."""


def _address_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _target_check(endpoint: str) -> None:
    if settings.PUSH_ALLOW_PRIVATE_TARGETS:
        return
    parts = urlsplit(endpoint)
    if parts.scheme != "https":
        raise UnsafeTarget("The endpoint is not https.")
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"The host {host} does not resolve.") from exc
    refused = [info[4][0] for info in infos if not _address_public(info[4][0])]
    if refused or not infos:
        raise UnsafeTarget(f"The host {host} resolves to a non-public address.")


def push_retry_delay(*, attempts: int, retry_after: str | None = None) -> timedelta:
    """The wait after failed attempt number `attempts` (1, 2, ...): doubling from
    PUSH_RETRY_SECONDS with up to 10 % jitter, at least the service's Retry-After (seconds),
    capped at PUSH_RETRY_MAX_SECONDS."""
    return retry_delay(
        attempts=attempts,
        base_seconds=settings.PUSH_RETRY_SECONDS,
        max_seconds=settings.PUSH_RETRY_MAX_SECONDS,
        retry_after=retry_after,
    )


def push_payload(notification: Notification) -> dict[str, str]:
    return {
        "title": notification.title,
        "body": notification.body,
        # Opening it marks it read, then goes on to the notification's own page.
        "url": reverse("me-notification-open", args=[notification.pk]),
        "tag": f"notification-{notification.pk}",
    }


def _lease() -> timedelta:
    # One send is one request with a timeout; past the lease the worker counts as lost.
    return timedelta(seconds=3 * settings.PUSH_TIMEOUT + 60)


_OUTBOX = LeasedOutbox(
    model=OutboundPush, max_attempts_setting="PUSH_MAX_ATTEMPTS", lease=_lease, noun="push"
)


def push_claim(*, push_id: int, now: datetime | None = None) -> OutboundPush | None:
    """Take a due push for sending, or None when it isn't due or another worker has it
    (accounts.outbox: the claim counts the attempt and leases the row)."""
    if not _OUTBOX.claim(push_id, now or timezone.now()):
        return None
    return OutboundPush.objects.select_related("notification", "subscription").get(pk=push_id)


def push_send(*, push: OutboundPush, now: datetime | None = None) -> str:
    """Make one attempt at a claimed push; record and return the outcome: "sent", "retried",
    "gone" (the subscription was deleted) or "failed"."""
    now = now or timezone.now()
    subscription = push.subscription
    if subscription is None:
        _OUTBOX.finish(push, status=OutboundPush.Status.FAILED, last_error="subscription removed")
        return "failed"
    vapid = push_vapid()
    if vapid is None:
        _OUTBOX.finish(
            push, status=OutboundPush.Status.FAILED, last_error="web push is not configured"
        )
        return "failed"
    from pywebpush import WebPushException, webpush

    status_code: int | None = None
    retry_after: str | None = None
    transient = False
    session = requests.Session()
    session.max_redirects = 0  # a redirect raises TooManyRedirects: never followed
    try:
        _target_check(subscription.endpoint)
        response = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(push_payload(push.notification), separators=(",", ":")),
            vapid_private_key=vapid,
            vapid_claims={"sub": push_subject()},
            timeout=settings.PUSH_TIMEOUT,
            ttl=settings.PUSH_TTL,
            headers={"Urgency": "normal"},
            requests_session=session,
        )
        status_code = response.status_code
        error = ""
    except WebPushException as exc:
        status_code, retry_after = exc.status_code, exc.retry_after
        error = f"HTTP {status_code}" if status_code else exc.message
        transient = status_code is None or status_code == 429 or status_code >= 500
    except UnsafeTarget as exc:
        error = str(exc)
    except requests.TooManyRedirects:
        error = "the push service redirected; redirects are not followed"
    except (requests.RequestException, OSError) as exc:
        # Timeouts, refused connections, TLS errors.
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        transient = True
    finally:
        session.close()
    logger.info(
        "push attempt",
        extra={
            "push": push.pk,
            "subscription": subscription.pk,
            "attempt": push.attempts,
            "status_code": status_code,
            "error": error,
        },
    )
    result = {"last_status_code": status_code, "last_error": error[:255]}
    if not error:
        if _OUTBOX.finish(push, status=OutboundPush.Status.SENT, sent_at=now, **result):
            PushSubscription.objects.filter(pk=subscription.pk).update(last_used_at=now)
        return "sent"
    if status_code in GONE:
        with transaction.atomic():
            _OUTBOX.finish(push, status=OutboundPush.Status.FAILED, **result)
            # The browser unsubscribed or the subscription expired: never push to it again.
            PushSubscription.objects.filter(pk=subscription.pk).delete()
        return "gone"
    if not transient or push.attempts >= settings.PUSH_MAX_ATTEMPTS:
        _OUTBOX.finish(push, status=OutboundPush.Status.FAILED, **result)
        return "failed"
    delay = push_retry_delay(attempts=push.attempts, retry_after=retry_after)
    _OUTBOX.finish(push, next_attempt_at=now + delay, **result)
    return "retried"


OUTCOMES = ("sent", "retried", "gone", "failed", "taken")


def _send_each(ids: list[int], clock: Callable[[], datetime]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for push_id in ids:
        push = push_claim(push_id=push_id, now=clock())
        counts["taken" if push is None else push_send(push=push, now=clock())] += 1
    return counts


def pushes_send(*, push_ids: list[int]) -> dict:
    """Send those of `push_ids` that are due now (the task queued on commit)."""
    counts = _send_each(list(push_ids), timezone.now)
    return {key: counts[key] for key in OUTCOMES}


def pushes_send_due(*, limit: int | None = None, now: datetime | None = None) -> dict:
    """Send up to `limit` due pushes, oldest due first (the sweeper); return counts. `now` pins
    the clock (tests)."""
    return _OUTBOX.send_due(
        limit=limit if limit is not None else settings.PUSH_BATCH_SIZE,
        now=now,
        send_each=_send_each,
        outcomes=OUTCOMES,
    )
