"""Reads for jobs, scoped by the permission core, and the analytics of job search.

The search itself is `jobs.search.search_jobs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Max, Q, QuerySet

from accounts.models import User
from accounts.permissions import scope_queryset
from jobs.models import Job, SearchQuery, Skill


def job_list(*, user: User, filters: dict | None = None) -> QuerySet[Job]:
    """Jobs of the companies where `user` may view jobs, newest first."""
    qs = scope_queryset(Job.objects.select_related("company"), user, "jobs.view")
    filters = filters or {}
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if company_id := filters.get("company_id"):
        qs = qs.filter(company_id=company_id)
    if remote := filters.get("remote"):
        qs = qs.filter(remote=remote)
    return qs.order_by("-created_at", "-id")


def job_public_list() -> QuerySet[Job]:
    """Open jobs anyone may see, most recently published first."""
    return (
        Job.objects.filter(status=Job.Status.OPEN)
        .select_related("company")
        .prefetch_related("job_skills__skill")
        .order_by("-published_at", "-id")
    )


def job_public_get(*, company_slug: str, slug: str) -> Job:
    return job_public_list().get(company__slug=company_slug, slug=slug)


# --- Search analytics (the back office shows these) ----------------------------------------


@dataclass(frozen=True)
class ClickThroughRate:
    searches: int
    clicked: int  # searches whose results were opened at least once

    @property
    def rate(self) -> float:
        return self.clicked / self.searches if self.searches else 0.0


def _searches(since: datetime, until: datetime | None) -> QuerySet[SearchQuery]:
    qs = SearchQuery.objects.filter(created_at__gte=since)
    return qs.filter(created_at__lt=until) if until is not None else qs


def search_top_queries(
    *, since: datetime, until: datetime | None = None, limit: int = 20
) -> QuerySet[SearchQuery]:
    """The most frequent searches of the period, as dicts: normalized_query, searches,
    sessions, clicks, avg_results; empty queries (browsing) left out."""
    return (
        _searches(since, until)
        .exclude(normalized_query="")
        .values("normalized_query")
        .annotate(
            searches=Count("id"),
            sessions=Count("session_hash", distinct=True, filter=~Q(session_hash="")),
            clicks=Count("id", filter=Q(clicked_at__isnull=False)),
            avg_results=Avg("result_count"),
        )
        .order_by("-searches", "normalized_query")[:limit]
    )


def search_zero_result_queries(
    *, since: datetime, until: datetime | None = None, limit: int = 20
) -> QuerySet[SearchQuery]:
    """Searches of the period that found nothing, most frequent first, as dicts:
    normalized_query, searches, last_searched_at."""
    return (
        _searches(since, until)
        .filter(result_count=0)
        .exclude(normalized_query="")
        .values("normalized_query")
        .annotate(searches=Count("id"), last_searched_at=Max("created_at"))
        .order_by("-searches", "-last_searched_at")[:limit]
    )


def search_click_through_rate(
    *, since: datetime, until: datetime | None = None
) -> ClickThroughRate:
    """Of the searches of the period that found something, how many led to a click."""
    counts = (
        _searches(since, until)
        .filter(result_count__gt=0)
        .aggregate(searches=Count("id"), clicked=Count("id", filter=Q(clicked_at__isnull=False)))
    )
    return ClickThroughRate(searches=counts["searches"], clicked=counts["clicked"])


def skill_taxonomy() -> list[tuple[str, str, list[str]]]:
    """Every skill as (slug, name, aliases), for the resume parser and the posting extractor."""
    return list(Skill.objects.order_by("name").values_list("slug", "name", "aliases"))
