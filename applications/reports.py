"""Hiring reports of one company, for the back office's dashboard: the funnel, time to hire,
time in stage, conversion by source and interviewer load. Each is one query over the
applications made since a date; the stage history (StageChange) is their source."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from applications.models import Application, Interview, Stage, StageChange


@dataclass(frozen=True)
class SourceConversion:
    source: str
    applications: int
    interviewed: int
    hired: int

    @property
    def hire_rate(self) -> float:
        return self.hired / self.applications if self.applications else 0.0


def funnel(*, company_id: int, since: datetime) -> list[tuple[str, int]]:
    """How many of the applications made since `since` reached each stage (rejection aside),
    in the stages' order."""
    reached = dict(
        StageChange.objects.filter(
            application__job__company_id=company_id, application__created_at__gte=since
        )
        .values("to_stage")
        .annotate(n=Count("application", distinct=True))
        .values_list("to_stage", "n")
    )
    stages = (
        Stage.objects.filter(company_id=company_id)
        .exclude(kind=Stage.Kind.REJECTED)
        .order_by("position")
    )
    return [(stage.name, reached.get(stage.pk, 0)) for stage in stages]


def time_to_hire_days(*, company_id: int, since: datetime) -> tuple[float | None, int]:
    """The median days from application to hire of the hires since `since`, and their number."""
    hires = StageChange.objects.filter(
        application__job__company_id=company_id,
        to_stage__kind=Stage.Kind.HIRED,
        status=Application.Status.HIRED,
        created_at__gte=since,
    ).values_list("created_at", "application__created_at")
    days = [(hired - applied).total_seconds() / 86400 for hired, applied in hires]
    return (statistics.median(days) if days else None), len(days)


def time_in_stage_days(*, company_id: int, since: datetime) -> list[tuple[str, float]]:
    """The mean days an application stayed in each stage before moving on (finished stays of
    applications made since `since`), in the stages' order. History rows that record an event
    without a move (an offer's answer) are not stays."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.name, avg(extract(epoch FROM t.left_at - t.created_at)) / 86400
              FROM (SELECT sc.to_stage_id, sc.created_at,
                           lead(sc.created_at) OVER (
                               PARTITION BY sc.application_id ORDER BY sc.created_at, sc.id
                           ) AS left_at
                      FROM applications_stagechange sc
                      JOIN applications_application a ON a.id = sc.application_id
                      JOIN jobs_job j ON j.id = a.job_id
                     WHERE j.company_id = %s AND a.created_at >= %s
                       AND sc.from_stage_id IS DISTINCT FROM sc.to_stage_id) t
              JOIN applications_stage s ON s.id = t.to_stage_id
             WHERE t.left_at IS NOT NULL
             GROUP BY s.id, s.name, s.position
             ORDER BY s.position
            """,
            [company_id, since],
        )
        return [(name, float(days)) for name, days in cursor.fetchall()]


def conversion_by_source(*, company_id: int, since: datetime) -> list[SourceConversion]:
    """Applications made since `since` by source: how many, how many reached an interview (or
    further), how many were hired. Largest source first."""
    later = [Stage.Kind.INTERVIEW, Stage.Kind.OFFER, Stage.Kind.HIRED]
    rows = (
        Application.objects.filter(job__company_id=company_id, created_at__gte=since)
        .values("source")
        .annotate(
            total=Count("pk", distinct=True),
            interviewed=Count(
                "pk", distinct=True, filter=Q(stage_changes__to_stage__kind__in=later)
            ),
            hired=Count("pk", distinct=True, filter=Q(status=Application.Status.HIRED)),
        )
        .order_by("-total", "source")
    )
    labels = dict(Application.Source.choices)
    return [
        SourceConversion(
            source=labels.get(row["source"], row["source"]),
            applications=row["total"],
            interviewed=row["interviewed"],
            hired=row["hired"],
        )
        for row in rows
    ]


def interviewer_load(
    *, company_id: int, now: datetime | None = None, limit: int = 10
) -> list[tuple[str, int, int]]:
    """Interviewers by interviews sat in the last 30 days and booked for the next 14:
    (name, past, upcoming), busiest first."""
    now = now or timezone.now()
    panel = Interview.interviewers.through.objects.filter(
        interview__application__job__company_id=company_id,
        interview__starts_at__gte=now - timedelta(days=30),
        interview__starts_at__lt=now + timedelta(days=14),
    ).exclude(interview__status=Interview.Status.CANCELLED)
    rows = (
        panel.values("user__full_name", "user__email")
        .annotate(
            past=Count("pk", filter=Q(interview__starts_at__lt=now)),
            upcoming=Count("pk", filter=Q(interview__starts_at__gte=now)),
            total=Count("pk"),
        )
        .order_by("-total", "user__email")[:limit]
    )
    return [
        (row["user__full_name"] or row["user__email"], row["past"], row["upcoming"]) for row in rows
    ]
