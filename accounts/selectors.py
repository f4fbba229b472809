"""Reads for accounts, scoped by the permission core."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import (
    AuditEvent,
    CandidateProfile,
    Company,
    Membership,
    NotificationPreference,
    User,
)
from accounts.permissions import scope_queryset


def user_memberships(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("company").order_by("company__name")


def company_list(*, user: User) -> QuerySet[Company]:
    """Companies where the user works (any role); all of them for superusers."""
    return scope_queryset(Company.objects.order_by("name"), user, "jobs.view", "id")


def member_list(*, user: User, company: Company | None = None) -> QuerySet[Membership]:
    qs = scope_queryset(
        Membership.objects.select_related("user", "company"), user, "members.manage"
    )
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("company__name", "user__email")


def audit_event_list(*, user: User, filters: dict | None = None) -> QuerySet[AuditEvent]:
    qs = scope_queryset(AuditEvent.objects.select_related("actor", "company"), user, "audit.view")
    filters = filters or {}
    if action := filters.get("action"):
        qs = qs.filter(action=action)
    if target_type := filters.get("target_type"):
        qs = qs.filter(target_type=target_type)
    return qs


def user_me(*, user: User) -> User:
    """The user with `memberships_` (companies loaded), `candidate_profile_` (None without one)
    and `notification_preferences` (the defaults when never saved) set: two queries."""
    me = (
        User.objects.select_related("candidate_profile", "notification_preference")
        .defer("candidate_profile__embedding", "candidate_profile__resume_text")
        .get(pk=user.pk)
    )
    me.memberships_ = list(
        Membership.objects.filter(user=me).select_related("company").order_by("company__name")
    )
    me.candidate_profile_ = getattr(me, "candidate_profile", None)
    me.is_candidate = me.candidate_profile_ is not None
    me.notification_preferences = getattr(me, "notification_preference", None) or (
        NotificationPreference(user=me)
    )
    return me


def candidate_profile_of(*, user: User) -> CandidateProfile | None:
    """The person's own candidate profile (without its vector), or None."""
    return (
        CandidateProfile.objects.select_related("user").defer("embedding").filter(user=user).first()
    )
