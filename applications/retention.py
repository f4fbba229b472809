"""Retention: anonymise candidates whose applications are long over, keeping the statistics.

A candidate is due when every application of theirs is closed as rejected or withdrawn, and
their clock is more than settings.RETENTION_REJECTED_DAYS days old. The clock is the latest of
these signals, so re-engaging resets it:

- the last move in the stage history of any of their applications (the rejection or
  withdrawal is the last one: a closed application cannot move again) and the last
  application they sent (a recruiter's rating or note is not the candidate re-engaging);
- their last login (`User.last_login`);
- the last update of their profile (`CandidateProfile.updated_at`: an edit, or a new resume
  parsed; vectors are stored with an UPDATE that leaves it alone);
- their last consent record (a withdrawal of the retention consent starts the clock again).

Never anonymised: people who consented to retention (their latest retention ConsentRecord
grants it, or an application of theirs still has `consent_retention`), company members, staff,
anyone with an active or hired application, and tombstones (already erased).

Anonymising is accounts.privacy.account_anonymise: the registry's eraser, with the
applications kept on the nameless tombstone (no cover letter, answers, notes, documents or
files; stage, status, source, dates and history stay), so funnels and time-in-stage count
them as before. Before it, the HMAC-SHA256 of each of their email addresses (lower-cased;
key: settings.RETENTION_HASH_SALT, else one derived from SECRET_KEY) goes into
ReturningApplicant, so an application from the same address later is recognised
(`returning_applicant_mark`, `returning_applicant_of`).

The run works in batches of BATCH_SIZE candidates, one transaction each, and re-checks each
candidate under a lock, so an application sent meanwhile keeps them. Running it twice does
nothing more. No PipelineRun (pipeline sits above applications): the counts are logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import (
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.encoding import force_bytes

from accounts.models import (
    CandidateProfile,
    ConsentPurpose,
    ConsentRecord,
    Membership,
    ReturningApplicant,
    User,
)
from accounts.privacy import ERASED_DOMAIN, account_anonymise
from applications.models import Application, StageChange

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
CLOSED = (Application.Status.REJECTED, Application.Status.WITHDRAWN)
REASON = "retention: rejected or withdrawn more than {days} days ago"


def email_hash(email: str) -> str:
    """The salted hash retention keeps of an address: HMAC-SHA256 of it, lower-cased."""
    key = (
        settings.RETENTION_HASH_SALT
        or hashlib.sha256(force_bytes(f"applications.retention:{settings.SECRET_KEY}")).hexdigest()
    )
    message = force_bytes(email.strip().lower())
    return hmac.new(force_bytes(key), message, hashlib.sha256).hexdigest()


def _last_activity(user: OuterRef) -> Greatest:
    """The candidate's clock (see the module docstring); PostgreSQL's GREATEST skips NULLs."""
    applications = Application.objects.filter(candidate=user)
    return Greatest(
        Subquery(
            StageChange.objects.filter(application__candidate=user)
            .values("application__candidate")
            .annotate(last=Max("created_at"))
            .values("last")
        ),
        Subquery(applications.values("candidate").annotate(last=Max("created_at")).values("last")),
        F("last_login"),
        Subquery(CandidateProfile.objects.filter(user=user).values("updated_at")),
        Subquery(
            ConsentRecord.objects.filter(user=user)
            .values("user")
            .annotate(last=Max("created_at"))
            .values("last")
        ),
    )


def retention_due(*, now: datetime | None = None) -> QuerySet[User]:
    """The candidates retention would anonymise now, by id."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_REJECTED_DAYS)
    applications = Application.objects.filter(candidate=OuterRef("pk"))
    latest_retention = (
        ConsentRecord.objects.filter(user=OuterRef("pk"), purpose=ConsentPurpose.RETENTION)
        .order_by("-created_at", "-id")
        .values("granted")[:1]
    )
    return (
        User.objects.filter(Exists(applications))
        .exclude(Exists(applications.exclude(status__in=CLOSED)))
        .exclude(Exists(applications.filter(consent_retention=True)))
        .exclude(Exists(Membership.objects.filter(user=OuterRef("pk"))))
        .exclude(Q(is_staff=True) | Q(is_superuser=True))
        .exclude(email__iendswith=f"@{ERASED_DOMAIN}")
        # No record is no consent (a bare NOT on a NULL subquery would drop the row).
        .annotate(retention_granted=Coalesce(Subquery(latest_retention), Value(False)))
        .filter(retention_granted=False)
        .annotate(last_activity=_last_activity(OuterRef("pk")))
        .filter(last_activity__lt=cutoff)
        .order_by("pk")
    )


@dataclass
class RetentionResult:
    anonymised: int = 0
    applications: int = 0
    skipped: int = 0
    batches: int = 0


def retention_run(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> RetentionResult:
    """Anonymise every candidate due (see the module docstring), in batches; log the counts."""
    now = now or timezone.now()
    result = RetentionResult()
    after = 0
    while True:
        ids = list(
            retention_due(now=now).filter(pk__gt=after).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        after = ids[-1]
        result.batches += 1
        with transaction.atomic():
            for user_id in ids:
                kept = _candidate_anonymise(user_id=user_id, now=now)
                if kept is None:
                    result.skipped += 1
                else:
                    result.anonymised += 1
                    result.applications += kept
        logger.info(
            "Retention batch %s: %s anonymised so far, %s skipped",
            result.batches,
            result.anonymised,
            result.skipped,
        )
    logger.info(
        "Retention anonymised %s candidate(s) (%s application(s) kept for statistics), "
        "skipped %s, in %s batch(es)",
        result.anonymised,
        result.applications,
        result.skipped,
        result.batches,
    )
    return result


def _candidate_anonymise(*, user_id: int, now: datetime) -> int | None:
    """Anonymise one candidate if still due once locked; return how many applications were
    kept, or None when they were not due any more (re-engaged meanwhile)."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or not retention_due(now=now).filter(pk=user_id).exists():
        return None
    addresses = {user.email.lower()}
    addresses.update(
        e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    )
    applications = Application.objects.filter(candidate=user).count()
    for address in sorted(addresses):
        ReturningApplicant.objects.update_or_create(
            email_hash=email_hash(address),
            defaults={"anonymised_at": now, "applications": applications, "returned_at": None},
        )
    account_anonymise(user=user, reason=REASON.format(days=settings.RETENTION_REJECTED_DAYS))
    return applications


def returning_applicant_of(*, email: str) -> ReturningApplicant | None:
    """The record of an earlier, anonymised candidate with this address, if any."""
    return ReturningApplicant.objects.filter(email_hash=email_hash(email)).first()


def returning_applicant_mark(*, email: str) -> ReturningApplicant | None:
    """Note that someone whom retention anonymised applies again (the first time only)."""
    returning = returning_applicant_of(email=email)
    if returning is not None and returning.returned_at is None:
        returning.returned_at = timezone.now()
        returning.save(update_fields=["returned_at"])
    return returning
