"""Outbound webhooks: endpoints, the event outbox, signing and delivery.

- A company subscribes endpoints (`webhook_endpoint_create`, ...) to event types (`WEBHOOK_EVENTS`).
- `webhook_event_emit(company_id=, event=, data=)`, called inside the business transaction,
  writes one `WebhookDelivery` per subscribed active endpoint; a task sends them once the
  transaction commits, and `accounts.webhooks_send_due` (celery-beat, every minute) sweeps up
  retries and rows whose task was lost. Nothing is sent for a write that rolls back.
- Each attempt POSTs `{"type", "timestamp", "data"}` signed the Standard Webhooks (svix) way:
  `webhook-id` (the delivery's `msg_…` id, the same on every attempt so receivers can dedupe),
  `webhook-timestamp` (unix seconds of the attempt) and `webhook-signature`
  (`v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the endpoint's `whsec_` secret).
  A 2xx answer is success; anything else, a timeout or a refused target is retried with
  doubling waits (plus jitter) until WEBHOOK_MAX_ATTEMPTS, then the delivery fails.
- Redirects are never followed, and unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set, a URL whose
  host resolves to a non-public address is refused when saved and again at every send; the
  connection goes to the address that was checked, so DNS cannot change between check and use.
- `webhook_redeliver` starts a new cycle on the same row: pending again, attempts from 0, due
  now, the same `webhook-id` (the receiver sees a redelivery of the same message).

Delivery is at least once: a worker that dies after the receiver answered but before the row
is updated leaves the row to be sent again when its lease (WEBHOOK_TIMEOUT-based) runs out.
Deliveries of one endpoint are not ordered; receivers order by the body's `timestamp`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Company, WebhookDelivery, WebhookEndpoint
from accounts.outbox import LeasedOutbox, retry_delay
from accounts.permissions import company_ids_with, person_of, require_perm, scope_queryset
from accounts.services import audit_record
from recruitment.api import ApplicationError

logger = logging.getLogger(__name__)

PERM = "webhooks.manage"
ALL_EVENTS = "*"
PING = "ping"
MAX_ENDPOINTS_PER_COMPANY = 20
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
EXCERPT_CHARS = 500
USER_AGENT = "RecruitmentWebhooks/1.0"

_APPLICATION = {
    "id": 5012,
    "job_id": 310,
    "candidate_id": 4021,
    "stage": {"id": 12, "name": "Interview", "kind": "interview"},
    "status": "active",
    "created_at": "2026-03-02T09:14:03Z",
    "updated_at": "2026-03-04T16:02:11Z",
}
_JOB = {
    "id": 310,
    "title": "Backend Engineer",
    "status": "open",
    "published_at": "2026-02-27T09:00:00Z",
    "closes_at": None,
}
_INTERVIEW = {
    "id": 77,
    "application_id": 5012,
    "title": "Technical interview",
    "starts_at": "2026-03-10T13:00:00Z",
    "ends_at": "2026-03-10T14:00:00Z",
    "timezone": "Europe/Berlin",
    "status": "scheduled",
}
_OFFER = {
    "id": 31,
    "application_id": 5012,
    "status": "sent",
    "sent_at": "2026-03-20T10:00:00Z",
    "responded_at": None,
}

# The catalogue: event type → (what happened, an example of its `data`). The services that
# emit an event build exactly this shape; ids are the API's ids, so a receiver can fetch more.
WEBHOOK_EVENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "application.created": (
        "A candidate applied, or an application was added.",
        {"application": _APPLICATION},
    ),
    "application.stage_changed": (
        "An application moved to another stage.",
        {
            "application": _APPLICATION,
            "from_stage": {"id": 11, "name": "Screening", "kind": "screen"},
            "to_stage": {"id": 12, "name": "Interview", "kind": "interview"},
        },
    ),
    "application.rejected": (
        "An application was rejected.",
        {"application": {**_APPLICATION, "status": "rejected"}, "reason": "Not enough experience"},
    ),
    "application.hired": (
        "The candidate was hired.",
        {"application": {**_APPLICATION, "status": "hired"}},
    ),
    "application.withdrawn": (
        "The candidate withdrew the application.",
        {"application": {**_APPLICATION, "status": "withdrawn"}},
    ),
    "job.published": ("A job was published (opened).", {"job": _JOB}),
    "job.closed": (
        "A job was closed.",
        {"job": {**_JOB, "status": "closed"}},
    ),
    "interview.scheduled": ("An interview was scheduled.", {"interview": _INTERVIEW}),
    "interview.cancelled": (
        "An interview was cancelled.",
        {"interview": {**_INTERVIEW, "status": "cancelled"}},
    ),
    "offer.sent": ("An offer was sent to the candidate.", {"offer": _OFFER}),
    "offer.accepted": (
        "The candidate accepted an offer.",
        {"offer": {**_OFFER, "status": "accepted", "responded_at": "2026-03-22T08:30:00Z"}},
    ),
    "offer.declined": (
        "The candidate declined an offer.",
        {"offer": {**_OFFER, "status": "declined", "responded_at": "2026-03-22T08:30:00Z"}},
    ),
    PING: (
        "A test event: sent when an endpoint is created and on request. Every endpoint gets it, "
        "whatever it subscribed to.",
        {"endpoint_id": 9, "message": "Webhook endpoint set up."},
    ),
}
SUBSCRIBABLE_EVENTS: tuple[str, ...] = tuple(name for name in WEBHOOK_EVENTS if name != PING)


# --- Signing ----------------------------------------------------------------------------------


def webhook_secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_secret_mask(secret: str) -> str:
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def webhook_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` over `msg_id.timestamp.body`, as Standard Webhooks (svix)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": f"{USER_AGENT} (+{settings.SITE_URL})",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(
            secret=secret, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }


def webhook_body(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


# --- Targets (SSRF) ---------------------------------------------------------------------------


class UnsafeTarget(Exception):
    """The URL's host does not resolve, or resolves to an address we must not call."""


