"""The send stage: build the candidate and recruiter digests and queue them in the outbox.

A candidate digest lists the candidate's new matches (status "new", not stale) on open jobs,
best first, and marks them notified. A recruiter digest lists, for each open job of the recruiter's
companies, the best matches not yet sent to that recruiter; which ones were sent is kept on the
outbox rows themselves (`OutboundEmail.refs`).

Each email is queued exactly once:
- the outbox row and the notified marks are written in one transaction;
- its dedupe key is derived from the user and the sorted ids of the matches it lists, so a
  re-run (or a redelivered task) that finds the same matches writes nothing new;
- a transaction-scoped advisory lock per user and digest serialises concurrent runs, so the
  second one sees the first one's email (not due yet) and its notified matches.
Sending is the outbox's job (`accounts.mail.outbox_send_due`), not this module's.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.mail import (
    DIGESTS,
    email_is_suppressed,
    email_queue,
    unsubscribe_headers,
    unsubscribe_token_make,
    unsubscribe_url,
)
from accounts.models import (
    DigestFrequency,
    Membership,
    NotificationPreference,
    OutboundEmail,
    User,
)
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


@dataclass(frozen=True)
class DigestOutcome:
    """What happened for one user: queued, not_due, nothing_new, off, suppressed, inactive,
    gone, or duplicate (the same matches were already queued)."""

    status: str
    email: OutboundEmail | None = None


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
    for prefix, user_ids, build in (
        ("candidate", candidate_ids, candidate_digest_queue),
        ("recruiter", recruiter_ids, recruiter_digest_queue),
    ):
        for user_id in user_ids:
            key = f"{prefix}_{_outcome(build, user_id=user_id, now=now, progress=progress)}"
            counts[key] += 1
            if progress is not None:
                progress.advance(1, **{key: 1})
    counts["emails_queued"] = counts["candidate_queued"] + counts["recruiter_queued"]
    return dict(counts)


def _outcome(build, *, user_id: int, now: datetime, progress: RunProgress | None) -> str:
    try:
        return build(user_id=user_id, now=now).status
    except ValidationError as exc:
        # One user's unusable address (say) must not stop everybody else's digest.
        if progress is not None:
            progress.skip("invalid", detail=f"user {user_id}: {exc}")
        else:
            logger.warning("digest skipped", extra={"user": user_id, "error": str(exc)})
        return "invalid"


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
def candidate_digest_queue(*, user_id: int, now: datetime | None = None) -> DigestOutcome:
    """Queue one candidate's digest of new matches if it is due, and mark them notified."""
    now = now or timezone.now()
    _lock(CANDIDATE_KIND, user_id)
    user = User.objects.filter(pk=user_id).first()
    if user is None:  # deleted since the run listed it
        return DigestOutcome("gone")
    skip = _skip_reason(user, CANDIDATE_KIND, now)
    if skip:
        return DigestOutcome(skip)
    new = Match.objects.filter(
        candidate__user_id=user_id,
        status=Match.Status.NEW,
        stale_at__isnull=True,
        job__status=Job.Status.OPEN,
    )
    matches = list(
        new.select_related("job__company").order_by("-score", "pk")[: settings.DIGEST_MAX_MATCHES]
    )
    if not matches:
        return DigestOutcome("nothing_new")
    ids = sorted(match.pk for match in matches)
    context = {
        **_common_context(user, CANDIDATE_KIND),
        "matches": [_match_for_candidate(match) for match in matches],
        "more": new.count() - len(matches),
    }
    count = len(matches)
    email, created = email_queue(
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
    Match.objects.filter(pk__in=ids, status=Match.Status.NEW).update(
        status=Match.Status.NOTIFIED, notified_at=now
    )
    return DigestOutcome("queued" if created else "duplicate", email)


def _match_for_candidate(match: Match) -> dict:
    job = match.job
    return {
        "title": job.title,
        "company": job.company.name,
        "place": _place(job.city, job.region, job.country),
        "remote": job.get_remote_display() if job.remote != Job.Remote.ONSITE else "",
        "salary": _salary(job),
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
def recruiter_digest_queue(*, user_id: int, now: datetime | None = None) -> DigestOutcome:
    """Queue one recruiter's digest: per open job, the best matches not yet sent to them."""
    now = now or timezone.now()
    _lock(RECRUITER_KIND, user_id)
    user = User.objects.filter(pk=user_id).first()
    if user is None:  # deleted since the run listed it
        return DigestOutcome("gone")
    skip = _skip_reason(user, RECRUITER_KIND, now)
    if skip:
        return DigestOutcome(skip)
    matches = _recruiter_matches(user_id=user_id, now=now)
    if not matches:
        return DigestOutcome("nothing_new")
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
    email, created = email_queue(
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
    return DigestOutcome("queued" if created else "duplicate", email)


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


def _lock(kind: str, user_id: int) -> None:
    """Serialise the digest builders of one user and kind until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [DIGEST_LOCK_KEYS[kind], user_id % 2_147_483_647],
        )


def _skip_reason(user: User, kind: str, now: datetime) -> str:
    """Why `user` gets no digest of `kind` now, or "" when one is due."""
    if not user.is_active:
        return "inactive"
    field = _PREFERENCE_FIELD[kind]
    frequency = NotificationPreference.objects.filter(user=user).values_list(field, flat=True)
    frequency = frequency.first() or NotificationPreference._meta.get_field(field).default
    if frequency == DigestFrequency.NEVER:
        return "off"
    if email_is_suppressed(user.email):
        return "suppressed"
    last = (
        OutboundEmail.objects.filter(user=user, kind=kind)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
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


def _salary(job: Job) -> str:
    if job.salary_min is None and job.salary_max is None:
        return ""
    low, high = job.salary_min, job.salary_max
    if low is not None and high is not None and low != high:
        amount = f"{low:,}–{high:,}"
    else:
        amount = f"{low if low is not None else high:,}"
    return f"{amount} {job.salary_currency} {job.get_salary_period_display()}".replace("  ", " ")


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
