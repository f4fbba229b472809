from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

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
