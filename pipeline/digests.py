"""The send stage: build the candidate and recruiter digests and queue them in the outbox.

A candidate digest lists the candidate's new matches (status "new", not stale) on open jobs,
best first, and marks them notified. A recruiter digest lists, for each open job of the recruiter's
companies, the best matches not yet sent to that recruiter; which ones were sent is kept on the
outbox rows themselves (`OutboundEmail.refs`).

Users are taken a chunk at a time (DIGEST_CHUNK_SIZE): a few queries read what the chunk's
digests need, and one INSERT queues them, so a digest costs its rendering, not a dozen queries.

Each email is queued exactly once:
- the outbox rows and the notified marks of a chunk are written in one transaction;
- an email's dedupe key is derived from the user and the sorted ids of the matches it lists, so
  a re-run (or a redelivered task) that finds the same matches writes nothing new;
- a transaction-scoped advisory lock per user and digest, taken in id order for the whole chunk,
  serialises concurrent runs, so the second one sees the first one's email (not due yet) and
  its notified matches.
Sending is the outbox's job (`accounts.mail.outbox_send_due`), not this module's.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.mail import (
    DIGESTS,
    email_build,
    emails_queue,
    emails_suppressed,
    unsubscribe_headers,
    unsubscribe_token_make,
    unsubscribe_url,
)
from accounts.models import (
    DigestFrequency,
    Membership,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboundEmail,
    User,
)
from accounts.notifications import notify_many
from accounts.permissions import ROLE_HIERARCHY, role_has_perm
from jobs.models import Job
from pipeline.models import Match
from pipeline.runs import RunProgress

logger = logging.getLogger(__name__)

CANDIDATE_KIND = "match.digest"
RECRUITER_KIND = "recruiter.digest"
# Members whose role may see a job's matched candidates get the recruiter digest.
RECRUITER_DIGEST_PERM = "matches.view"
# First key of pg_advisory_xact_lock(key, user id), one per digest kind.
DIGEST_LOCK_KEYS = {CANDIDATE_KIND: 7_301, RECRUITER_KIND: 7_302}
_PREFERENCE_FIELD = {CANDIDATE_KIND: "match_digest", RECRUITER_KIND: "recruiter_digest"}
# Users whose digests are built in one transaction: big enough that the chunk's queries cost
# little per digest, small enough that its locks are held for a fraction of a second.
DIGEST_CHUNK_SIZE = 200
# What a candidate digest reads of a match, its job and company (a job row also holds its
# description and embedding, which would cost more to load than the whole digest).
_CANDIDATE_MATCH_FIELDS = (
    "score",
    "explanation",
    "job__title",
    "job__city",
    "job__region",
    "job__country",
    "job__remote",
    "job__salary_min",
    "job__salary_max",
    "job__salary_currency",
    "job__salary_period",
    "job__external_url",
    "job__company__name",
    "job__slug",  # the job page's address
    "job__company__slug",
)


@dataclass(frozen=True)
class DigestOutcome:
    """What happened for one user: queued, not_due, nothing_new, off, suppressed, inactive,
    gone, duplicate (the same matches were already queued), or invalid (`error` says why)."""

    status: str
    email: OutboundEmail | None = None
    error: ValidationError | None = None


# Builds the email of one due user (it raises ValidationError for an unusable one) and returns
# it with the ids of the matches to mark notified once it is queued; None when there is nothing.
_Build = Callable[[User], tuple[OutboundEmail, list[int]] | None]


def digests_send(*, now: datetime | None = None, progress: RunProgress | None = None) -> dict:
    """Queue every due candidate and recruiter digest; return counts by outcome.

    Running it twice, or twice at once, queues each email once.
    """
    now = now or timezone.now()
    candidate_ids = _candidate_user_ids()
    recruiter_ids = _recruiter_user_ids(now=now)
    if progress is not None:
        progress.add_total(len(candidate_ids) + len(recruiter_ids))
    counts: Counter[str] = Counter()
    for prefix, user_ids, queue in (
        ("candidate", candidate_ids, candidate_digests_queue),
        ("recruiter", recruiter_ids, recruiter_digests_queue),
    ):
        for start in range(0, len(user_ids), DIGEST_CHUNK_SIZE):
            chunk = user_ids[start : start + DIGEST_CHUNK_SIZE]
            outcomes = queue(user_ids=chunk, now=now)
            chunk_counts = Counter(f"{prefix}_{outcomes[user_id].status}" for user_id in chunk)
            for user_id in chunk:
                _report_invalid(user_id, outcomes[user_id], progress)
            counts.update(chunk_counts)
            if progress is not None:
                progress.advance(len(chunk), **chunk_counts)
    counts["emails_queued"] = counts["candidate_queued"] + counts["recruiter_queued"]
    return dict(counts)


def _report_invalid(user_id: int, outcome: DigestOutcome, progress: RunProgress | None) -> None:
    # One user's unusable address (say) must not stop everybody else's digest.
    if outcome.error is None:
        return
    if progress is not None:
        progress.skip("invalid", detail=f"user {user_id}: {outcome.error}")
    else:
        logger.warning("digest skipped", extra={"user": user_id, "error": str(outcome.error)})


# --- Candidates -------------------------------------------------------------------------------


def _candidate_user_ids() -> list[int]:
    """Active users with new matches on open jobs whose match digest is on."""
    default = NotificationPreference._meta.get_field("match_digest").default
    return list(
        User.objects.filter(
            is_active=True,
            candidate_profile__matches__status=Match.Status.NEW,
            candidate_profile__matches__stale_at__isnull=True,
            candidate_profile__matches__job__status=Job.Status.OPEN,
        )
        .annotate(frequency=Coalesce(F("notification_preference__match_digest"), Value(default)))
        .exclude(frequency=DigestFrequency.NEVER)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


@transaction.atomic
def candidate_digests_queue(
    *, user_ids: list[int], now: datetime | None = None
) -> dict[int, DigestOutcome]:
    """Queue the due digests of new matches of these candidates and mark the matches notified;
    return each user's outcome."""
    now = now or timezone.now()
    due, outcomes = _due_users(CANDIDATE_KIND, user_ids=user_ids, now=now)
    new = _candidate_new_matches(user_ids=[user.pk for user in due])

    def build(user: User) -> tuple[OutboundEmail, list[int]] | None:
        matches, total = new.get(user.pk, ([], 0))
        return _candidate_email(user, matches, more=total - len(matches), now=now)

    queued = _digests_queue(due, build=build, now=now)
    _candidate_digests_notify(queued)
    return {**outcomes, **queued}


