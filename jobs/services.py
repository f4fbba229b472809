"""Writes for jobs: create, edit, and move through draft → open → closed → archived."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Company, User
from accounts.permissions import require_perm
from accounts.services import audit_record
from jobs.models import Job
from recruitment.api import ApplicationError

# Which status may follow which; anything else is refused.
_TRANSITIONS: dict[str, set[str]] = {
    Job.Status.DRAFT: {Job.Status.OPEN, Job.Status.ARCHIVED},
    Job.Status.OPEN: {Job.Status.CLOSED},
    Job.Status.CLOSED: {Job.Status.OPEN, Job.Status.ARCHIVED},
    Job.Status.ARCHIVED: set(),
}

# The fields job_create and job_update accept; status moves only through the transitions.
JOB_FIELDS = (
    "title",
    "description_html",
    "description_text",
    "city",
    "region",
    "country",
    "remote",
    "employment_type",
    "seniority",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "questions",
    "closes_at",
    "external_url",
    "external_id",
)


def _unique_slug(company: Company, title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:200] or "job"
    slug, n = base, 2
    taken = Job.objects.filter(company=company)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def job_create(*, company: Company, title: str, actor: User | None, **fields) -> Job:
    if actor is not None:
        require_perm(actor, "jobs.create", company)
    unknown = set(fields) - set(JOB_FIELDS)
    if unknown:
        raise TypeError(f"job_create() got unexpected fields: {', '.join(sorted(unknown))}")
    job = Job(
        company=company, title=title, slug=_unique_slug(company, title), created_by=actor, **fields
    )
    job.full_clean()
    job.save()
    audit_record(action="job.created", actor=actor, target=job)
    return job


@transaction.atomic
def job_update(*, job: Job, actor: User | None, **fields) -> Job:
    if actor is not None:
        require_perm(actor, "jobs.edit", job)
    unknown = set(fields) - set(JOB_FIELDS)
    if unknown:
        raise TypeError(f"job_update() got unexpected fields: {', '.join(sorted(unknown))}")
    changes = {}
    for name, value in fields.items():
        old = getattr(job, name)
        if old != value:
            changes[name] = [old, value]
            setattr(job, name, value)
    if changes:
        job.full_clean()
        job.save()
        audit_record(
            action="job.updated",
            actor=actor,
            target=job,
            changes={k: [str(a), str(b)] for k, (a, b) in changes.items()},
        )
    return job


def _job_transition(
    *, job: Job, to: str, actor: User | None, action: str, at: datetime | None = None
) -> Job:
    if actor is not None:
        require_perm(actor, "jobs.publish", job)
    job = Job.objects.select_for_update().get(pk=job.pk)
    if to not in _TRANSITIONS[job.status]:
        raise ApplicationError(
            f"The job is {job.get_status_display().lower()}; it cannot become "
            f"{Job.Status(to).label.lower()}.",
            code="invalid_transition",
        )
    old = job.status
    job.status = to
    if to == Job.Status.OPEN:
        job.published_at = at or timezone.now()
        if job.closes_at and job.closes_at <= job.published_at:
            job.closes_at = None  # reopening past the old closing date
    job.full_clean()
    job.save(update_fields=["status", "published_at", "closes_at", "updated_at"])
    audit_record(action=action, actor=actor, target=job, changes={"status": [old, to]})
    return job


@transaction.atomic
def job_publish(*, job: Job, actor: User | None, at: datetime | None = None) -> Job:
    return _job_transition(job=job, to=Job.Status.OPEN, actor=actor, action="job.published", at=at)


@transaction.atomic
def job_close(*, job: Job, actor: User | None) -> Job:
    return _job_transition(job=job, to=Job.Status.CLOSED, actor=actor, action="job.closed")


@transaction.atomic
def job_archive(*, job: Job, actor: User | None) -> Job:
    return _job_transition(job=job, to=Job.Status.ARCHIVED, actor=actor, action="job.archived")
