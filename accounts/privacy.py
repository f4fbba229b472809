"""The privacy registry: a person's data exported ("download my data") and erased ("delete my
account"), each app contributing its part.

accounts sits below the apps that hold most of a person's data, so it cannot reach their rows
itself. Each app registers a part (`privacy_part_register`) from its AppConfig.ready(): an
exporter (`export(*, user) -> Export`: JSON-able parts and stored files) and an eraser
(`erase(*, user, erasure) -> {what: count}`). accounts registers its own part when this module
is imported, so it always comes first; the apps' `ready()` run in layer order after it. Export
runs the parts in that order; erasure runs them the other way round, the highest app first, so
each eraser still finds the rows below it (an application's documents before the profile).

What erasure does, decided here once:

- **The User row is kept as a nameless, inactive tombstone**, not deleted. Its email becomes
  `erased-<random>@erased.invalid`, its name empty, its password unusable; it loses staff and
  superuser rights, groups, memberships, allauth addresses and Clerk link. What the person did as
  a company member (scorecards they wrote, notes, stage moves, jobs they created) keeps pointing
  at that tombstone, so a company's records stay whole without saying who it was; deleting the
  row would cascade to colleagues' interviews' scorecards.
- **Everything about them as a candidate is deleted**: applications with their stage history,
  interviews, offers and notes, documents and their files in storage, profile (and its embedding),
  matches, enrichment, notifications and push subscriptions. So the partner API answers 404 for
  their applications and their candidate id, with no filter to remember in every selector. The
  price: a company's funnel no longer counts applications of people who erased themselves
  (the nightly retention of issue 8, which keeps statistics, is a different operation).
- **Rows that must stay are scrubbed**: the audit trail keeps each event but blanks the personal
  text (who, the target's description, the changes, the IP address) of events by or about them;
  the outbox keeps sent emails to them as nameless rows (unsent ones are dropped) and redacts
  their address, name and phone from emails to others (a recruiter's digest); the admin log
  forgets their description; job-board searches lose their link to them.
- Afterwards no text column holds their email, name, phone or resume text, with one exception
  made on purpose: the email confirming the erasure, queued last to their old address.
  `erasure_confirmations_scrub` blanks that address once the outbox is done with the email
  (the outbox task runs it after each sweep).
- Sessions: the view logs the person out; every other session of theirs stops working at its
  next request, since the account is inactive and its password hash (which Django checks
  sessions against) has changed.
- Their consent records are deleted; their erasure requests stay (the proof that one was
  answered), marked done. Webhook deliveries and stored Clerk events that name them are
  redacted (a Clerk event about them loses its payload: it spells the name in parts).

Retention's anonymisation (`account_anonymise`, applications/retention.py) is the same
erasure with one difference: `Erasure.anonymise` tells the applications part to keep the
applications (stage, status, dates, source, job, stage history, offers, scorecard ratings) on
the tombstone, without their personal content, so funnels and time-in-stage still count them.
It sends no confirmation email (nobody asked).

Consent (`consent_record`, `retention_consent_withdraw`): one append-only ConsentRecord per
consent given or withdrawn, with the version of the text shown (settings.CONSENT_TEXT_VERSIONS).
A withdrawal of the retention consent also clears it where the apps above keep a copy (the
applications' `consent_retention`), through `on_retention_consent_withdrawn` handlers.

Erasure requests (`erasure_request_file`, `erasure_request_erase`, `erasure_request_refuse`):
when self-service erasure is refused (the last owner of a company), the person files a request
that staff must answer within ERASURE_DEADLINE_DAYS (GDPR art. 12(3): one month).
"""

from __future__ import annotations

import base64
import json
import re
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.mail import email_queue, emails_suppressed
from accounts.models import (
    AuditEvent,
    CandidateProfile,
    ClerkEvent,
    ConsentPurpose,
    ConsentRecord,
    EmailSuppression,
    ErasureRequest,
    Membership,
    Notification,
    NotificationPreference,
    OutboundEmail,
    PushSubscription,
    Role,
    User,
    WebhookDelivery,
)
from accounts.permissions import forget_roles
from accounts.services import audit_record
from recruitment.api import ApplicationError

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never delivered anywhere
ERASED_EMAIL = f"erased@{ERASED_DOMAIN}"
ERASED = "[erased]"
CONFIRMATION_KIND = "account.erased"