def _candidate_digests_notify(outcomes: dict[int, DigestOutcome]) -> None:
    """Each queued digest also lands in the candidate's notification list (and goes out by web
    push when they chose it), once per digest email."""
    url = reverse("me-dashboard") + "#jobs-for-you"
    notify_many(
        notifications=[
            Notification(
                user_id=user_id,
                kind=NotificationKind.MATCH_DIGEST,
                title=outcome.email.subject,
                body="See them, with why each one fits, under Jobs for you.",
                url=url,
                dedupe_key=f"{outcome.email.dedupe_key}:notice",
            )
            for user_id, outcome in outcomes.items()
            if outcome.status == "queued"
        ]
    )


def _candidate_new_matches(*, user_ids: list[int]) -> dict[int, tuple[list[Match], int]]:
    """Per user: the best DIGEST_MAX_MATCHES new matches on open jobs, best first, and how many
    new ones there are in all."""
    user = F("candidate__user_id")
    ranked = (
        Match.objects.filter(
            candidate__user_id__in=user_ids,
            status=Match.Status.NEW,
            stale_at__isnull=True,
            job__status=Job.Status.OPEN,
        )
        .annotate(
            digest_user_id=user,
            rank=Window(RowNumber(), partition_by=[user], order_by=[F("score").desc(), "pk"]),
            new_total=Window(Count("pk"), partition_by=[user]),
        )
        .filter(rank__lte=settings.DIGEST_MAX_MATCHES)
        .select_related("job__company")
        .only(*_CANDIDATE_MATCH_FIELDS)
        .order_by("digest_user_id", "rank")
    )
    new: dict[int, tuple[list[Match], int]] = {}
    for match in ranked:
        new.setdefault(match.digest_user_id, ([], match.new_total))[0].append(match)
    return new


