"""Reads for jobs, scoped by the permission core, and the analytics of job search.

The search itself is `jobs.search.search_jobs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.utils import timezone
from pgvector.django import CosineDistance

from accounts.models import Company, Role, User
from accounts.permissions import company_ids_with, scope_queryset
from jobs.models import Job, JobSkill, SearchQuery, Skill

# Columns no list shows: the search index, the vector (costly to read and to parse) and the
# text the triggers derive.
_HEAVY_COLUMNS = ("search_vector", "embedding", "skills_text")
# What a list that shows no description leaves out (wide text, the search index, the vector).
JOB_WIDE_COLUMNS = ("description_html", "description_text", *_HEAVY_COLUMNS)

# Jobs a member sees, in the admin and the API alike: all of their companies' jobs, but a hiring
# manager only those whose hiring team they are on, and an interviewer those they interview
# for. API keys act for the whole company.
JOB_ROLE_LIMITS = {
    Role.HIRING_MANAGER: "hiring_team",
    Role.INTERVIEWER: "applications__interviews__interviewers",
}


def job_list(*, user: User, filters: dict | None = None) -> QuerySet[Job]:
    """Jobs of the companies where `user` may view jobs (within `JOB_ROLE_LIMITS`), newest
    first (by id, which the primary key's index orders and cursor pagination pages on).

    Filters: `status`, `remote`, `company_id`, `updated_after` (a datetime).
    """
    qs = scope_queryset(
        Job.objects.select_related("company").defer(*_HEAVY_COLUMNS),
        user,
        "jobs.view",
        role_limits=JOB_ROLE_LIMITS,
    )
    filters = filters or {}
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if company_id := filters.get("company_id"):
        qs = qs.filter(company_id=company_id)
    if remote := filters.get("remote"):
        qs = qs.filter(remote=remote)
    if (updated_after := filters.get("updated_after")) is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    return qs.order_by("-id")


def job_list_company(*, user: User, company_id: int) -> Company | None:
    """The company `company_id` when `user` may view its jobs, else None (missing and not
    one of the user's answer alike)."""
    ids = company_ids_with(user, "jobs.view")
    if ids is not None and company_id not in ids:
        return None
    return Company.objects.filter(pk=company_id).first()


def job_create_company(*, user: User, company_id: int | None) -> Company:
    """The company where `user` creates a job.

    An API key creates in its own company. A member names the company, or may leave it out
    when they create jobs in one company only. Raise ValidationError when the company is
    unknown (or not one of the user's) or cannot be told; a member's company where their role
    may not create jobs is returned, and the service refuses it (403).
    """
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        if company_id not in (None, api_key.company_id):
            raise ValidationError({"company": ["An API key creates jobs in its own company."]})
        return api_key.company
    if company_id is None:
        ids = company_ids_with(user, "jobs.create")
        if ids is not None and len(ids) == 1:
            return Company.objects.get(pk=ids[0])
        raise ValidationError(
            {"company": ["Name the company: you may create jobs in more than one."]}
        )
    visible = company_ids_with(user, "jobs.view")
    company = Company.objects.filter(pk=company_id).first()
    if company is None or (visible is not None and company_id not in visible):
        raise ValidationError({"company": ["Unknown company."]})
    return company


def job_public_company(*, slug: str) -> Company | None:
    """The company of this slug, for the public board's filter (None: no such company)."""
    return Company.objects.filter(slug=slug).only("pk", "slug").first()


def job_public_list(*, filters: dict | None = None) -> QuerySet[Job]:
    """Open jobs anyone may see (open, not past their closing date), most recently published
    first.

    Filters: `remote`, `country`, `company` (a slug), `updated_after` (a datetime). A job's
    skills are its `skill_slugs`; `job_skills` is not prefetched.
    """
    now = timezone.now()
    qs = (
        Job.objects.filter(status=Job.Status.OPEN)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .select_related("company")
        .defer(*_HEAVY_COLUMNS)
    )
    filters = filters or {}
    if remote := filters.get("remote"):
        qs = qs.filter(remote=remote)
    if country := filters.get("country"):
        qs = qs.filter(country=country)
    if company := filters.get("company"):
        qs = qs.filter(company__slug=company)
    if (updated_after := filters.get("updated_after")) is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    return qs.order_by("-published_at", "-id")


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


def skill_names(*, slugs: list[str]) -> list[str]:
    """The taxonomy's names of `slugs`, in their order (a slug no longer known stays as is)."""
    names = dict(Skill.objects.filter(slug__in=slugs).values_list("slug", "name"))
    return [names.get(slug, slug) for slug in slugs]


def skill_taxonomy() -> list[tuple[str, str, list[str]]]:
    """Every skill as (slug, name, aliases), for the resume parser and the posting extractor."""
    return list(Skill.objects.order_by("name").values_list("slug", "name", "aliases"))


# --- The public job page -------------------------------------------------------------------


def job_public_gone(*, company_slug: str, slug: str) -> Job | None:
    """The job of these slugs when it was public once and is no longer open (closed,
    archived, or past its closing date), for a friendly 410; None otherwise (draft, unknown
    or open)."""
    job = (
        Job.objects.filter(company__slug=company_slug, slug=slug, published_at__isnull=False)
        .select_related("company")
        .defer(*_HEAVY_COLUMNS)
        .first()
    )
    if job is None or job.status == Job.Status.DRAFT:
        return None
    if job.status == Job.Status.OPEN and (job.closes_at is None or job.closes_at > timezone.now()):
        return None
    return job


def job_similar_list(*, job: Job, limit: int = 5) -> list[Job]:
    """Up to `limit` open jobs like `job`, nearest first by meaning (cosine distance of the
    embeddings, through the HNSW index); when `job` has no embedding, the newest open jobs
    sharing one of its skills."""
    others = job_public_list().exclude(pk=job.pk)
    embedding = Job.objects.filter(pk=job.pk).values_list("embedding", flat=True).first()
    if embedding is not None:
        return list(
            others.filter(embedding__isnull=False).order_by(CosineDistance("embedding", embedding))[
                :limit
            ]
        )
    skill_ids = JobSkill.objects.filter(job_id=job.pk).values("skill_id")
    shared = JobSkill.objects.filter(skill_id__in=skill_ids).values("job_id")
    return list(others.filter(pk__in=shared)[:limit])


def job_sitemap_sections(*, size: int) -> list[tuple[int, datetime]]:
    """The sitemap's sections of open jobs: blocks of `size` ids (section n holds ids from
    n × size up to the next block), as (n, latest change), the non-empty ones only.

    Blocks of ids, not of rows, keep each section's read a range of the primary key that never
    moves as jobs open and close."""
    rows = (
        job_public_list()
        .order_by()
        .annotate(section=F("id") / size)
        .values("section")
        .annotate(lastmod=Max("updated_at"))
        .order_by("section")
        .values_list("section", "lastmod")
    )
    return list(rows)


def job_sitemap_entries(*, section: int, size: int) -> list[tuple[str, str, datetime]]:
    """(company slug, job slug, last change) of the open jobs of a sitemap section."""
    return list(
        job_public_list()
        .filter(id__gte=section * size, id__lt=(section + 1) * size)
        .order_by("id")
        .values_list("company__slug", "slug", "updated_at")
    )


def job_feed_list(*, limit: int = 50) -> list[Job]:
    """The `limit` most recently published open jobs, for the feed of new jobs."""
    return list(job_public_list().only(*_FEED_COLUMNS)[:limit])


_FEED_COLUMNS = (
    "title",
    "slug",
    "description_text",
    "city",
    "region",
    "country",
    "remote",
    "published_at",
    "updated_at",
    "company",
    "company__name",
    "company__slug",
)


def job_public_skills(*, job: Job) -> list[JobSkill]:
    """The skills of a public job, required ones first, with their Skill."""
    return list(
        JobSkill.objects.filter(job_id=job.pk)
        .select_related("skill")
        .order_by("-required", "skill__name")
    )


def search_query_get(*, pk: int) -> SearchQuery | None:
    """A logged search, for recording the result opened from it."""
    return SearchQuery.objects.filter(pk=pk).first()
