"""The email outbox: queue an email once, send due emails, follow delivery, never mail the
suppressed.

Every email is first an `OutboundEmail` row, written in the business transaction and keyed by a
deterministic `dedupe_key`, so queuing the same email twice (a re-run, a redelivered task) adds
nothing. `outbox_send_due` then claims rows one at a time with a conditional UPDATE and sends
them through Django's email backend (an anymail backend in production).

Delivery is at least once, not exactly once, at one edge: if a worker dies after the provider
accepted a message but before the row is marked sent, the row stays "sending" until
EMAIL_OUTBOX_SENDING_TIMEOUT passes and is then sent again. Nothing short of a provider-side
idempotency key closes that gap; the window is the length of one provider call.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, Protocol
from urllib.parse import quote

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    DigestFrequency,
    EmailSuppression,
    NotificationPreference,
    OutboundEmail,
    User,
)
from accounts.services import audit_record

logger = logging.getLogger(__name__)

# The digests a user can switch off from an email: NotificationPreference fields and names.
DIGESTS: dict[str, str] = {
    "match_digest": "job match digest",
    "recruiter_digest": "candidate digest for your open jobs",
}
# Every kind of email a link can switch off: the digests, and the on/off email updates.
UNSUBSCRIBABLE: dict[str, str] = {
    **DIGESTS,
    "application_updates": "emails about your applications",
    "interview_updates": "interview invitations and reminders",
}
UNSUBSCRIBE_SALT = "accounts.mail.unsubscribe"

# The provider refused the recipient: retrying cannot help, and neither would mailing it again.
REFUSED_RECIPIENT_ERRORS: tuple[type[Exception], ...] = (
    AnymailRecipientsRefused,
    smtplib.SMTPRecipientsRefused,
)
# The message can never be sent as it is: retrying cannot help.
PERMANENT_SEND_ERRORS: tuple[type[Exception], ...] = (
    *REFUSED_RECIPIENT_ERRORS,
    AnymailInvalidAddress,
)

# Provider events (anymail's normalised event types) that stop all further mail to an address.
SUPPRESSING_EVENTS: dict[str, str] = {
    "bounced": EmailSuppression.Reason.BOUNCED,
    "complained": EmailSuppression.Reason.COMPLAINED,
    "unsubscribed": EmailSuppression.Reason.UNSUBSCRIBED,
}
# A "rejected" event suppresses only when the provider says the address is the reason.
SUPPRESSING_REJECT_REASONS = frozenset({"bounced", "invalid", "spam", "unsubscribed"})

# Later events must not overwrite more telling ones (an "opened" arriving after a "bounced").
DELIVERY_RANK: dict[str, int] = {
    "queued": 0,
    "sent": 1,
    "deferred": 2,
    "autoresponded": 3,
    "delivered": 3,
    "opened": 4,
    "clicked": 5,
    "unsubscribed": 6,
    "failed": 7,
    "rejected": 7,
    "bounced": 7,
    "complained": 8,
}


# --- Suppression ------------------------------------------------------------------------------


def emails_suppressed(emails: Iterable[str]) -> set[str]:
    """Which of `emails` are suppressed, as the lower-cased addresses: one query for many."""
    addresses = {email.strip().lower() for email in emails}
    if not addresses:
        return set()
    return set(EmailSuppression.objects.filter(email__in=addresses).values_list("email", flat=True))


def email_suppression_add(
    *, email: str, reason: str, detail: str = "", esp_name: str = ""
) -> EmailSuppression:
    """Never mail `email` again. The first reason recorded for an address is kept."""
    address = email.strip().lower()
    existing = EmailSuppression.objects.filter(email=address).first()
    if existing is not None:
        return existing
    suppression = EmailSuppression(
        email=address, reason=reason, detail=detail[:2000], esp_name=esp_name[:50]
    )
    suppression.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            suppression.save(force_insert=True)
    except IntegrityError:
        # Another webhook for the same address won the race; theirs is as good as ours.
        return EmailSuppression.objects.get(email=address)
    logger.info("email address suppressed", extra={"reason": reason, "esp": esp_name})
    return suppression


def email_suppression_lift(*, email: str, reasons: list[str]) -> int:
    """Remove the suppression of `email` when it was for one of `reasons`."""
    deleted, _ = EmailSuppression.objects.filter(
        email=email.strip().lower(), reason__in=reasons
    ).delete()
    return deleted


# --- Unsubscribe links ------------------------------------------------------------------------


class UnsubscribeLinkInvalid(Exception):
    """A forged, damaged, expired or orphaned unsubscribe token."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def unsubscribe_token_make(*, user_id: int, digest: str) -> str:
    if digest not in UNSUBSCRIBABLE:
        raise ValueError(f"unknown digest {digest!r}")
    return signing.dumps([user_id, digest], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_read(*, token: str) -> tuple[User, str]:
    """The user and digest a token stands for, or UnsubscribeLinkInvalid."""
    max_age = settings.EMAIL_UNSUBSCRIBE_MAX_AGE or None
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise UnsubscribeLinkInvalid("expired") from exc
    except signing.BadSignature as exc:
        raise UnsubscribeLinkInvalid("invalid") from exc
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or payload[1] not in UNSUBSCRIBABLE
    ):
        raise UnsubscribeLinkInvalid("invalid")
    user = User.objects.filter(pk=payload[0]).first()
    if user is None:
        raise UnsubscribeLinkInvalid("unknown user")
    return user, payload[1]


