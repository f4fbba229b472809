"""Clerk as an identity bridge: its webhook deliveries verified, stored, then applied.

The flow: the view (accounts.clerk_views) calls `clerk_delivery_verify` and `clerk_event_store`
and answers 2xx at once; the task `accounts.clerk_event_process` applies the stored event
(`clerk_event_process` here), and the sweeper `accounts.clerk_events_sweep` (celery-beat) runs
events still pending a few minutes later, so a broker outage or a lost worker loses nothing.

Decisions made here once:

- **Replays.** `ClerkEvent.svix_id` is unique: a replayed or concurrent second delivery finds
  the row and changes nothing. Processing claims the row with `SELECT ... FOR UPDATE SKIP
  LOCKED` on `status = pending`, so two workers never apply one event twice.
- **Order.** Svix does not promise order, and it signs every retry afresh, so the time an
  event happened is Clerk's `timestamp` in the payload (milliseconds), the svix timestamp only
  when that is missing. An event is applied only if no event about the same subject (a Clerk
  user, or one organisation membership) already applied is newer. Events about one subject are
  serialised with a transaction-scoped advisory lock, so that check cannot race.
- **Deletion is final.** Clerk never reuses a user id: once Clerk said a user was deleted
  (`User.clerk_deleted_at`, or a stored `user.deleted` event when there was no local user yet),
  no `user.created` or `user.updated` for that id is applied, whatever its time.
- **Linking.** A Clerk user is the User with that `clerk_user_id`; else the User whose email
  equals the verified primary email (case-insensitive) and who has no other Clerk link and is
  not a superuser (a superuser is linked by hand, never by an email match); else a new User
  with an unusable password. Without a verified primary email nobody is linked or created.
- **Roles.** `CLERK_ROLES` maps Clerk's organisation roles; other (custom) roles are ignored.
  Clerk has no owner: an owner whose Clerk role is `org:admin` stays owner, and the last owner
  of a company is never demoted nor removed by Clerk.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from svix.webhooks import Webhook, WebhookVerificationError

from accounts.models import ApiKey, ClerkEvent, Company, Membership, Role, User
from accounts.permissions import forget_roles
from accounts.security import user_sessions_end
from accounts.services import (
    api_key_revoke,
    audit_record,
    membership_remove,
    membership_set,
    user_create,
)
from recruitment.api import ApplicationError

logger = logging.getLogger(__name__)

# Clerk's organisation roles → ours. A setting-free constant on purpose: what a Clerk admin may
# do here is a security decision made in code review, not per deployment. `org:admin` manages
# the company (our admin); `org:member` works on hiring (our recruiter).
CLERK_ROLES: dict[str, str] = {"org:admin": Role.ADMIN, "org:member": Role.RECRUITER}

# The largest delivery accepted; Clerk's user events are a few kilobytes.
CLERK_BODY_MAX_BYTES = 1024 * 1024
# The sweeper runs events still pending this long after they arrived (the task had its chance).
CLERK_SWEEP_AFTER = timedelta(minutes=2)
# A membership event naming a Clerk user not known here yet (its user.created still on its way)
# is retried by the sweeper for this long, then ignored.
CLERK_UNKNOWN_USER_WAIT = timedelta(hours=1)
# An event whose handler keeps raising an unexpected error is retried for this long, then failed.
CLERK_GIVE_UP_AFTER = timedelta(hours=6)

USER_EVENTS = ("user.created", "user.updated", "user.deleted")
MEMBERSHIP_EVENTS = (
    "organizationMembership.created",
    "organizationMembership.updated",
    "organizationMembership.deleted",
)

# svix ids are "msg_" and base62; allow a little more, never spaces, quotes or control bytes.
_SVIX_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_SVIX_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_DETAIL_MAX = 255


# --- Deliveries ------------------------------------------------------------------------------


class ClerkDeliveryRefused(Exception):
    """A delivery that is not Clerk's or not usable: `reason` is a short code for the answer
    and the security log, never the body or a header's value."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ClerkDelivery:
    svix_id: str
    signed_at: datetime
    payload: dict


def clerk_webhook(secret: str) -> Webhook:
    """svix's verifier for `secret`; ImproperlyConfigured when it is unset or not base64."""
    if not secret:
        raise ImproperlyConfigured("CLERK_WEBHOOK_SECRET is not set.")
    try:
        return Webhook(secret)
    except ValueError as error:  # binascii.Error: not base64 after the whsec_ prefix
        raise ImproperlyConfigured("CLERK_WEBHOOK_SECRET is not a svix secret.") from error