# --- The registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """A stored file to put in the archive, under `name` (a path such as `files/3-cv.pdf`)."""

    name: str
    storage: str  # an alias of settings.STORAGES
    key: str


@dataclass
class Export:
    """One app's part of a person's data: `parts` become `<name>.json` files in the archive."""

    parts: dict[str, Any] = field(default_factory=dict)
    files: list[ExportFile] = field(default_factory=list)


@dataclass
class Erasure:
    """What one erasure knows and collects while its parts run.

    `values` are the person's strings to look for in rows that stay (their addresses, name,
    phone); each eraser adds to `subjects` the (model label, pk) of the rows it erases that the
    audit trail may name as a target, so the accounts part can blank those events at the end.
    """

    user: User
    values: list[str]
    subjects: dict[str, set[str]] = field(default_factory=dict)
    # Retention: keep the applications for statistics, without their personal content.
    anonymise: bool = False

    def add_subjects(self, label: str, ids: Iterable[Any]) -> None:
        self.subjects.setdefault(label, set()).update(str(pk) for pk in ids)


Exporter = Callable[..., Export]  # export(*, user) -> Export
Eraser = Callable[..., dict[str, int]]  # erase(*, user, erasure) -> {what: count}


@dataclass(frozen=True)
class PrivacyPart:
    name: str
    export: Exporter
    erase: Eraser


_parts: dict[str, PrivacyPart] = {}


def privacy_part_register(*, name: str, export: Exporter, erase: Eraser) -> PrivacyPart:
    """Register an app's part (once per name: registering again replaces it in place)."""
    part = PrivacyPart(name=name, export=export, erase=erase)
    _parts[name] = part
    return part


def privacy_parts() -> tuple[PrivacyPart, ...]:
    """The registered parts in layer order: accounts first."""
    return tuple(_parts.values())


# --- Download my data -------------------------------------------------------------------------

README = """Your data, as {site} held it on {when} (UTC).

Each .json file is one kind of data (profile.json, applications.json, consents.json,
messages.json, ...), in UTF-8 JSON. The files/ folder holds the documents you uploaded, as
you uploaded them. Times are in UTC (ISO 8601).
"""


def account_export(*, user: User, ip_address: str | None = None) -> IO[bytes]:
    """Build the zip of everything held about `user`; return it as an open temporary file,
    positioned at its start (the caller streams and closes it). Audited."""
    archive = tempfile.TemporaryFile()  # the response closes it
    try:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            now = timezone.now()
            zipped.writestr(
                "README.txt", README.format(site="Recruitment", when=f"{now:%Y-%m-%d %H:%M}")
            )
            names: set[str] = set()
            for part in privacy_parts():
                export = part.export(user=user)
                for name, value in export.parts.items():
                    if name in names:
                        raise RuntimeError(f"Two privacy parts export {name}.json")
                    names.add(name)
                    body = json.dumps(value, cls=_Encoder, indent=2, ensure_ascii=False)
                    zipped.writestr(f"{name}.json", body)
                for stored in export.files:
                    storage = storages[stored.storage]
                    try:
                        with (
                            storage.open(stored.key, "rb") as fh,
                            zipped.open(stored.name, "w", force_zip64=True) as out,
                        ):
                            for chunk in iter(lambda fh=fh: fh.read(1024 * 1024), b""):
                                out.write(chunk)
                    except FileNotFoundError:
                        continue  # lost from storage: documents.json still lists it
        audit_record(action="privacy.exported", actor=user, target=user, ip_address=ip_address)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime):  # full precision, in UTC (DjangoJSONEncoder cuts to ms)
            return o.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if hasattr(o, "tolist"):  # a pgvector embedding (numpy array)
            return [float(x) for x in o.tolist()]
        return super().default(o)