def _candidate_email(
    user: User, matches: list[Match], *, more: int, now: datetime
) -> tuple[OutboundEmail, list[int]] | None:
    if not matches:
        return None
    ids = sorted(match.pk for match in matches)
    context = {
        **_common_context(user, CANDIDATE_KIND),
        "matches": [_match_for_candidate(match) for match in matches],
        "more": more,
    }
    count = len(matches)
    email = email_build(
        to=user.email,
        user=user,
        kind=CANDIDATE_KIND,
        subject=f"{count} new job match{'es' if count != 1 else ''} for you",
        body_text=render_to_string("email/match_digest.txt", context),
        body_html=render_to_string("email/match_digest.html", context),
        headers=unsubscribe_headers(token=context["unsubscribe_token"]),
        refs=ids,
        dedupe_key=_dedupe_key(CANDIDATE_KIND, user.pk, ids),
        now=now,
    )
    return email, ids


def _match_for_candidate(match: Match) -> dict:
    job = match.job
    return {
        "title": job.title,
        "company": job.company.name,
        "place": _place(job.city, job.region, job.country),
        "remote": job.get_remote_display() if job.remote != Job.Remote.ONSITE else "",
        "salary": job.salary_display,
        "score": round(match.score * 100),
        "matched_skills": _skills(match),
        "url": _job_url(job),
    }


# --- Recruiters -------------------------------------------------------------------------------


def _recruiter_roles() -> list[str]:
    return [role for role in ROLE_HIERARCHY if role_has_perm(role, RECRUITER_DIGEST_PERM)]


def _lookback_start(now: datetime) -> datetime:
    return now - timedelta(days=settings.DIGEST_RECRUITER_LOOKBACK_DAYS)


def _recruiter_user_ids(*, now: datetime) -> list[int]:
    """Active members who may see matches, of tenants with recent matches on open jobs, whose
    recruiter digest is on."""
    default = NotificationPreference._meta.get_field("recruiter_digest").default
    return list(
        Membership.objects.filter(
            role__in=_recruiter_roles(),
            user__is_active=True,
            company__is_tenant=True,
            company__jobs__status=Job.Status.OPEN,
            company__jobs__matches__created_at__gte=_lookback_start(now),
            company__jobs__matches__stale_at__isnull=True,
        )
        .annotate(
            frequency=Coalesce(F("user__notification_preference__recruiter_digest"), Value(default))
        )
        .exclude(frequency=DigestFrequency.NEVER)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


@transaction.atomic
def recruiter_digests_queue(
    *, user_ids: list[int], now: datetime | None = None
) -> dict[int, DigestOutcome]:
    """Queue these recruiters' due digests: per open job, the best matches not yet sent to them.
    Return each user's outcome."""
    now = now or timezone.now()
    due, outcomes = _due_users(RECRUITER_KIND, user_ids=user_ids, now=now)

    def build(user: User) -> tuple[OutboundEmail, list[int]] | None:
        return _recruiter_email(user, _recruiter_matches(user_id=user.pk, now=now), now=now)

    return {**outcomes, **_digests_queue(due, build=build, now=now)}


def _recruiter_email(
    user: User, matches: list[Match], *, now: datetime
) -> tuple[OutboundEmail, list[int]] | None:
    if not matches:
        return None
    ids = sorted(match.pk for match in matches)
    jobs: dict[int, dict] = {}
    for match in matches:
        job = match.job
        entry = jobs.setdefault(
            job.pk,
            {
                "title": job.title,
                "company": job.company.name,
                "place": _place(job.city, job.region, job.country),
                "url": _admin_url("admin:jobs_job_change", job.pk),
                "candidates": [],
            },
        )
        entry["candidates"].append(_match_for_recruiter(match))
    context = {
        **_common_context(user, RECRUITER_KIND),
        "jobs": list(jobs.values()),
        "total": len(matches),
        "matches_url": _admin_url("admin:pipeline_match_changelist"),
    }
    count = len(matches)
    email = email_build(
        to=user.email,
        user=user,
        kind=RECRUITER_KIND,
        subject=f"{count} new candidate{'s' if count != 1 else ''} for your open jobs",
        body_text=render_to_string("email/recruiter_digest.txt", context),
        body_html=render_to_string("email/recruiter_digest.html", context),
        headers=unsubscribe_headers(token=context["unsubscribe_token"]),
        refs=ids,
        dedupe_key=_dedupe_key(RECRUITER_KIND, user.pk, ids),
        now=now,
    )
    # The recruiter digest doesn't change what the candidates are told: nothing to mark.
    return email, []


def _recruiter_matches(*, user_id: int, now: datetime) -> list[Match]:
    """The matches of one recruiter's next digest: the best `DIGEST_MATCHES_PER_JOB` unsent
    ones of each open job, the jobs with the best matches first, `DIGEST_MAX_MATCHES` in all."""
    roles = _recruiter_roles()
    company_ids = list(
        Membership.objects.filter(
            user_id=user_id, role__in=roles, company__is_tenant=True
        ).values_list("company_id", flat=True)
    )
    since = _lookback_start(now)
    # A match made since `since` can only be in a digest made since then, so this is all of
    # what was already sent that could matter.
    sent = set(
        chain.from_iterable(
            OutboundEmail.objects.filter(
                user_id=user_id, kind=RECRUITER_KIND, created_at__gte=since
            ).values_list("refs", flat=True)
        )
    )
    ranked = (
        Match.objects.filter(
            job__company_id__in=company_ids,
            job__status=Job.Status.OPEN,
            status__in=[Match.Status.NEW, Match.Status.NOTIFIED],
            stale_at__isnull=True,
            created_at__gte=since,
        )
        .exclude(pk__in=sent)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("job_id")], order_by=[F("score").desc(), "pk"])
        )
        .filter(rank__lte=settings.DIGEST_MATCHES_PER_JOB)
        .select_related("job__company", "candidate__user")
        .order_by("job_id", "rank")
    )
    per_job: dict[int, list[Match]] = {}
    for match in ranked:
        per_job.setdefault(match.job_id, []).append(match)
    chosen: list[Match] = []
    for job_matches in sorted(per_job.values(), key=lambda rows: (-rows[0].score, rows[0].job_id)):
        chosen.extend(job_matches[: settings.DIGEST_MAX_MATCHES - len(chosen)])
        if len(chosen) >= settings.DIGEST_MAX_MATCHES:
            break
    return chosen


