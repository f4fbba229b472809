from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey, AuditEvent, Membership, Role
from accounts.permissions import has_perm
from accounts.services import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    audit_record,
    company_create,
    membership_remove,
    membership_set,
    user_create,
)
from accounts.tests.factories import UserFactory
from applications.models import Stage
from recruitment.api import ApplicationError

pytestmark = pytest.mark.django_db


def test_company_create_gives_default_stages_an_owner_and_an_audit_event():
    founder = UserFactory()
    company = company_create(name="Acme Robotics", owner=founder)
    assert company.slug == "acme-robotics"
    kinds = list(company.stages.values_list("kind", flat=True))
    assert kinds == [k for k, _ in Stage.Kind.choices]
    assert Membership.objects.get(company=company, user=founder).role == Role.OWNER
    founder.refresh_from_db()
    assert founder.is_staff
    actions = set(AuditEvent.objects.filter(company=company).values_list("action", flat=True))
    assert actions == {"company.created", "membership.created"}


def test_user_create_normalises_email_and_refuses_a_case_variant_duplicate():
    user = user_create(email="Ada@Example.COM", password="pw-long-enough-1")
    assert user.email == "ada@example.com"
    assert user.check_password("pw-long-enough-1")
    with pytest.raises(ValidationError):
        user_create(email="ADA@example.com")


def test_membership_set_adds_then_changes_role_with_audit(company, company_admin):
    user = UserFactory()
    membership = membership_set(
        company=company, user=user, role=Role.INTERVIEWER, actor=company_admin
    )
    assert membership.role == Role.INTERVIEWER
    membership_set(company=company, user=user, role=Role.RECRUITER, actor=company_admin)
    assert has_perm(user, "jobs.publish", company)
    change = AuditEvent.objects.get(action="membership.role_changed")
    assert change.actor == company_admin
    assert change.company == company
    assert change.changes == {"user": user.email, "role": ["interviewer", "recruiter"]}


def test_membership_set_requires_members_manage_and_owners_manage(
    company, recruiter, company_admin
):
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        membership_set(company=company, user=user, role=Role.INTERVIEWER, actor=recruiter)
    with pytest.raises(PermissionDenied):
        membership_set(company=company, user=user, role=Role.OWNER, actor=company_admin)
    with pytest.raises(ValidationError):
        membership_set(company=company, user=user, role="emperor", actor=None)


def test_the_last_owner_cannot_leave_or_be_demoted(company, owner):
    membership = Membership.objects.get(user=owner, company=company)
    with pytest.raises(ApplicationError) as excinfo:
        membership_set(company=company, user=owner, role=Role.ADMIN, actor=owner)
    assert excinfo.value.code == "last_owner"
    with pytest.raises(ApplicationError):
        membership_remove(membership=membership, actor=owner)
    second = UserFactory()
    membership_set(company=company, user=second, role=Role.OWNER, actor=owner)
    membership_remove(membership=membership, actor=second)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="membership.removed", actor=second).exists()


def test_api_key_is_stored_hashed_and_authenticates(company, company_admin):
    api_key, token = api_key_create(
        company=company,
        name="ATS sync",
        scopes=["jobs:read", "applications:write"],
        actor=company_admin,
    )
    prefix, secret = token.split(".")
    assert prefix == api_key.prefix
    assert secret not in api_key.secret_hash
    assert api_key_authenticate(token=token) == api_key
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert api_key_authenticate(token=prefix + ".wrong") is None
    assert api_key_authenticate(token="garbage") is None
    assert AuditEvent.objects.filter(action="apikey.created", actor=company_admin).exists()


def test_api_key_revoked_or_expired_no_longer_authenticates(company, company_admin):
    api_key, token = api_key_create(company=company, name="k", scopes=[], actor=company_admin)
    api_key_revoke(api_key=api_key, actor=company_admin)
    api_key_revoke(api_key=api_key, actor=company_admin)  # idempotent
    assert api_key_authenticate(token=token) is None
    assert AuditEvent.objects.filter(action="apikey.revoked").count() == 1

    soon = timezone.now() + timedelta(seconds=30)
    expiring, token = api_key_create(
        company=company, name="e", scopes=[], actor=None, expires_at=soon
    )
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_key_authenticate(token=token) is None


