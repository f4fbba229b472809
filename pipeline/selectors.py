from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from applications.models import Application
from jobs.models import Job
from jobs.selectors import JOB_WIDE_COLUMNS
from pipeline.models import Match, PipelineRun, Source

# How old a source's last crawl may be before its schedule makes it due. Slightly under the
# period, so a nightly run that starts a few minutes early still finds yesterday's sources due.
SCHEDULE_PERIODS = {
    Source.Schedule.HOURLY: timedelta(minutes=50),
    Source.Schedule.DAILY: timedelta(hours=20),
    Source.Schedule.WEEKLY: timedelta(days=6, hours=20),
}


def sources_due(*, now: datetime | None = None) -> QuerySet[Source]:
    """Active sources whose schedule says they should be crawled now and that no crawl is
    working on, oldest crawl first."""
    now = now or timezone.now()
    due = Q()
    for schedule, period in SCHEDULE_PERIODS.items():
        due |= Q(schedule=schedule) & (
            Q(last_crawled_at__isnull=True) | Q(last_crawled_at__lte=now - period)
        )
    crawling = PipelineRun.objects.filter(
        kind=PipelineRun.Kind.SCRAPE, status=PipelineRun.Status.RUNNING, source__isnull=False
    ).values("source_id")
    return (
        Source.objects.filter(is_active=True)
        .filter(due)
        .exclude(pk__in=crawling)
        .select_related("company")
        .order_by("last_crawled_at", "pk")
    )


def run_children(*, run: PipelineRun) -> QuerySet[PipelineRun]:
    return run.children.select_related("source").order_by("created_at", "pk")


def run_last_succeeded(*, kind: str) -> PipelineRun | None:
    return (
        PipelineRun.objects.filter(kind=kind, status=PipelineRun.Status.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )


def runs_list(
    *, kind: str | None = None, status: str | None = None, updated_after: datetime | None = None
) -> QuerySet[PipelineRun]:
    """Pipeline runs, newest first; `updated_after` keeps those created, started or finished
    after it (a run's last change of state)."""
    runs = PipelineRun.objects.select_related("source")
    if kind:
        runs = runs.filter(kind=kind)
    if status:
        runs = runs.filter(status=status)
    if updated_after is not None:
        runs = runs.filter(
            Q(created_at__gt=updated_after)
            | Q(started_at__gt=updated_after)
            | Q(finished_at__gt=updated_after)
        )
    return runs.order_by("-id")


def match_scores_of_candidates(*, job, candidate_ids: list[int]) -> dict[int, float]:
    """The job's current match scores of these candidates (user ids), for the pipeline board."""
    return dict(
        Match.objects.filter(
            job=job, candidate__user_id__in=candidate_ids, stale_at__isnull=True
        ).values_list("candidate__user_id", "score")
    )


def match_of_application(*, application) -> dict | None:
    """The current match of an application's candidate and job, for the application's page."""
    found = (
        Match.objects.filter(
            job_id=application.job_id,
            candidate__user_id=application.candidate_id,
            stale_at__isnull=True,
        )
        .values("score", "explanation", "score_parts")
        .first()
    )
    return found


# Job columns "Jobs for you" never shows (wide text, the search index, the vector).


def candidate_open_matches(*, user) -> QuerySet[Match]:
    """`user`'s current matches they have not dismissed, on jobs open for applications that
    they have not applied to, best first, with each job and its company."""
    now = timezone.now()
    applied = Application.objects.filter(job_id=OuterRef("job_id"), candidate=user)
    return (
        Match.objects.filter(
            candidate__user=user,
            stale_at__isnull=True,
            dismissed_at__isnull=True,
            status__in=[Match.Status.NEW, Match.Status.NOTIFIED],
            job__status=Job.Status.OPEN,
        )
        .filter(Q(job__closes_at__isnull=True) | Q(job__closes_at__gt=now))
        .exclude(Exists(applied))
        .select_related("job__company")
        .defer(*(f"job__{column}" for column in JOB_WIDE_COLUMNS))
        .order_by("-score", "-id")
    )


def candidate_match(*, user, match_id: int) -> Match | None:
    """One of `user`'s matches; None for a missing one and another person's alike."""
    return (
        Match.objects.filter(pk=match_id, candidate__user=user)
        .select_related("candidate", "job")
        .defer(*(f"job__{column}" for column in JOB_WIDE_COLUMNS))
        .first()
    )


def candidate_jobs_for_you(*, user, limit: int) -> list[dict]:
    """The dashboard's "Jobs for you" (applications.registry.on_candidate_matches): the best
    of `candidate_open_matches`, each with what the candidate reads of its explanation."""
    found = []
    for match in candidate_open_matches(user=user)[:limit]:
        explanation = match.explanation or {}
        missing = explanation.get("missing_required_skills")
        if missing is None:
            missing = explanation.get("missing_skills") or []
        found.append(
            {
                "id": match.pk,
                "job": match.job,
                "score": match.score,
                "summary": explanation.get("summary") or "",
                "matched_skills": [str(s) for s in explanation.get("matched_skills") or [] if s],
                "nice_to_have": [
                    str(s) for s in explanation.get("matched_nice_to_have") or [] if s
                ],
                "missing_skills": [str(s) for s in missing if s],
                "reasons": [str(r) for r in explanation.get("reasons") or [] if r],
            }
        )
    return found