def _match_for_recruiter(match: Match) -> dict:
    profile = match.candidate
    return {
        "name": profile.user.full_name or "A candidate",
        "headline": profile.headline or profile.current_title,
        "place": _place(profile.city, profile.region, profile.country),
        "score": round(match.score * 100),
        "matched_skills": _skills(match),
        "url": _admin_url("admin:pipeline_match_change", match.pk),
    }


# --- Shared -----------------------------------------------------------------------------------


def _due_users(
    kind: str, *, user_ids: list[int], now: datetime
) -> tuple[list[User], dict[int, DigestOutcome]]:
    """Lock the users' digests of `kind` until the transaction ends; return the users whose
    digest is due, and the outcome of the others. Read what goes in the digests after this."""
    _lock(kind, user_ids)
    outcomes = {user_id: DigestOutcome("gone") for user_id in user_ids}  # deleted since listed
    due: list[User] = []
    for user, skip in _skip_reasons(_users_held(user_ids), kind, now):
        if skip:
            outcomes[user.pk] = DigestOutcome(skip)
        else:
            del outcomes[user.pk]
            due.append(user)
    return due, outcomes


def _digests_queue(users: list[User], *, build: _Build, now: datetime) -> dict[int, DigestOutcome]:
    """Build each user's email, queue them all at once, and mark what they report on notified;
    return each user's outcome. Call it in the transaction that locked the users."""
    outcomes: dict[int, DigestOutcome] = {}
    built: list[tuple[User, OutboundEmail, list[int]]] = []
    for user in users:
        try:
            made = build(user)
        except ValidationError as exc:
            outcomes[user.pk] = DigestOutcome("invalid", error=exc)
            continue
        if made is None:
            outcomes[user.pk] = DigestOutcome("nothing_new")
        else:
            built.append((user, *made))
    # The send stage after the digests sends them: no task per user's transaction.
    queued = emails_queue(emails=[email for _, email, _ in built], send_now=False)
    notified: list[int] = []
    for (user, _, match_ids), (email, created) in zip(built, queued, strict=True):
        outcomes[user.pk] = DigestOutcome("queued" if created else "duplicate", email)
        notified.extend(match_ids)
    if notified:
        Match.objects.filter(pk__in=notified, status=Match.Status.NEW).update(
            status=Match.Status.NOTIFIED, notified_at=now
        )
    return outcomes