def clerk_delivery_verify(
    *, body: bytes, headers: Mapping[str, str], webhook: Webhook, tolerance: int
) -> ClerkDelivery:
    """Check a delivery's svix headers, its age and its signature, then parse it.

    svix's own check allows exactly five minutes either way, hard-coded; ours applies
    `tolerance` (CLERK_WEBHOOK_TOLERANCE, seconds) first, so a tighter setting is enforced and
    the log says "stale" rather than "bad signature". A larger setting cannot widen svix's.
    """
    svix_id = headers.get("svix-id", "")
    stamp = headers.get("svix-timestamp", "")
    signature = headers.get("svix-signature", "")
    if not (svix_id and stamp and signature):
        raise ClerkDeliveryRefused("missing_headers", "The svix headers are missing.")
    if not _SVIX_ID.fullmatch(svix_id) or not _SVIX_TIMESTAMP.fullmatch(stamp):
        raise ClerkDeliveryRefused("malformed_headers", "The svix headers are malformed.")
    signed = int(stamp)
    if abs(time.time() - signed) > tolerance:
        raise ClerkDeliveryRefused("stale", "The delivery's timestamp is too old or too new.")
    try:
        webhook.verify(
            body, {"svix-id": svix_id, "svix-timestamp": stamp, "svix-signature": signature}
        )
    except (WebhookVerificationError, ValueError) as error:
        # svix lets ValueError out for some malformed input: a signature without a comma, bad
        # base64 (binascii.Error) or a body that isn't UTF-8 (UnicodeDecodeError).
        raise ClerkDeliveryRefused("bad_signature", "The signature does not match.") from error
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise ClerkDeliveryRefused("malformed_json", "The body is not JSON.") from error
    event_type = payload.get("type") if isinstance(payload, dict) else None
    if (
        not isinstance(event_type, str)
        or not 0 < len(event_type) <= 100
        or not isinstance(payload.get("data"), dict)
    ):
        raise ClerkDeliveryRefused("malformed_event", "The body is not a Clerk event.")
    return ClerkDelivery(
        svix_id=svix_id, signed_at=datetime.fromtimestamp(signed, UTC), payload=payload
    )


def clerk_event_store(*, delivery: ClerkDelivery) -> tuple[ClerkEvent, bool]:
    """Store a verified delivery once per svix id and queue its processing; return the event
    and whether it is new. A replay, or the loser of two concurrent deliveries, gets the
    existing row (get_or_create retries the read after the unique constraint refuses)."""
    event, created = ClerkEvent.objects.get_or_create(
        svix_id=delivery.svix_id,
        defaults={
            "event_type": delivery.payload["type"],
            "payload": delivery.payload,
            "svix_timestamp": delivery.signed_at,
        },
    )
    if created:
        from accounts.tasks import clerk_event_process as task

        # Robust: with the broker away the row still stands, and the sweeper runs it.
        transaction.on_commit(partial(task.delay, event.pk), robust=True)
    return event, created


# --- Processing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str


def _done(detail: str) -> Outcome:
    return Outcome(ClerkEvent.Status.DONE, detail)


def _ignored(detail: str) -> Outcome:
    return Outcome(ClerkEvent.Status.IGNORED, detail)


def _failed(detail: str) -> Outcome:
    return Outcome(ClerkEvent.Status.FAILED, detail)


