import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIRequestFactory

from accounts.models import Role
from accounts.permissions import (
    ALL_PERMISSIONS,
    ROLE_HIERARCHY,
    ROLE_PERMISSIONS,
    CompanyPermission,
    company_ids_with,
    has_perm,
    permission_required,
    role_at_least,
    role_has_perm,
    scope_queryset,
)
from accounts.tests.factories import MembershipFactory, UserFactory
from jobs.models import Job
from jobs.tests.factories import JobFactory


def test_hierarchy_runs_from_owner_down_to_interviewer():
    assert ROLE_HIERARCHY == (
        Role.OWNER,
        Role.ADMIN,
        Role.RECRUITER,
        Role.HIRING_MANAGER,
        Role.INTERVIEWER,
    )
    assert set(ROLE_HIERARCHY) == set(Role.values)


def test_each_role_holds_every_permission_of_the_roles_below_it():
    for higher, lower in zip(ROLE_HIERARCHY, ROLE_HIERARCHY[1:], strict=False):
        assert ROLE_PERMISSIONS[lower] < ROLE_PERMISSIONS[higher], (higher, lower)


@pytest.mark.parametrize(
    ("role", "perm", "allowed"),
    [
        (Role.INTERVIEWER, "interviews.feedback", True),
        (Role.INTERVIEWER, "applications.view", False),
        (Role.INTERVIEWER, "applications.move", False),
        (Role.HIRING_MANAGER, "applications.view", True),
        (Role.HIRING_MANAGER, "applications.move", False),
        (Role.HIRING_MANAGER, "jobs.publish", False),
        (Role.RECRUITER, "jobs.publish", True),
        (Role.RECRUITER, "applications.move", True),
        (Role.RECRUITER, "members.manage", False),
        (Role.RECRUITER, "apikeys.manage", False),
        (Role.ADMIN, "members.manage", True),
        (Role.ADMIN, "apikeys.manage", True),
        (Role.ADMIN, "owners.manage", False),
        (Role.OWNER, "owners.manage", True),
        (Role.OWNER, "company.delete", True),
    ],
)
def test_permission_table(role, perm, allowed):
    assert role_has_perm(role, perm) is allowed


def test_role_at_least_follows_the_hierarchy():
    assert role_at_least(Role.OWNER, Role.RECRUITER)
    assert role_at_least(Role.RECRUITER, Role.RECRUITER)
    assert not role_at_least(Role.INTERVIEWER, Role.HIRING_MANAGER)


def test_unknown_permission_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown permission"):
        role_has_perm(Role.OWNER, "jobs.fly")
    with pytest.raises(ValueError):
        CompanyPermission.require("nope.nope")


def test_owner_has_every_permission():
    assert ROLE_PERMISSIONS[Role.OWNER] == ALL_PERMISSIONS


@pytest.mark.django_db
def test_has_perm_is_scoped_to_the_members_company(company, other_company, recruiter):
    own_job = JobFactory(company=company)
    foreign_job = JobFactory(company=other_company)
    assert has_perm(recruiter, "jobs.publish")
    assert has_perm(recruiter, "jobs.publish", own_job)
    assert has_perm(recruiter, "jobs.publish", company)
    assert not has_perm(recruiter, "jobs.publish", foreign_job)
    assert not has_perm(recruiter, "jobs.publish", other_company)


@pytest.mark.django_db
def test_candidates_anonymous_and_inactive_users_have_no_company_permission(
    candidate, company, recruiter
):
    from django.contrib.auth.models import AnonymousUser

    assert not has_perm(candidate, "jobs.view")
    assert not has_perm(AnonymousUser(), "jobs.view")
    assert not has_perm(None, "jobs.view")
    recruiter.is_active = False
    assert not has_perm(recruiter, "jobs.view", company)


@pytest.mark.django_db
def test_superuser_may_do_everything(superuser, company):
    assert has_perm(superuser, "company.delete", company)
    assert company_ids_with(superuser, "jobs.view") is None


@pytest.mark.django_db
def test_objects_without_a_company_are_refused(recruiter):
    assert not has_perm(recruiter, "jobs.view", object())


@pytest.mark.django_db
def test_scope_queryset_limits_rows_to_the_users_companies(company, other_company):
    user = UserFactory()
    MembershipFactory(user=user, company=company, role=Role.INTERVIEWER)
    MembershipFactory(user=user, company=other_company, role=Role.RECRUITER)
    third = JobFactory().company
    jobs = [JobFactory(company=c) for c in (company, other_company, third)]
    viewable = scope_queryset(Job.objects.all(), user, "jobs.view")
    assert set(viewable) == {jobs[0], jobs[1]}
    publishable = scope_queryset(Job.objects.all(), user, "jobs.publish")
    assert list(publishable) == [jobs[1]]


@pytest.mark.django_db
def test_drf_permission_class_checks_view_and_object(
    company, other_company, recruiter, interviewer
):
    permission = CompanyPermission.require("jobs.publish")()
    request = APIRequestFactory().post("/")
    request.user = recruiter
    assert permission.has_permission(request, view=None)
    assert permission.has_object_permission(request, None, JobFactory(company=company))
    assert not permission.has_object_permission(request, None, JobFactory(company=other_company))
    request.user = interviewer
    assert not permission.has_permission(request, view=None)


@pytest.mark.django_db
def test_view_decorator_redirects_anonymous_and_refuses_other_roles(
    company, recruiter, interviewer
):
    from django.contrib.auth.models import AnonymousUser

    @permission_required("jobs.publish", obj=lambda request, pk: company)
    def view(request, pk):
        return HttpResponse("ok")

    request = RequestFactory().get("/publish/1")
    request.user = AnonymousUser()
    response = view(request, pk=1)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]

    request.user = recruiter
    assert view(request, pk=1).content == b"ok"

    request.user = interviewer
    with pytest.raises(PermissionDenied):
        view(request, pk=1)
