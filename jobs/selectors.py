"""Reads for jobs, scoped by the permission core."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from accounts.permissions import scope_queryset
from jobs.models import Job


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