def clerk_event_process(*, event_id: int) -> str | None:
    """Apply one stored event; return its new status, or None when it was not pending (done
    already, or being applied by another worker right now). Idempotent.

    The handler runs in a savepoint: a business rule that refuses (the last owner) or bad
    data rolls back its writes, and the event records why.
    """
    with transaction.atomic():
        event = (
            ClerkEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, status=ClerkEvent.Status.PENDING)
            .first()
        )
        if event is None:
            return None
        handler = _HANDLERS.get(event.event_type)
        data = event.payload.get("data") if isinstance(event.payload, dict) else None
        if handler is None:
            outcome = _ignored(f"{event.event_type} is not handled.")
        elif not isinstance(data, dict):
            outcome = _failed("The payload has no data (erased, or not a Clerk event).")
        else:
            try:
                with transaction.atomic():
                    outcome = handler(event, data)
            except (ApplicationError, ValidationError) as error:
                outcome = _failed(f"Refused: {_error_text(error)}")
            except Exception as error:
                # A bug or an outage: the event stays pending for the sweeper to retry, until
                # it has been failing for CLERK_GIVE_UP_AFTER; then it fails, so it stops
                # taking a place in every sweep. Its detail names the error's type only (the
                # message may quote personal data).
                if timezone.now() - event.received_at < CLERK_GIVE_UP_AFTER:
                    raise
                logger.exception("clerk event %s failed for good", event.pk)
                outcome = _failed(f"Gave up after an error: {type(error).__name__}.")
        event.status = outcome.status
        event.detail = outcome.detail[:_DETAIL_MAX]
        if outcome.status != ClerkEvent.Status.PENDING:
            event.processed_at = timezone.now()
        event.save(update_fields=["status", "detail", "processed_at"])
    logger.info(
        "clerk event %s (%s): %s", event.pk, event.event_type, event.status,
        extra={"clerk_event_id": event.pk, "event_type": event.event_type, "status": event.status},
    )  # fmt: skip
    return event.status


def clerk_events_process_pending(*, older_than: timedelta, limit: int) -> dict:
    """The sweeper's work: apply up to `limit` events pending for longer than `older_than`,
    oldest first; return counts by outcome (`skipped`: another worker had it)."""
    cutoff = timezone.now() - older_than
    ids = list(
        ClerkEvent.objects.filter(status=ClerkEvent.Status.PENDING, received_at__lt=cutoff)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts: Counter[str] = Counter(claimed=len(ids))
    for event_id in ids:
        try:
            counts[clerk_event_process(event_id=event_id) or "skipped"] += 1
        except Exception:
            # One event's error must not hold up the ones behind it; it stays pending.
            logger.exception("clerk event %s: an error, left pending for a retry", event_id)
            counts["error"] += 1
    return dict(counts)


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)


def _subject_lock(key: str) -> None:
    """Serialise the processing of events about one subject until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"clerk:{key}"])


def _event_time(timestamp_ms, signed_at: datetime) -> datetime:
    # Clerk's own `timestamp` (ms) when it is a plausible number, else svix's signing time.
    if isinstance(timestamp_ms, int) and not isinstance(timestamp_ms, bool):
        if 0 < timestamp_ms < 10**14:
            return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    return signed_at


def clerk_event_time(event: ClerkEvent) -> datetime:
    """When the event happened at Clerk (see the module's note on order)."""
    return _event_time(event.payload.get("timestamp"), event.svix_timestamp)


def _newer_applied(event: ClerkEvent, subject: Q) -> bool:
    """Whether an event about the same subject that is newer than `event` was applied."""
    mine = clerk_event_time(event)
    applied = (
        ClerkEvent.objects.filter(subject, status=ClerkEvent.Status.DONE)
        .exclude(pk=event.pk)
        .values_list("payload__timestamp", "svix_timestamp")
    )
    return any(_event_time(ms, signed_at) > mine for ms, signed_at in applied)


def _text(value, limit: int = 200) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


# --- Users -----------------------------------------------------------------------------------


def clerk_primary_email(data: dict) -> str | None:
    """The user's primary email address if Clerk verified it, else None.

    The primary one is the entry of `email_addresses` whose id is `primary_email_address_id`,
    not the first of the list; it counts only with `verification.status == "verified"`.
    """
    primary_id = data.get("primary_email_address_id")
    addresses = data.get("email_addresses")
    if not primary_id or not isinstance(addresses, list):
        return None
    for address in addresses:
        if not isinstance(address, dict) or address.get("id") != primary_id:
            continue
        verification = address.get("verification")
        if not isinstance(verification, dict) or verification.get("status") != "verified":
            return None
        email = _text(address.get("email_address"), 254)
        try:
            User._meta.get_field("email").run_validators(email)
        except ValidationError:
            return None
        return User.objects.normalize_email(email).lower() if email else None
    return None


def clerk_full_name(data: dict) -> str:
    parts = (_text(data.get("first_name"), 100), _text(data.get("last_name"), 100))
    return " ".join(part for part in parts if part)


def _user_subject(clerk_id: str) -> Q:
    return Q(event_type__in=USER_EVENTS, payload__data__id=clerk_id)


def _deleted_in_clerk(clerk_id: str, user: User | None) -> bool:
    if user is not None and user.clerk_deleted_at is not None:
        return True
    return ClerkEvent.objects.filter(event_type="user.deleted", payload__data__id=clerk_id).exists()


def _email_address_sync(user: User, email: str) -> None:
    """Make `email` the user's verified primary allauth address (Clerk verified it), so
    allauth's login, reset and account pages agree with `User.email`."""
    EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )


def _user_link(clerk_id: str, email: str | None) -> tuple[User | None, str]:
    """The local user for a Clerk user (module note: Linking), or None and why not."""
    user = User.objects.select_for_update().filter(clerk_user_id=clerk_id).first()
    if user is not None or email is None:
        return user, ""
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is None:
        return None, ""
    if user.clerk_user_id:
        return None, "Its email belongs to a user linked to another Clerk user."
    if user.is_superuser:
        return None, "Its email is a superuser's: superusers are linked by hand, not by email."
    if not user.is_active:
        return None, f"Its email is deactivated user {user.pk}'s."
    user.clerk_user_id = clerk_id
    user.full_clean(exclude=["password"])
    user.save(update_fields=["clerk_user_id"])
    audit_record(action="user.clerk_linked", target=user, changes={"clerk_user_id": clerk_id})
    return user, "linked by email"


def _user_upsert(event: ClerkEvent, data: dict) -> Outcome:
    """user.created and user.updated: create, link or update the user (email and name)."""
    clerk_id = _text(data.get("id"), 64)
    if not clerk_id:
        return _failed("The user has no id.")
    _subject_lock(f"user:{clerk_id}")
    existing = User.objects.filter(clerk_user_id=clerk_id).first()
    if _deleted_in_clerk(clerk_id, existing):
        return _ignored("Clerk deleted this user; a late event does not bring them back.")
    if _newer_applied(event, _user_subject(clerk_id)):
        return _ignored("Older than an event about this user already applied.")
    email = clerk_primary_email(data)
    full_name = clerk_full_name(data)
    user, note = _user_link(clerk_id, email)
    if user is None and note:
        return _ignored(note)
    if user is None:
        if email is None:
            return _ignored("No verified primary email: nobody to link or create.")
        user = user_create(email=email, full_name=full_name)
        user.clerk_user_id = clerk_id
        user.save(update_fields=["clerk_user_id"])
        _email_address_sync(user, email)
        return _done(f"Created user {user.pk}.")
    if not user.is_active:
        return _ignored(f"User {user.pk} is deactivated: Clerk does not change them.")
    return _user_update(user, email=email, full_name=full_name, note=note)


def _user_update(user: User, *, email: str | None, full_name: str, note: str) -> Outcome:
    changed: list[str] = []
    if full_name and full_name != user.full_name:
        user.full_name = full_name
        changed.append("full_name")
    if email is not None and email != user.email.lower():
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            note = ", ".join(filter(None, [note, "email kept: the new one is another user's"]))
        else:
            user.email = email
            changed.append("email")
    if changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=changed)
    if "email" in changed:
        _email_address_sync(user, user.email)
    parts = [f"User {user.pk}", note, f"changed {', '.join(changed)}" if changed else "unchanged"]
    return _done("; ".join(filter(None, parts)) + ".")


def _user_delete(event: ClerkEvent, data: dict) -> Outcome:
    """user.deleted: deactivate, end every session, revoke the API keys they created."""
    clerk_id = _text(data.get("id"), 64)
    if not clerk_id:
        return _failed("The user has no id.")
    _subject_lock(f"user:{clerk_id}")
    user = User.objects.select_for_update().filter(clerk_user_id=clerk_id).first()
    if user is None:
        return _done("No local user; later events about this Clerk user are ignored.")
    if user.clerk_deleted_at is not None:
        return _ignored(f"User {user.pk} was deleted in Clerk already.")
    user.is_active = False
    user.clerk_deleted_at = clerk_event_time(event)
    user.save(update_fields=["is_active", "clerk_deleted_at"])
    # Rotates `session_token`, part of the session auth hash: every session fails its next
    # check. Then the rows go too.
    user_sessions_end(user=user)
    sessions = user_sessions_delete(user=user)
    keys = 0
    for api_key in ApiKey.objects.filter(created_by=user, revoked_at__isnull=True):
        api_key_revoke(api_key=api_key, actor=None)
        keys += 1
    forget_roles(user)
    audit_record(
        action="user.clerk_deleted",
        target=user,
        changes={"is_active": [True, False], "sessions_ended": sessions, "api_keys_revoked": keys},
    )
    return _done(f"User {user.pk} deactivated; {sessions} sessions ended, {keys} API keys revoked.")