def _accounts_export(*, user: User) -> Export:
    profile = CandidateProfile.objects.filter(user=user).first()
    preference = NotificationPreference.objects.filter(user=user).first()
    account = {
        "email": user.email,
        "full_name": user.full_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "memberships": [
            {"company": m.company.name, "role": m.get_role_display(), "since": m.created_at}
            for m in Membership.objects.filter(user=user).select_related("company")
        ],
    }
    parts: dict[str, Any] = {
        "account": account,
        "profile": _profile_data(profile) if profile is not None else None,
        "notification_preferences": (
            _row_data(preference, exclude={"id", "user"}) if preference is not None else None
        ),
        "notifications": [
            {
                "kind": n.get_kind_display(),
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in Notification.objects.filter(user=user).order_by("-created_at", "-id")
        ],
        "push_subscriptions": [
            {"endpoint": s.endpoint, "user_agent": s.user_agent, "created_at": s.created_at}
            for s in PushSubscription.objects.filter(user=user).order_by("pk")
        ],
        "messages": [
            {
                "to": e.to,
                "kind": e.kind,
                "subject": e.subject,
                "body": e.body_text,
                "attachments": [a.get("filename", "") for a in e.attachments],
                "status": e.get_status_display(),
                "created_at": e.created_at,
                "sent_at": e.sent_at,
            }
            for e in _emails_to(user, _addresses(user)).order_by("created_at", "pk")
        ],
        "consent_records": [
            {
                "purpose": record.get_purpose_display(),
                "granted": record.granted,
                "text_version": record.text_version,
                "about": record.subject,
                "at": record.created_at,
            }
            for record in ConsentRecord.objects.filter(user=user).order_by("created_at", "id")
        ],
        "activity": [
            {
                "action": event.action,
                "on": event.target_type,
                "at": event.created_at,
                "ip_address": event.ip_address,
            }
            for event in AuditEvent.objects.filter(actor=user).order_by("created_at", "id")
        ],
    }
    return Export(parts=parts)


def _profile_data(profile: CandidateProfile) -> dict[str, Any]:
    data = _row_data(profile, exclude={"id", "user", "content_hash"})
    embedding = data.pop("embedding")
    data["embedding"] = None if embedding is None else [float(x) for x in embedding]
    return data


def _row_data(row, *, exclude: set[str]) -> dict[str, Any]:
    return {
        f.name: getattr(row, f.attname) for f in row._meta.concrete_fields if f.name not in exclude
    }


# --- Delete my account ------------------------------------------------------------------------


def account_memberships(*, user: User) -> list[Membership]:
    """The companies `user` would leave by erasing their account."""
    return list(
        Membership.objects.filter(user=user).select_related("company").order_by("company__name")
    )


def account_erase_refusal(*, user: User) -> str | None:
    """Why `user` cannot erase their account themselves, or None when they can."""
    owned = Membership.objects.filter(user=user, role=Role.OWNER).values("company_id")
    alone = (
        Membership.objects.filter(company_id__in=owned, role=Role.OWNER)
        .values("company_id", "company__name")
        .order_by("company__name")
    )
    counts: dict[int, list] = {}
    for row in alone:
        counts.setdefault(row["company_id"], [row["company__name"], 0])[1] += 1
    last = [name for name, owners in counts.values() if owners == 1]
    if last:
        return (
            f"You are the only owner of {', '.join(last)}. Make someone else an owner of "
            f"{'it' if len(last) == 1 else 'them'} in the back office first, then delete your "
            "account."
        )
    return None


@transaction.atomic
def account_erase(*, user: User, actor: User | None = None) -> dict[str, int]:
    """Erase `user` through every registered part, the highest app first, then queue the email
    confirming it to their old address. Returns what each part removed or scrubbed. The
    caller logs the person out (their other sessions die by themselves, see above). `actor` is
    the staff member who erased them on request (None: the person themselves).

    Raise ApplicationError (`last_owner`) when a company would be left without an owner.
    """
    user = _locked_for_erasure(user)
    address = user.email
    mailable = address.lower() not in emails_suppressed([address])
    counts = _parts_erase(Erasure(user=user, values=_personal_values(user)))
    if mailable:
        _confirmation_queue(address)
    audit_record(
        action="privacy.erased", actor=actor or user, target=user, changes={"counts": counts}
    )
    return counts


@transaction.atomic
def account_anonymise(*, user: User, reason: str) -> dict[str, int]:
    """Erase `user` for retention (`reason` says which rule), keeping their applications on
    the tombstone for statistics (see above). No email is sent. Same refusal as erasure."""
    user = _locked_for_erasure(user)
    counts = _parts_erase(Erasure(user=user, values=_personal_values(user), anonymise=True))
    audit_record(
        action="privacy.anonymised", target=user, changes={"counts": counts, "reason": reason}
    )
    return counts


def _locked_for_erasure(user: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    # Lock the owner memberships of their companies, so two owners can't leave at once.
    list(
        Membership.objects.select_for_update()
        .filter(
            company_id__in=Membership.objects.filter(user=user, role=Role.OWNER).values(
                "company_id"
            ),
            role=Role.OWNER,
        )
        .values_list("pk")
    )
    if (refusal := account_erase_refusal(user=user)) is not None:
        raise ApplicationError(refusal, code="last_owner")
    return user


def _parts_erase(erasure: Erasure) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in reversed(privacy_parts()):
        for what, count in part.erase(user=erasure.user, erasure=erasure).items():
            counts[f"{part.name}.{what}"] = count
    return counts


def _personal_values(user: User) -> list[str]:
    """The strings that identify `user` in rows that are not theirs alone."""
    values = set(_addresses(user))
    if len(user.full_name.strip()) >= 4:  # shorter would redact unrelated words
        values.add(" ".join(user.full_name.split()))
    profile = CandidateProfile.objects.filter(user=user).only("phone").first()
    if profile is not None and len(profile.phone) >= 6:
        values.add(profile.phone)
    if user.clerk_user_id:
        values.add(user.clerk_user_id)
    return sorted(values, key=len, reverse=True)


def _addresses(user: User) -> list[str]:
    addresses = {user.email.lower()}
    addresses.update(
        e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    )
    return sorted(addresses)


def _emails_to(user: User, addresses: list[str]):
    to = Q(user=user)
    for address in addresses:
        to |= Q(to__iexact=address)
    return OutboundEmail.objects.filter(to)


def _confirmation_queue(address: str) -> None:
    email_queue(
        to=address,
        kind=CONFIRMATION_KIND,
        subject="Your account has been deleted",
        body_text=(
            "Hello,\n\n"
            "As you asked, we have deleted your account and the personal data we held about "
            "you: your profile, your applications and the documents you sent, your job "
            "matches and your notifications.\n\n"
            "This is the last email we send to this address. If you did not ask for this, "
            "reply to this email.\n"
        ),
        dedupe_key=f"{CONFIRMATION_KIND}:{uuid.uuid4().hex}",
    )


def erasure_confirmations_scrub(*, email_ids: list[int] | None = None) -> int:
    """Blank the address of erasure confirmations the outbox is done with (sent or failed):
    all of them (the sweeper), or those among `email_ids` (the task that just sent them)."""
    confirmations = OutboundEmail.objects.filter(
        kind=CONFIRMATION_KIND,
        status__in=[OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED],
    )
    if email_ids is not None:
        confirmations = confirmations.filter(pk__in=email_ids)
    return confirmations.exclude(to=ERASED_EMAIL).update(
        to=ERASED_EMAIL, provider_message_id="", last_error=""
    )


def _redactor(values: list[str]) -> Callable[[str], str]:
    if not values:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(v) for v in values), re.IGNORECASE)
    return lambda text: pattern.sub(ERASED, text) if text else text