def unsubscribe_url(*, token: str) -> str:
    return settings.SITE_URL + reverse("email-unsubscribe", args=[token])


def unsubscribe_headers(*, token: str) -> dict[str, str]:
    """List-Unsubscribe (RFC 2369) with one-click POST (RFC 8058): a URL and a mailto."""
    url = unsubscribe_url(token=token)
    mailto = settings.EMAIL_UNSUBSCRIBE_MAILTO or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    subject = quote(f"unsubscribe {token}")
    return {
        "List-Unsubscribe": f"<{url}>, <mailto:{mailto}?subject={subject}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def digest_unsubscribe(*, user: User, digest: str) -> NotificationPreference:
    """Switch one kind of email (a digest, or an on/off kind of UNSUBSCRIBABLE) off for `user`.
    Doing it again changes nothing."""
    if digest not in UNSUBSCRIBABLE:
        raise ValidationError({"digest": f"Unknown digest {digest!r}."})
    off = DigestFrequency.NEVER if digest in DIGESTS else False
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        before = getattr(preference, digest)
        if before == off:
            return preference
        setattr(preference, digest, off)
        preference.full_clean()
        preference.save()
        audit_record(
            action="notifications.unsubscribed",
            actor=user,
            target=preference,
            changes={digest: [before, off]},
        )
    return preference


def unsubscribe_token_apply(*, token: str) -> tuple[User, str]:
    """Switch off the digest a token stands for (the one-click POST, or a mailto reply)."""
    user, digest = unsubscribe_token_read(token=token)
    digest_unsubscribe(user=user, digest=digest)
    return user, digest


# --- Queueing ---------------------------------------------------------------------------------


def _send_on_commit(emails: list[OutboundEmail]) -> None:
    """Send `emails` (just queued) once the transaction commits: a task with their ids, so a
    new email leaves in seconds. With the broker away the hook logs and gives up
    (recruitment.celery.Task) and the sweeper (accounts.outbox_send) sends them later."""
    from accounts.tasks import outbox_send_emails  # accounts.tasks imports this module

    outbox_send_emails.delay_on_commit([email.pk for email in emails])


def email_queue(**fields) -> tuple[OutboundEmail, bool]:
    """Add an email (the arguments of `email_build`) to the outbox unless one with its
    `dedupe_key` is already there, and send it once the transaction commits.

    Returns the row and whether it is new. Call it inside the transaction that makes the
    email due (and marks what it reports on as notified), so both happen or neither does.
    """
    dedupe_key = fields["dedupe_key"]
    existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    email = email_build(**fields)
    try:
        # INSERT ... ON CONFLICT DO NOTHING, in effect: a concurrent writer of the same key waits
        # for ours to commit, fails here, and takes our row.
        with transaction.atomic():
            email.save(force_insert=True)
    except IntegrityError:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is None:
            raise
        return existing, False
    _send_on_commit([email])
    return email, True


def email_build(
    *,
    to: str,
    kind: str,
    subject: str,
    body_text: str,
    dedupe_key: str,
    body_html: str = "",
    user: User | None = None,
    headers: dict[str, str] | None = None,
    refs: list[int] | None = None,
    attachments: list[dict] | None = None,
    now: datetime | None = None,
) -> OutboundEmail:
    """An unsaved, validated outbox row for `email_queue` or `emails_queue`.

    `user` is not read again (that would be a query per email): pass a row you hold, so it
    can't be deleted before the transaction commits; its foreign key is checked then anyway.
    """
    email = _email_row(
        to=to,
        kind=kind,
        subject=subject,
        body_text=body_text,
        dedupe_key=dedupe_key,
        body_html=body_html,
        user=user,
        headers=headers,
        refs=refs,
        attachments=attachments,
        now=now,
    )
    email.full_clean(exclude=["user"], validate_unique=False)
    return email


def emails_queue(
    *, emails: list[OutboundEmail], send_now: bool = True
) -> list[tuple[OutboundEmail, bool]]:
    """Add rows made by `email_build` to the outbox in one INSERT, leaving out those whose
    `dedupe_key` is there already (or earlier in `emails`), and send them once the transaction
    commits unless not `send_now` (the nightly digests: their send stage follows).

    Returns (row, is new) for each of `emails`, in order. Unlike `email_queue` this doesn't wait
    out a concurrent writer of the same key: that one makes the INSERT fail (IntegrityError) and
    nothing of the batch is written. So callers serialise the writers of their keys, as the
    digests do with a lock per user, and call it in the transaction that makes the emails due.
    """
    keys = {email.dedupe_key for email in emails}
    known = {row.dedupe_key: row for row in OutboundEmail.objects.filter(dedupe_key__in=keys)}
    results: list[tuple[OutboundEmail, bool]] = []
    new: list[OutboundEmail] = []
    for email in emails:
        existing = known.get(email.dedupe_key)
        if existing is not None:
            results.append((existing, False))
            continue
        known[email.dedupe_key] = email
        new.append(email)
        results.append((email, True))
    if new:
        OutboundEmail.objects.bulk_create(new)
        if send_now:
            _send_on_commit(new)
    return results


def _email_row(
    *,
    to: str,
    kind: str,
    subject: str,
    body_text: str,
    dedupe_key: str,
    body_html: str,
    user: User | None,
    headers: dict[str, str] | None,
    refs: list[int] | None,
    attachments: list[dict] | None,
    now: datetime | None,
) -> OutboundEmail:
    now = now or timezone.now()
    return OutboundEmail(
        user=user,
        to=to,
        kind=kind,
        subject=" ".join(subject.split())[:255],
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        refs=refs or [],
        attachments=attachments or [],
        dedupe_key=dedupe_key,
        created_at=now,
        next_attempt_at=now,
    )


# --- Sending ----------------------------------------------------------------------------------


class Progress(Protocol):
    """What the outbox reports to: pipeline.runs.RunProgress (accounts can't import it)."""

    def add_total(self, extra: int) -> None: ...

    def advance(self, n: int = 1, **counts: int) -> None: ...


def outbox_retry_delay(attempts: int) -> timedelta:
    """How long to wait after failed attempt number `attempts` (1, 2, ...): doubling, capped."""
    seconds = settings.EMAIL_OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.EMAIL_OUTBOX_RETRY_MAX_SECONDS))