def test_a_key_authenticated_lately_costs_no_query_until_revoked(
    company, company_admin, django_assert_num_queries, settings, monkeypatch
):
    settings.API_KEY_CACHE_SECONDS = 5
    api_key, token = api_key_create(company=company, name="k", scopes=[], actor=None)
    clock = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    with django_assert_num_queries(2):  # the key with its company, and last_used_at
        assert api_key_authenticate(token=token) == api_key
    with django_assert_num_queries(0):
        found = api_key_authenticate(token=token)
    assert found == api_key and found.company == company
    with django_assert_num_queries(1):  # a wrong secret is never served from memory
        assert api_key_authenticate(token=api_key.prefix + ".wrong") is None

    clock[0] += 5.5  # older than API_KEY_CACHE_SECONDS: read again
    with django_assert_num_queries(1):
        assert api_key_authenticate(token=token) == api_key

    api_key_revoke(api_key=ApiKey.objects.get(pk=api_key.pk), actor=company_admin)
    assert api_key_authenticate(token=token) is None  # at once in the revoking process

    settings.API_KEY_CACHE_SECONDS = 0
    other, other_token = api_key_create(company=company, name="o", scopes=[], actor=None)
    api_key_authenticate(token=other_token)
    with django_assert_num_queries(1):
        assert api_key_authenticate(token=other_token) == other


def test_a_key_kept_in_memory_still_expires_on_time(company, settings, monkeypatch):
    settings.API_KEY_CACHE_SECONDS = 5
    soon = timezone.now() + timedelta(seconds=30)
    api_key, token = api_key_create(company=company, name="e", scopes=[], actor=None,
                                    expires_at=soon)  # fmt: skip
    assert api_key_authenticate(token=token) == api_key
    monkeypatch.setattr(
        timezone, "now", lambda: soon + timedelta(seconds=1)
    )  # expired; still in memory
    assert api_key_authenticate(token=token) is None


def test_api_key_create_validates_scopes_expiry_and_permission(company, recruiter):
    with pytest.raises(ValidationError):
        api_key_create(company=company, name="x", scopes=["jobs:destroy"], actor=None)
    with pytest.raises(ValidationError):
        api_key_create(
            company=company,
            name="x",
            scopes=[],
            actor=None,
            expires_at=timezone.now() - timedelta(days=1),
        )
    with pytest.raises(PermissionDenied):
        api_key_create(company=company, name="x", scopes=[], actor=recruiter)


@pytest.mark.parametrize("scope", ["pipeline:read", "pipeline:write"])
def test_only_a_superuser_grants_the_platform_wide_pipeline_scopes(
    company, company_admin, superuser, scope
):
    with pytest.raises(ValidationError, match="Only a superuser"):
        api_key_create(company=company, name="x", scopes=["jobs:read", scope], actor=company_admin)
    assert not ApiKey.objects.filter(company=company).exists()
    api_key, _ = api_key_create(company=company, name="x", scopes=[scope], actor=superuser)
    assert api_key.scopes == [scope]
    mine, _ = api_key_create(company=company, name="y", scopes=["jobs:read"], actor=company_admin)
    assert mine.scopes == ["jobs:read"]


def test_audit_trail_is_append_only_in_the_database(company, recruiter):
    event = audit_record(action="job.published", actor=recruiter, target=company)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    # Deleting the actor keeps the event and its text label.
    recruiter.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_label == recruiter.email


def test_audit_record_takes_the_company_from_the_target(company):
    from jobs.tests.factories import JobFactory

    job = JobFactory(company=company)
    event = audit_record(action="job.viewed", target=job, ip_address="203.0.113.9")
    assert event.company_id == company.pk
    assert event.target_type == "jobs.job"
    assert event.target_id == str(job.pk)
    assert event.actor_label == "system"


def test_membership_unique_per_user_and_company(company, recruiter):
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=recruiter, company=company, role=Role.ADMIN)