def _redact_json(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(v, redact) for v in value]
    if isinstance(value, dict):
        return {redact(k): _redact_json(v, redact) for k, v in value.items()}
    return value


def _mentions(fields: Iterable[str], values: list[str]) -> Q:
    found = Q(pk__in=[])
    for name in fields:
        for value in values:
            found |= Q(**{f"{name}__icontains": value})
    return found


def _accounts_erase(*, user: User, erasure: Erasure) -> dict[str, int]:
    counts: dict[str, int] = {}
    redact = _redactor(erasure.values)
    erasure.add_subjects("accounts.user", [user.pk])

    memberships = list(Membership.objects.filter(user=user).select_related("company"))
    for membership in memberships:
        audit_record(
            action="membership.removed",
            target=membership,
            company=membership.company,
            changes={"role": [membership.role, None], "reason": "account erased"},
        )
    erasure.add_subjects("accounts.membership", [m.pk for m in memberships])
    counts["memberships"] = Membership.objects.filter(user=user).delete()[0]
    forget_roles(user)

    counts["notifications"] = Notification.objects.filter(user=user).count()
    Notification.objects.filter(user=user).delete()  # and their pushes
    counts["push_subscriptions"] = PushSubscription.objects.filter(user=user).delete()[0]

    profile = CandidateProfile.objects.filter(user=user).first()
    if profile is not None:
        erasure.add_subjects("accounts.candidateprofile", [profile.pk])
        profile.delete()  # its embedding with it
        counts["profile"] = 1
    preference = NotificationPreference.objects.filter(user=user).first()
    if preference is not None:
        erasure.add_subjects("accounts.notificationpreference", [preference.pk])
        preference.delete()
    addresses = _addresses(user)
    counts["email_addresses"] = EmailAddress.objects.filter(user=user).delete()[0]
    counts["suppressions"] = EmailSuppression.objects.filter(email__in=addresses).delete()[0]

    counts["consent_records"] = ConsentRecord.objects.filter(user=user).delete()[0]
    counts["erasure_requests_done"] = ErasureRequest.objects.filter(
        user=user, status=ErasureRequest.Status.PENDING
    ).update(status=ErasureRequest.Status.DONE, resolved_at=timezone.now())
    requests = list(ErasureRequest.objects.filter(user=user).exclude(reason=""))
    for request in requests:  # staff wrote the reasons; they may name them
        request.reason = redact(request.reason)
    ErasureRequest.objects.bulk_update(requests, ["reason"])
    counts.update(_outbox_erase(user, addresses, erasure.values, redact))
    counts["webhook_deliveries"] = _webhook_deliveries_erase(erasure.values, redact)
    counts["clerk_events"] = _clerk_events_erase(erasure.values)
    counts["admin_log"] = _admin_log_erase(user, erasure, redact)
    counts["audit_events"] = _audit_erase(user, erasure, redact)

    user.email = f"erased-{uuid.uuid4().hex}@{ERASED_DOMAIN}"
    user.full_name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.clerk_user_id = None
    user.last_login = None
    user.full_clean()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return counts


