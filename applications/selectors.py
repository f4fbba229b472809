"""Reads for applications, scoped by the permission core."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from accounts.permissions import scope_queryset
from applications.models import Application, StageChange


def application_list(*, user: User, filters: dict | None = None) -> QuerySet[Application]:
    """Applications to jobs of the companies where `user` may view applications."""
    qs = scope_queryset(
        Application.objects.select_related("job__company", "candidate", "stage"),
        user,
        "applications.view",
        company_field="job__company",
    )
    filters = filters or {}
    if job_id := filters.get("job_id"):
        qs = qs.filter(job_id=job_id)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if stage_id := filters.get("stage_id"):
        qs = qs.filter(stage_id=stage_id)
    return qs.order_by("-created_at", "-id")


def candidate_application_list(*, candidate: User) -> QuerySet[Application]:
    """A candidate's own applications."""
    return (
        Application.objects.filter(candidate=candidate)
        .select_related("job__company", "stage")
        .order_by("-created_at")
    )


def stage_history(*, application: Application) -> QuerySet[StageChange]:
    return application.stage_changes.select_related("from_stage", "to_stage", "actor").order_by(
        "created_at", "id"
    )