def outbox_claim(*, email_id: int, now: datetime | None = None) -> OutboundEmail | None:
    """Take a due row for sending, or None when it isn't due or another worker has it.

    A claim moves the row to "sending", counts the attempt and leases the row until
    EMAIL_OUTBOX_SENDING_TIMEOUT: a row still "sending" after that belonged to a worker that
    died and is due again. The UPDATE's condition is what makes two claims exclusive: the loser
    re-reads the row after the winner commits and no longer finds it due.
    """
    now = now or timezone.now()
    claimed = OutboundEmail.objects.filter(
        pk=email_id,
        status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING],
        next_attempt_at__lte=now,
        attempts__lt=settings.EMAIL_OUTBOX_MAX_ATTEMPTS,
    ).update(
        status=OutboundEmail.Status.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=settings.EMAIL_OUTBOX_SENDING_TIMEOUT),
    )
    if not claimed:
        return None
    return OutboundEmail.objects.get(pk=email_id)


def outbox_give_up_lost(*, now: datetime | None = None) -> int:
    """Fail rows whose last allowed attempt never finished (its worker died mid-send)."""
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENDING,
        next_attempt_at__lte=now,
        attempts__gte=settings.EMAIL_OUTBOX_MAX_ATTEMPTS,
    ).update(
        status=OutboundEmail.Status.FAILED,
        last_error="gave up: the last attempt never finished (worker lost)",
    )