def _outbox_erase(
    user: User, addresses: list[str], values: list[str], redact: Callable[[str], str]
) -> dict[str, int]:
    """Drop unsent emails to them, keep sent ones as nameless rows, redact them from others'."""
    theirs = _emails_to(user, addresses)
    unsent = theirs.filter(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING])
    dropped = unsent.delete()[0]
    sent = list(theirs.values_list("pk", flat=True))
    for pk in sent:
        OutboundEmail.objects.filter(pk=pk).update(
            user=None,
            to=ERASED_EMAIL,
            subject=ERASED,
            body_text="",
            body_html="",
            attachments=[],
            headers={},
            refs=[],
            last_error="",
            provider_message_id="",
            dedupe_key=f"erased:{pk}",
        )
    others = list(
        OutboundEmail.objects.filter(
            _mentions(("subject", "body_text", "body_html", "dedupe_key"), values)
        ).exclude(pk__in=sent)
    )
    for email in others:
        email.subject = redact(email.subject)
        email.body_text = redact(email.body_text)
        email.body_html = redact(email.body_html)
        email.attachments = [_attachment_redact(a, redact) for a in email.attachments]
        email.dedupe_key = redact(email.dedupe_key)
    OutboundEmail.objects.bulk_update(
        others, ["subject", "body_text", "body_html", "attachments", "dedupe_key"]
    )
    return {"emails_dropped": dropped, "emails_scrubbed": len(sent), "emails_redacted": len(others)}


def _webhook_deliveries_erase(values: list[str], redact: Callable[[str], str]) -> int:
    """Redact them from webhook bodies (an interview's title may name them) and answers."""
    deliveries = list(
        WebhookDelivery.objects.annotate(payload_text=Cast("payload", TextField())).filter(
            _mentions(("payload_text", "response_excerpt", "last_error"), values)
        )
    )
    for delivery in deliveries:
        delivery.payload = _redact_json(delivery.payload, redact)
        delivery.response_excerpt = redact(delivery.response_excerpt)
        delivery.last_error = redact(delivery.last_error)
    WebhookDelivery.objects.bulk_update(deliveries, ["payload", "response_excerpt", "last_error"])
    return len(deliveries)


