"""Reads for a candidate's own pages: their applications with a timeline in the words the
company shows candidates (never its internal stage names), their upcoming interviews, and the
resumes they may send again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Document, Interview, StageChange
from applications.selectors import candidate_application_list
from jobs.selectors import JOB_WIDE_COLUMNS

RESUMES_SHOWN = 5
APPLICATIONS_PER_PAGE = 20


@dataclass(frozen=True)
class TimelineStep:
    label: str
    at: datetime


# How each status reads to the candidate, and the tag class it wears.
STATUS_WORDS: dict[str, tuple[str, str]] = {
    Application.Status.ACTIVE: ("In progress", ""),
    Application.Status.REJECTED: ("Not selected this time", "tag-missing"),
    Application.Status.WITHDRAWN: ("Withdrawn", "tag-missing"),
    Application.Status.HIRED: ("Hired: congratulations!", "tag-good"),
}


def application_timeline(application: Application) -> list[TimelineStep]:
    """The application's history as the candidate sees it: one step each time the
    candidate-facing label changes (internal moves between stages that read the same, and
    history rows without a move, add nothing), oldest first."""
    steps: list[TimelineStep] = []
    for change in application.stage_changes.all():
        if change.status == Application.Status.WITHDRAWN:
            label = "You withdrew your application"
        else:
            label = change.to_stage.candidate_name
        if steps and steps[-1].label == label:
            continue
        steps.append(TimelineStep(label=label, at=change.created_at))
    return steps


def candidate_dashboard_applications(*, candidate: User, page: object = 1) -> Page:
    """A page of the candidate's applications (APPLICATIONS_PER_PAGE, newest first; a page
    number that is not one gives the first or last page), each with `timeline`,
    `status_words` and `status_class`, in three queries."""
    changes = StageChange.objects.select_related("to_stage").order_by("created_at", "id")
    applications = (
        candidate_application_list(candidate=candidate)
        .defer(*(f"job__{column}" for column in JOB_WIDE_COLUMNS))
        .prefetch_related(Prefetch("stage_changes", queryset=changes))
    )
    shown = Paginator(applications, APPLICATIONS_PER_PAGE).get_page(page)
    shown.object_list = list(shown.object_list)
    for application in shown.object_list:
        application.timeline = application_timeline(application)
        application.status_words, application.status_class = STATUS_WORDS[application.status]
        application.current_label = application.stage.candidate_name
    return shown


def candidate_application(*, candidate: User, application_id: int) -> Application | None:
    """One of the candidate's applications; None for a missing one and another person's."""
    return (
        candidate_application_list(candidate=candidate)
        .defer(*(f"job__{column}" for column in JOB_WIDE_COLUMNS))
        .filter(pk=application_id)
        .first()
    )


def candidate_upcoming_interviews(
    *, candidate: User, now: datetime | None = None
) -> QuerySet[Interview]:
    """Scheduled interviews of the candidate's active applications that are not over yet,
    soonest first."""
    now = now or timezone.now()
    return (
        Interview.objects.filter(
            application__candidate=candidate,
            application__status=Application.Status.ACTIVE,
            status=Interview.Status.SCHEDULED,
            ends_at__gt=now,
        )
        .select_related("application__job__company")
        .defer(*(f"application__job__{column}" for column in JOB_WIDE_COLUMNS))
        .order_by("starts_at", "pk")
    )


def candidate_interview(*, candidate: User, interview_id: int) -> Interview | None:
    """One of the candidate's interviews; None for a missing one and another person's."""
    return (
        Interview.objects.filter(pk=interview_id, application__candidate=candidate)
        .select_related("application__candidate", "application__job__company")
        .first()
    )


def candidate_resumes(*, candidate: User, limit: int = RESUMES_SHOWN) -> list[Document]:
    """The candidate's resumes to send again, newest first, one per distinct file (each
    application keeps its own copy of the same file)."""
    seen: set[str] = set()
    resumes: list[Document] = []
    documents = (
        Document.objects.filter(owner=candidate, kind=Document.Kind.RESUME)
        .exclude(status=Document.Status.FAILED)
        .only("pk", "original_name", "sha256", "created_at", "owner_id", "application_id")
        .order_by("-created_at", "-pk")[:50]
    )
    for document in documents:
        if document.sha256 in seen:
            continue
        seen.add(document.sha256)
        resumes.append(document)
        if len(resumes) == limit:
            break
    return resumes


def candidate_application_of_job(*, candidate: User, job_id: int) -> Application | None:
    return Application.objects.filter(candidate=candidate, job_id=job_id).only("pk").first()