def _lock(kind: str, user_ids: list[int]) -> None:
    """Serialise the digest builders of these users and kind until the transaction ends. The
    locks are taken in one order, so two runs locking overlapping chunks can't deadlock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s::integer, user_key))"
            " FROM unnest(%s::integer[]) AS user_key",
            [DIGEST_LOCK_KEYS[kind], sorted({pk % 2_147_483_647 for pk in user_ids})],
        )


def _users_held(user_ids: list[int]) -> list[User]:
    """The users still there, in id order, held (FOR KEY SHARE) so that none is deleted before
    its email, which refers to it, commits; their other changes (a login) don't wait."""
    table, pk = connection.ops.quote_name(User._meta.db_table), User._meta.pk.column
    return list(
        User.objects.raw(
            f"SELECT * FROM {table} WHERE {pk} = ANY(%s) ORDER BY {pk} FOR KEY SHARE",  # nosec B608 # SQL from fixed parts; values bound
            [list(user_ids)],
        )
    )


def _skip_reasons(users: list[User], kind: str, now: datetime) -> list[tuple[User, str]]:
    """Each user with why they get no digest of `kind` now, or "" when one is due."""
    field = _PREFERENCE_FIELD[kind]
    default = NotificationPreference._meta.get_field(field).default
    ids = [user.pk for user in users]
    frequencies = dict(
        NotificationPreference.objects.filter(user_id__in=ids).values_list("user_id", field)
    )
    suppressed = emails_suppressed(user.email for user in users)
    last_sent = dict(
        OutboundEmail.objects.filter(user_id__in=ids, kind=kind)
        .values("user_id")
        .annotate(last=Max("created_at"))
        .values_list("user_id", "last")
    )
    return [
        (user, _skip_reason(user, frequencies.get(user.pk) or default, suppressed, last_sent, now))
        for user in users
    ]


def _skip_reason(
    user: User, frequency: str, suppressed: set[str], last_sent: dict[int, datetime], now: datetime
) -> str:
    if not user.is_active:
        return "inactive"
    if frequency == DigestFrequency.NEVER:
        return "off"
    if user.email.strip().lower() in suppressed:
        return "suppressed"
    last = last_sent.get(user.pk)
    if last is not None and not _due(frequency, last=last, now=now):
        return "not_due"
    return ""


def _due(frequency: str, *, last: datetime, now: datetime) -> bool:
    """Daily: once per calendar day; weekly: seven calendar days after the last one.

    Calendar days, not 24-hour spans: a nightly run that starts a few minutes earlier than
    yesterday's must still send.
    """
    days = (timezone.localdate(now) - timezone.localdate(last)).days
    if frequency == DigestFrequency.DAILY:
        return days >= 1
    if frequency == DigestFrequency.WEEKLY:
        return days >= 7
    return False


def _dedupe_key(kind: str, user_id: int, match_ids: list[int]) -> str:
    digest = hashlib.sha256(",".join(str(pk) for pk in sorted(match_ids)).encode()).hexdigest()
    return f"{kind}:{user_id}:{digest}"


def _common_context(user: User, kind: str) -> dict:
    digest = _PREFERENCE_FIELD[kind]
    # One token for the footer link and the List-Unsubscribe header.
    token = unsubscribe_token_make(user_id=user.pk, digest=digest)
    return {
        "name": user.get_short_name() if user.full_name else "there",
        "site_url": settings.SITE_URL,
        "digest_name": DIGESTS[digest],
        "unsubscribe_token": token,
        "unsubscribe_url": unsubscribe_url(token=token),
    }


def _place(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def _skills(match: Match) -> list[str]:
    skills = (match.explanation or {}).get("matched_skills") or []
    return [str(skill) for skill in skills if skill][:8]


def _job_url(job: Job) -> str:
    """The job's page here when it has one, else its posting, else the job board."""
    if hasattr(job, "get_absolute_url"):
        return settings.SITE_URL + job.get_absolute_url()
    if job.external_url.startswith(("https://", "http://")):
        return job.external_url
    return settings.SITE_URL + "/"


def _admin_url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)