def _clerk_events_erase(values: list[str]) -> int:
    """Clerk events about them lose their payload: it holds their name in parts, phone numbers
    and picture, which no redaction of whole values would catch. The event's type, svix id and
    times stay (replays are still recognised)."""
    return (
        ClerkEvent.objects.annotate(payload_text=Cast("payload", TextField()))
        .filter(_mentions(("payload_text",), values))
        .update(payload={"erased": True}, detail=ERASED)
    )


def _attachment_redact(attachment: dict, redact: Callable[[str], str]) -> dict:
    content = attachment.get("content_base64")
    if not content:
        return attachment
    try:
        text = base64.b64decode(content).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return {k: v for k, v in attachment.items() if k != "content_base64"}  # can't tell: drop
    # Unfold iCalendar lines (RFC 5545 3.1), or a value split over two lines escapes the search.
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "")
    redacted = redact(unfolded)
    if redacted == unfolded:
        return attachment
    return {**attachment, "content_base64": base64.b64encode(redacted.encode()).decode("ascii")}


def _subjects_q(subjects: dict[str, set[str]], type_field: str, id_field: str) -> Q:
    found = Q(pk__in=[])
    for label, ids in subjects.items():
        found |= Q(**{type_field: label, f"{id_field}__in": sorted(ids)})
    return found


def _admin_log_erase(user: User, erasure: Erasure, redact: Callable[[str], str]) -> int:
    types = {
        label: ContentType.objects.get_by_natural_key(*label.split(".")).pk
        for label in erasure.subjects
    }
    about = Q(pk__in=[])
    for label, ids in erasure.subjects.items():
        about |= Q(content_type_id=types[label], object_id__in=sorted(ids))
    entries = list(
        LogEntry.objects.filter(
            about | _mentions(("object_repr", "change_message"), erasure.values)
        )
    )
    for entry in entries:
        entry.object_repr = redact(entry.object_repr)[:200]
        entry.change_message = redact(entry.change_message)
    LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])
    return len(entries)


def _audit_erase(user: User, erasure: Erasure, redact: Callable[[str], str]) -> int:
    """Blank the personal text of the events by or about `user`; the events stay.

    The trail is append-only in the database; the trigger lets an erasure change these four
    columns, and only while `accounts.audit_erasure` is on in this transaction.
    """
    about = _subjects_q(erasure.subjects, "target_type", "target_id")
    mentions = AuditEvent.objects.annotate(changes_text=Cast("changes", TextField())).filter(
        _mentions(("actor_label", "target_repr", "changes_text"), erasure.values)
    )
    events = list(
        AuditEvent.objects.filter(Q(actor=user) | about | Q(pk__in=mentions.values("pk"))).order_by(
            "pk"
        )
    )
    subjects = {(label, pk) for label, ids in erasure.subjects.items() for pk in ids}
    for event in events:
        if event.actor_id == user.pk:
            event.actor_label = ERASED
            event.ip_address = None
        if (event.target_type, event.target_id) in subjects:
            event.target_repr = ERASED
            event.changes = {}
        event.actor_label = redact(event.actor_label)
        event.target_repr = redact(event.target_repr)
        event.changes = _redact_json(event.changes, redact)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('accounts.audit_erasure', 'on', true)")
        AuditEvent.objects.bulk_update(
            events, ["actor_label", "target_repr", "changes", "ip_address"], batch_size=500
        )
        cursor.execute("SELECT set_config('accounts.audit_erasure', 'off', true)")
    return len(events)


# --- Consent ----------------------------------------------------------------------------------


def consent_text_version(purpose: str) -> str:
    """The version of the consent text shown now for `purpose` (settings.CONSENT_TEXT_VERSIONS)."""
    return settings.CONSENT_TEXT_VERSIONS[ConsentPurpose(purpose).value]


def consent_record(*, user: User, purpose: str, granted: bool, subject: str = "") -> ConsentRecord:
    """Append one consent given (or withdrawn) by `user`, with the version of the text shown."""
    record = ConsentRecord(
        user=user,
        purpose=purpose,
        granted=granted,
        text_version=consent_text_version(purpose),
        subject=subject,
    )
    record.full_clean()
    record.save()
    return record