# What can become of a row a send takes up (outbox_send_due's and outbox_send_emails' counts).
OUTCOMES = ("sent", "retried", "failed", "suppressed", "taken", "gave_up")


def _outcome_counts(asked: int, counts: Counter[str]) -> dict:
    return {"claimed": asked - counts["taken"], **{key: counts[key] for key in OUTCOMES}}


def outbox_send_due(
    *, limit: int | None = None, now: datetime | None = None, progress: Progress | None = None
) -> dict:
    """Send up to `limit` due emails (EMAIL_OUTBOX_BATCH_SIZE by default); return counts:
    claimed, sent, retried, failed, suppressed, taken (by another worker), gave_up.

    `now` pins the clock (tests); by default each claim reads the time when it happens, so a
    long batch never claims with a lease that has already run out.
    """
    limit = limit if limit is not None else settings.EMAIL_OUTBOX_BATCH_SIZE
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    counts: Counter[str] = Counter()
    counts["gave_up"] = outbox_give_up_lost(now=clock())
    due = list(
        OutboundEmail.objects.filter(
            status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING],
            next_attempt_at__lte=clock(),
            attempts__lt=settings.EMAIL_OUTBOX_MAX_ATTEMPTS,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if progress is not None:
        progress.add_total(len(due))
    counts.update(_send_each(due, clock, progress))
    return _outcome_counts(len(due), counts)


def outbox_send_emails(*, email_ids: list[int]) -> dict:
    """Send those of `email_ids` that are due (the task queued on commit); return the counts
    of `outbox_send_due`. A row already sent, or taken by another worker, is skipped."""
    return _outcome_counts(len(email_ids), _send_each(email_ids, timezone.now))


def _send_each(
    email_ids: Iterable[int], clock: Callable[[], datetime], progress: Progress | None = None
) -> Counter[str]:
    """Claim and send each row in turn over one connection to the email backend."""
    counts: Counter[str] = Counter()
    connection = get_connection()
    try:
        for email_id in email_ids:
            email = outbox_claim(email_id=email_id, now=clock())
            outcome = "taken" if email is None else _deliver(email, connection, clock)
            counts[outcome] += 1
            if progress is not None:
                progress.advance(1, **{f"email_{outcome}": 1})
    finally:
        connection.close()
    return counts


def _deliver(email: OutboundEmail, connection, clock: Callable[[], datetime]) -> str:
    """Send one claimed row and record the outcome; returns it."""
    suppression = EmailSuppression.objects.filter(email=email.to.strip().lower()).first()
    if suppression is not None:
        _finish(
            email,
            status=OutboundEmail.Status.FAILED,
            last_error=f"suppressed: {suppression.reason}",
        )
        return "suppressed"
    message = _message(email, connection)
    try:
        message.send()
    except PERMANENT_SEND_ERRORS as exc:
        logger.warning("email refused for good", extra={"email": email.pk, "error": str(exc)})
        if _finish(email, status=OutboundEmail.Status.FAILED, last_error=_error_text(exc)):
            if isinstance(exc, REFUSED_RECIPIENT_ERRORS):
                # The provider won't take this address (inactive after a bounce, say).
                email_suppression_add(
                    email=email.to,
                    reason=EmailSuppression.Reason.REJECTED,
                    detail=_error_text(exc),
                    esp_name=getattr(exc, "esp_name", None) or "",
                )
        return "failed"
    except Exception as exc:
        # Transient (a timeout, a 5xx, the SMTP server away) or unknown: logged, counted and
        # retried with backoff; after EMAIL_OUTBOX_MAX_ATTEMPTS the row fails for good.
        logger.warning(
            "email send failed", extra={"email": email.pk, "attempt": email.attempts}, exc_info=True
        )
        if email.attempts >= settings.EMAIL_OUTBOX_MAX_ATTEMPTS:
            _finish(email, status=OutboundEmail.Status.FAILED, last_error=_error_text(exc))
            return "failed"
        _finish(
            email,
            status=OutboundEmail.Status.QUEUED,
            last_error=_error_text(exc),
            next_attempt_at=clock() + outbox_retry_delay(email.attempts),
        )
        return "retried"
    _finish(
        email,
        status=OutboundEmail.Status.SENT,
        last_error="",
        sent_at=clock(),
        provider_message_id=_provider_message_id(message),
        delivery_status="sent",
        delivery_updated_at=clock(),
    )
    return "sent"


def _finish(email: OutboundEmail, **fields: Any) -> bool:
    """Record an attempt's outcome, unless the row was re-claimed meanwhile (our lease ran out)."""
    done = OutboundEmail.objects.filter(
        pk=email.pk, status=OutboundEmail.Status.SENDING, attempts=email.attempts
    ).update(**fields)
    if not done:
        logger.warning(
            "outbox row changed hands during its send; outcome not recorded",
            extra={"email": email.pk, "fields": sorted(fields)},
        )
    return bool(done)


def _message(email: OutboundEmail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=dict(email.headers),
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(
            attachment["filename"],
            base64.b64decode(attachment.get("content_base64", "")),
            attachment.get("content_type") or None,
        )
    # Read by anymail backends, ignored by the others: the tracking webhooks carry them back.
    message.metadata = {"outbox_id": str(email.pk)}
    message.tags = [email.kind]
    return message


def _provider_message_id(message: EmailMultiAlternatives) -> str:
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    if message_id is None:
        return ""
    if isinstance(message_id, set):
        message_id = ",".join(sorted(str(part) for part in message_id))
    return str(message_id)[:255]


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


# --- Delivery tracking ------------------------------------------------------------------------


def email_delivery_record(
    *,
    event_type: str,
    message_id: str | None = None,
    recipient: str | None = None,
    timestamp: datetime | None = None,
    reject_reason: str | None = None,
    description: str = "",
    esp_name: str = "",
    metadata: dict | None = None,
) -> OutboundEmail | None:
    """Apply one provider event: update the email's delivery status, suppress the address on a
    bounce, a complaint or an unsubscribe. Returns the email row when it is one of ours.
    """
    when = timestamp or timezone.now()
    email = _email_for_event(message_id=message_id, metadata=metadata or {})
    if email is not None and event_type in DELIVERY_RANK:
        current = DELIVERY_RANK.get(email.delivery_status, -1)
        if DELIVERY_RANK[event_type] >= current:
            OutboundEmail.objects.filter(pk=email.pk).update(
                delivery_status=event_type, delivery_updated_at=when
            )
            email.delivery_status, email.delivery_updated_at = event_type, when
    address = recipient or (email.to if email is not None else "")
    if not address:
        return email
    reason = SUPPRESSING_EVENTS.get(event_type)
    if event_type == "rejected" and reject_reason in SUPPRESSING_REJECT_REASONS:
        reason = EmailSuppression.Reason.REJECTED
    if reason is not None:
        try:
            email_suppression_add(
                email=address, reason=reason, detail=description or "", esp_name=esp_name
            )
        except ValidationError:
            # Not an address we could ever have sent to; answering 500 would only make the
            # provider post it again and again.
            logger.warning("provider event for an unusable address ignored", exc_info=True)
    elif event_type == "subscribed":
        # The provider says the person opted in again at its end.
        email_suppression_lift(
            email=address,
            reasons=[EmailSuppression.Reason.UNSUBSCRIBED, EmailSuppression.Reason.REJECTED],
        )
    return email


def _email_for_event(*, message_id: str | None, metadata: dict) -> OutboundEmail | None:
    if message_id:
        email = OutboundEmail.objects.filter(provider_message_id=str(message_id)).first()
        if email is not None:
            return email
    outbox_id = str(metadata.get("outbox_id", ""))
    if outbox_id.isdigit():
        return OutboundEmail.objects.filter(pk=int(outbox_id)).first()
    return None