def _address_allowed(address: str) -> bool:
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global leaves out loopback, private, link-local (cloud metadata), shared and reserved.
    return ip.is_global and not ip.is_multicast


def webhook_target_resolve(*, host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"The host {host} does not resolve.") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeTarget(f"The host {host} does not resolve.")
    refused = [address for address in addresses if not _address_allowed(address)]
    if refused:
        raise UnsafeTarget(f"The host {host} resolves to a non-public address ({refused[0]}).")
    return addresses[0]


def webhook_url_check(url: str) -> None:
    """Refuse a URL we would not send to: not http(s), with credentials, or (unless private
    targets are allowed) a host that resolves to a non-public address."""
    URLValidator(schemes=["http", "https"])(url)
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError("Put no credentials in the URL: check the signature instead.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        try:
            webhook_target_resolve(host=parts.hostname or "", port=_port(parts))
        except UnsafeTarget as exc:
            raise ValidationError(str(exc)) from exc


def _port(parts) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationError("The URL's port is not valid.") from exc
    return port or (443 if parts.scheme == "https" else 80)


class _Pinned:
    """Connects to the address that was checked, whatever DNS answers by now; the Host header
    and the TLS server name stay the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs):
        super().__init__(host, port, **kwargs)
        self._create_connection = lambda target, *args: socket.create_connection(
            (address, target[1]), *args
        )


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    pass


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, str | None]:
    """POST once; (status, start of the answer, Retry-After). Raises on no answer."""
    parts = urlsplit(url)
    port = _port(parts)
    host = (parts.hostname or "").encode("idna").decode("ascii")
    address = webhook_target_resolve(host=host, port=port)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=settings.WEBHOOK_TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_CHARS).decode("utf-8", errors="replace")
        return response.status, excerpt, response.getheader("Retry-After")
    finally:
        connection.close()


# --- Endpoints --------------------------------------------------------------------------------


def _events_clean(events: list[str]) -> list[str]:
    names = list(dict.fromkeys(events))
    if not names:
        raise ValidationError({"events": "Subscribe to at least one event type, or to *."})
    unknown = [name for name in names if name != ALL_EVENTS and name not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise ValidationError({"events": f"Unknown event types: {', '.join(unknown)}."})
    return [ALL_EVENTS] if ALL_EVENTS in names else sorted(names)


def _url_clean(url: str) -> str:
    try:
        webhook_url_check(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from exc
    return url


@transaction.atomic
def webhook_endpoint_create(
    *, company: Company, url: str, events: list[str], description: str = "", actor
) -> WebhookEndpoint:
    """Subscribe `url` to `events` and queue a ping to it. The secret is on the returned row."""
    if actor is not None:
        require_perm(actor, PERM, company)
    endpoint = WebhookEndpoint(
        company=company,
        url=_url_clean(url),
        description=description,
        events=_events_clean(events),
        secret=webhook_secret_new(),
        created_by=person_of(actor),
    )
    endpoint.full_clean(exclude=["company", "created_by"])
    # Serialise creations per company, so the cap holds under concurrent requests.
    Company.objects.select_for_update().only("pk").get(pk=company.pk)
    if WebhookEndpoint.objects.filter(company=company).count() >= MAX_ENDPOINTS_PER_COMPANY:
        raise ApplicationError(
            f"A company may have at most {MAX_ENDPOINTS_PER_COMPANY} webhook endpoints.",
            code="webhook_endpoint_limit",
        )
    endpoint.save()
    audit_record(
        action="webhook.created",
        actor=actor,
        target=endpoint,
        company=company,
        changes={"url": url, "events": endpoint.events},
    )
    webhook_ping(endpoint=endpoint, actor=None)
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; None leaves a field alone."""
    if actor is not None:
        require_perm(actor, PERM, endpoint)
    values = {
        "url": _url_clean(url) if url is not None else None,
        "events": _events_clean(events) if events is not None else None,
        "description": description,
        "is_active": is_active,
    }
    changes = {
        name: [getattr(endpoint, name), value]
        for name, value in values.items()
        if value is not None and getattr(endpoint, name) != value
    }
    if not changes:
        return endpoint
    for name, (_, value) in changes.items():
        setattr(endpoint, name, value)
    endpoint.full_clean(exclude=["company", "created_by"])
    endpoint.save(update_fields=[*changes, "updated_at"])
    audit_record(action="webhook.updated", actor=actor, target=endpoint, changes=changes)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Delete the endpoint with its delivery log; pending deliveries are dropped."""
    if actor is not None:
        require_perm(actor, PERM, endpoint)
    audit_record(
        action="webhook.deleted",
        actor=actor,
        target=endpoint,
        changes={"url": endpoint.url, "events": endpoint.events},
    )
    endpoint.delete()


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """Give the endpoint a new secret. The old one stops signing at once (no overlap)."""
    if actor is not None:
        require_perm(actor, PERM, endpoint)
    endpoint.secret = webhook_secret_new()
    endpoint.full_clean(exclude=["company", "created_by"])
    endpoint.save(update_fields=["secret", "updated_at"])
    audit_record(action="webhook.secret_rotated", actor=actor, target=endpoint)
    return endpoint


# --- Emitting (the outbox) --------------------------------------------------------------------


def _event_id() -> str:
    return "msg_" + secrets.token_hex(16)


def _payload(event: str, data: dict, now: datetime) -> dict:
    # Through JSON once, so dates, decimals and UUIDs are stored as they will be sent.
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return {"type": event, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}


def _queue_on_commit(deliveries: list[WebhookDelivery]) -> None:
    from accounts.tasks import webhooks_send

    ids = [delivery.pk for delivery in deliveries]
    # Robust: with the broker away the write still stands (and answers); the sweeper sends.
    webhooks_send.delay_on_commit(ids)


def webhook_event_emit(*, company_id: int, event: str, data: dict) -> int:
    """Queue `event` with `data` for every active endpoint of the company subscribed to it;
    return how many. Call it inside the transaction of the change it reports: the rows are
    written with it (or not at all), and sent only after it commits.

    Costs one indexed query when the company has no endpoint.
    """
    if event not in WEBHOOK_EVENTS or event == PING:
        raise ValueError(f"not an event type one can emit: {event!r}")
    if not isinstance(data, dict):
        raise TypeError("an event's data is a dict")
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(company_id=company_id, is_active=True)
        .filter(Q(events__contains=[event]) | Q(events__contains=[ALL_EVENTS]))
        .values_list("pk", flat=True)
    )
    if not endpoint_ids:
        return 0
    now = timezone.now()
    payload = _payload(event, data, now)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_id=_event_id(),
                event_type=event,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for endpoint_id in endpoint_ids
        ]
    )
    _queue_on_commit(deliveries)
    return len(deliveries)


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """Queue a `ping` event to this endpoint alone (whatever it subscribed to)."""
    if actor is not None:
        require_perm(actor, PERM, endpoint)
    now = timezone.now()
    delivery = WebhookDelivery(
        endpoint=endpoint,
        event_id=_event_id(),
        event_type=PING,
        payload=_payload(
            PING,
            {"endpoint_id": endpoint.pk, "message": "Webhook endpoint set up."},
            now,
        ),
        created_at=now,
        next_attempt_at=now,
    )
    delivery.full_clean(exclude=["endpoint"], validate_unique=False)
    delivery.save(force_insert=True)
    _queue_on_commit([delivery])
    return delivery


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery again: the same row and `webhook-id`, pending, attempts from 0, due
    now. The last attempt's status code and error stay until the next attempt replaces them."""
    endpoint = delivery.endpoint
    if actor is not None:
        require_perm(actor, PERM, endpoint)
    if not endpoint.is_active:
        raise ApplicationError(
            "The endpoint is disabled: enable it before redelivering.", code="webhook_disabled"
        )
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now, delivered_at=None
    )
    delivery.refresh_from_db()
    audit_record(
        action="webhook.redelivered",
        actor=actor,
        target=endpoint,
        changes={"event_id": delivery.event_id, "event_type": delivery.event_type},
    )
    _queue_on_commit([delivery])
    return delivery