def consent_latest(*, user: User, purpose: str) -> ConsentRecord | None:
    """The current state of `user`'s consent to `purpose`: their latest record, if any."""
    return (
        ConsentRecord.objects.filter(user=user, purpose=purpose)
        .order_by("-created_at", "-id")
        .first()
    )


RetentionWithdrawn = Callable[..., int]  # handler(*, user) -> how many copies it cleared
_retention_withdrawn: dict[str, RetentionWithdrawn] = {}


def on_retention_consent_withdrawn(name: str, handler: RetentionWithdrawn) -> None:
    """Let an app above clear its own copies of the retention consent when it is withdrawn
    (registered from its AppConfig.ready(); once per name)."""
    _retention_withdrawn[name] = handler


@transaction.atomic
def retention_consent_withdraw(*, user: User, ip_address: str | None = None) -> ConsentRecord:
    """Withdraw `user`'s consent to keeping their data for future openings: a record of the
    withdrawal, every app's copy cleared, audited. From then on retention may anonymise them."""
    User.objects.select_for_update().filter(pk=user.pk).exists()  # one withdrawal at a time
    record = consent_record(user=user, purpose=ConsentPurpose.RETENTION, granted=False)
    cleared = {name: handler(user=user) for name, handler in _retention_withdrawn.items()}
    audit_record(
        action="consent.withdrawn",
        actor=user,
        target=record,
        changes={"purpose": ConsentPurpose.RETENTION.value, "cleared": cleared},
        ip_address=ip_address,
    )
    return record


# --- Erasure requests -------------------------------------------------------------------------


@transaction.atomic
def erasure_request_file(*, user: User, reason: str = "") -> tuple[ErasureRequest, bool]:
    """File `user`'s request to be erased, due ERASURE_DEADLINE_DAYS from now; a person has
    one pending request at most, so asking again returns it. Returns (request, created)."""
    User.objects.select_for_update().filter(pk=user.pk).exists()  # two clicks, one request
    pending = ErasureRequest.objects.filter(user=user, status=ErasureRequest.Status.PENDING)
    if (existing := pending.order_by("requested_at", "pk").first()) is not None:
        return existing, False
    now = timezone.now()
    request = ErasureRequest(
        user=user,
        reason=reason[:255],
        requested_at=now,
        due_at=now + timedelta(days=settings.ERASURE_DEADLINE_DAYS),
    )
    request.full_clean()
    request.save()
    audit_record(action="privacy.erasure_requested", actor=user, target=request)
    return request, True


def _pending_request(request: ErasureRequest) -> ErasureRequest:
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ErasureRequest.Status.PENDING:
        raise ApplicationError(
            f"This request is already {request.get_status_display().lower()}.",
            code="erasure_request_closed",
        )
    if request.user_id is None:
        raise ApplicationError("This request names no account.", code="erasure_request_no_user")
    return request


@transaction.atomic
def erasure_request_erase(*, request: ErasureRequest, actor: User) -> ErasureRequest:
    """Answer a pending request by erasing its person now (account_erase, which refuses while
    they are a company's last owner), and mark it done by `actor`. Audited by both."""
    request = _pending_request(request)
    account_erase(user=request.user, actor=actor)  # marks the pending request done
    request.refresh_from_db()
    request.status = ErasureRequest.Status.DONE
    request.resolved_by = actor
    request.resolved_at = request.resolved_at or timezone.now()
    request.full_clean()
    request.save()
    audit_record(action="privacy.erasure_request_done", actor=actor, target=request)
    return request


@transaction.atomic
def erasure_request_refuse(*, request: ErasureRequest, actor: User, reason: str) -> ErasureRequest:
    """Refuse a pending request, saying why (GDPR art. 17(3) grounds, e.g. a legal hold)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the request is refused."})
    request = _pending_request(request)
    request.status = ErasureRequest.Status.REFUSED
    request.reason = reason.strip()[:255]
    request.resolved_by = actor
    request.resolved_at = timezone.now()
    request.full_clean()
    request.save()
    audit_record(
        action="privacy.erasure_request_refused",
        actor=actor,
        target=request,
        changes={"reason": request.reason},
    )
    return request


privacy_part_register(name="accounts", export=_accounts_export, erase=_accounts_erase)