def user_sessions_delete(*, user: User) -> int:
    """Delete the user's rows of a database-backed session store; return how many.

    Rotating `session_token` already ends every session (the auth hash stops matching); this
    removes the rows too, so nothing of the session outlives the account. Session data is
    signed and encoded, so finding a user's rows means decoding the live ones: fine in a task,
    and rare (a deletion). With a cache-only session engine there is nothing to list.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    mine: list[str] = []
    live = model.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data")
    for row in live.iterator(chunk_size=500):
        if store().decode(row.session_data).get("_auth_user_id") == str(user.pk):
            mine.append(row.session_key)
    for session_key in mine:
        store(session_key=session_key).delete()  # cached_db: the cached copy too
    return len(mine)


# --- Organisation memberships ----------------------------------------------------------------


def _membership_apply(event: ClerkEvent, data: dict) -> Outcome:
    """organizationMembership.*: the member's Membership of the linked company."""
    organization = data.get("organization")
    member = data.get("public_user_data")
    org_id = _text(organization.get("id"), 64) if isinstance(organization, dict) else ""
    clerk_id = _text(member.get("user_id"), 64) if isinstance(member, dict) else ""
    if not org_id or not clerk_id:
        return _failed("The membership names no organisation or no user.")
    company = Company.objects.filter(clerk_organization_id=org_id).first()
    if company is None:
        return _ignored(f"Organisation {org_id} is not linked to a company.")
    _subject_lock(f"membership:{org_id}:{clerk_id}")
    subject = Q(
        event_type__in=MEMBERSHIP_EVENTS,
        payload__data__organization__id=org_id,
        payload__data__public_user_data__user_id=clerk_id,
    )
    if _newer_applied(event, subject):
        return _ignored("Older than an event about this membership already applied.")
    user = User.objects.filter(clerk_user_id=clerk_id).first()
    deleted = event.event_type == "organizationMembership.deleted"
    if user is None:
        if deleted:
            return _done("No local user: no membership to remove.")
        if timezone.now() - event.received_at < CLERK_UNKNOWN_USER_WAIT:
            # Its user.created may still be on its way: the sweeper tries again.
            return Outcome(ClerkEvent.Status.PENDING, "Waiting for the Clerk user to be known.")
        return _ignored("The Clerk user never became known here.")
    if deleted:
        return _membership_end(company, user)
    return _membership_grant(company, user, data.get("role"))


def _membership_end(company: Company, user: User) -> Outcome:
    membership = Membership.objects.filter(company=company, user=user).first()
    if membership is None:
        return _done(f"User {user.pk} had no membership of company {company.pk}.")
    try:
        membership_remove(membership=membership, actor=None)
    except ApplicationError as error:
        return _ignored(f"Kept: {error}")
    return _done(f"User {user.pk} removed from company {company.pk}.")


def _membership_grant(company: Company, user: User, clerk_role) -> Outcome:
    role = CLERK_ROLES.get(clerk_role) if isinstance(clerk_role, str) else None
    if role is None:
        return _ignored(f"Clerk role {str(clerk_role)[:40]!r} has no role here.")
    if not user.is_active:
        return _ignored(f"User {user.pk} is deactivated.")
    current = Membership.objects.filter(company=company, user=user).first()
    if current is not None and current.role == Role.OWNER and role == Role.ADMIN:
        return _done(f"User {user.pk} stays owner of company {company.pk}.")
    try:
        membership_set(company=company, user=user, role=role, actor=None)
    except ApplicationError as error:
        return _ignored(f"Kept: {error}")
    return _done(f"User {user.pk} is {role} of company {company.pk}.")


_HANDLERS = {
    "user.created": _user_upsert,
    "user.updated": _user_upsert,
    "user.deleted": _user_delete,
    "organizationMembership.created": _membership_apply,
    "organizationMembership.updated": _membership_apply,
    "organizationMembership.deleted": _membership_apply,
}