# --- Sending ----------------------------------------------------------------------------------


def webhook_retry_delay(*, attempts: int, retry_after: str | None = None) -> timedelta:
    """The wait after failed attempt number `attempts` (1, 2, ...): doubling from
    WEBHOOK_RETRY_SECONDS with up to 10 % jitter, at least the receiver's `Retry-After`
    (seconds), capped at WEBHOOK_RETRY_MAX_SECONDS."""
    return retry_delay(
        attempts=attempts,
        base_seconds=settings.WEBHOOK_RETRY_SECONDS,
        max_seconds=settings.WEBHOOK_RETRY_MAX_SECONDS,
        retry_after=retry_after,
    )


def _lease() -> timedelta:
    # A send takes at most a few timeouts (connect, send, read); past the lease the worker
    # counts as lost and the row is due again.
    return timedelta(seconds=4 * settings.WEBHOOK_TIMEOUT + 60)


_OUTBOX = LeasedOutbox(
    model=WebhookDelivery,
    max_attempts_setting="WEBHOOK_MAX_ATTEMPTS",
    lease=_lease,
    noun="webhook delivery",
)


def webhook_delivery_claim(*, delivery_id: int, now: datetime | None = None):
    """Take a due delivery for sending, or None when it isn't due or another worker has it
    (accounts.outbox: the claim counts the attempt and leases the row)."""
    if not _OUTBOX.claim(delivery_id, now or timezone.now()):
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def webhook_delivery_send(*, delivery: WebhookDelivery, now: datetime | None = None) -> str:
    """Make one attempt at a claimed delivery; record and return the outcome:
    "succeeded", "retried" or "failed"."""
    now = now or timezone.now()
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _OUTBOX.finish(
            delivery, status=WebhookDelivery.Status.FAILED, last_error="endpoint disabled"
        )
        return "failed"
    body = webhook_body(delivery.payload)
    # The signature's timestamp is the real time of the attempt: receivers reject old ones.
    headers = webhook_headers(
        secret=endpoint.secret, msg_id=delivery.event_id, timestamp=int(time.time()), body=body
    )
    status_code: int | None = None
    excerpt = ""
    retry_after = None
    try:
        status_code, excerpt, retry_after = _post(endpoint.url, body, headers)
    except UnsafeTarget as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # Timeouts, refused connections, TLS errors, broken answers.
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    else:
        error = "" if 200 <= status_code < 300 else f"HTTP {status_code}"
        if 300 <= status_code < 400:
            error += ": redirects are not followed"
    logger.info(
        "webhook attempt",
        extra={
            "delivery": delivery.pk,
            "event_id": delivery.event_id,
            "event_type": delivery.event_type,
            "endpoint": endpoint.pk,
            "attempt": delivery.attempts,
            "status_code": status_code,
            "error": error,
        },
    )
    result = {
        "last_status_code": status_code,
        "last_error": error[:255],
        "response_excerpt": excerpt[:EXCERPT_CHARS],
    }
    if not error:
        _OUTBOX.finish(
            delivery, status=WebhookDelivery.Status.SUCCEEDED, delivered_at=now, **result
        )
        return "succeeded"
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        _OUTBOX.finish(delivery, status=WebhookDelivery.Status.FAILED, **result)
        return "failed"
    delay = webhook_retry_delay(attempts=delivery.attempts, retry_after=retry_after)
    _OUTBOX.finish(delivery, next_attempt_at=now + delay, **result)
    return "retried"


def _send_each(ids: list[int], clock: Callable[[], datetime]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for delivery_id in ids:
        delivery = webhook_delivery_claim(delivery_id=delivery_id, now=clock())
        if delivery is None:
            counts["taken"] += 1
        else:
            counts[webhook_delivery_send(delivery=delivery, now=clock())] += 1
    return counts


WEBHOOK_OUTCOMES = ("succeeded", "retried", "failed", "taken")


def webhook_deliveries_send(*, delivery_ids: list[int]) -> dict:
    """Send those of `delivery_ids` that are due now (the task queued on commit)."""
    counts = _send_each(list(delivery_ids), timezone.now)
    return {key: counts[key] for key in WEBHOOK_OUTCOMES}


def webhook_deliveries_send_due(*, limit: int | None = None, now: datetime | None = None) -> dict:
    """Send up to `limit` due deliveries, oldest due first (the sweeper); return counts. `now`
    pins the clock (tests)."""
    return _OUTBOX.send_due(
        limit=limit if limit is not None else settings.WEBHOOK_BATCH_SIZE,
        now=now,
        send_each=_send_each,
        outcomes=WEBHOOK_OUTCOMES,
    )


# --- Reads ------------------------------------------------------------------------------------


def webhook_endpoint_list(*, user, filters: dict | None = None) -> QuerySet[WebhookEndpoint]:
    """Endpoints of the companies where `user` manages webhooks."""
    qs = scope_queryset(WebhookEndpoint.objects.all(), user, PERM)
    filters = filters or {}
    if (is_active := filters.get("is_active")) is not None:
        qs = qs.filter(is_active=is_active)
    if updated_after := filters.get("updated_after"):
        qs = qs.filter(updated_at__gt=updated_after)
    return qs


def webhook_delivery_list(
    *, endpoint: WebhookEndpoint, filters: dict | None = None
) -> QuerySet[WebhookDelivery]:
    qs = endpoint.deliveries.all()
    filters = filters or {}
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if event_type := filters.get("event_type"):
        qs = qs.filter(event_type=event_type)
    if created_after := filters.get("created_after"):
        qs = qs.filter(created_at__gt=created_after)
    return qs


def webhook_company_for(*, user, company_id: int | None) -> Company:
    """The company a new endpoint of `user` belongs to: a key's own; for a member the one
    named, or the only one where they manage webhooks."""
    if (api_key := getattr(user, "api_key", None)) is not None:
        if company_id is not None and company_id != api_key.company_id:
            raise ValidationError({"company": "A key creates endpoints of its own company."})
        return api_key.company
    ids = company_ids_with(user, PERM)
    companies = Company.objects.all() if ids is None else Company.objects.filter(pk__in=ids)
    if company_id is not None:
        company = companies.filter(pk=company_id).first()
        if company is None:
            raise ValidationError({"company": "You do not manage webhooks of this company."})
        return company
    found = list(companies[:2])
    if len(found) != 1:
        raise ValidationError({"company": "Name the company the endpoint belongs to."})
    return found[0]
