"""The back office as each role sees it: only their own companies' rows, as their role allows.

Every company-scoped admin is checked the same way (another company's row is absent from the
changelist and answers 404, an action on it 403); the role rules of particular admins
(hiring managers, interviewers, company admins) and the login's rate limit are tested below,
all through the real admin views.
"""

from datetime import timedelta
from importlib import import_module

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.admin import CompanyScopedAdmin
from accounts.models import ApiKey, Company, Membership, Role
from accounts.tests.factories import CompanyFactory, MembershipFactory, UserFactory
from applications.models import Application, Interview, Scorecard
from applications.services import application_submit
from jobs.models import Job
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _messages, _url

pytestmark = pytest.mark.django_db

APP_LABELS = ("accounts", "jobs", "applications", "pipeline")
ADMIN_ROWS = {
    model: make
    for app_label in APP_LABELS
    for model, make in import_module(f"{app_label}.tests.factories").ADMIN_ROWS.items()
}


def _scoped_admins():
    return [
        pytest.param(model_admin, id=f"{model._meta.app_label}-{model._meta.model_name}")
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, CompanyScopedAdmin)
    ]


def _member(company, role):
    return MembershipFactory(company=company, role=role).user


def _changelist_pks(client, model, **params):
    response = client.get(_url(model, "changelist"), params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def _action(client, model, action, *objs):
    return client.post(
        _url(model, "changelist"),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [obj.pk for obj in objs]},
    )


def _apply(job, **kwargs):
    return application_submit(job=job, candidate=UserFactory(), consent_processing=True, **kwargs)


def _interview(application, *interviewers):
    starts = timezone.now() + timedelta(days=2)
    interview = Interview.objects.create(
        application=application, starts_at=starts, ends_at=starts + timedelta(hours=1)
    )
    interview.interviewers.add(*interviewers)
    return interview


@pytest.mark.parametrize("model_admin", _scoped_admins())
def test_an_owner_sees_their_companys_rows_and_not_anothers(client, model_admin):
    model = model_admin.model
    theirs, others = ADMIN_ROWS[model](), ADMIN_ROWS[model]()
    company = Company.objects.get(pk=model_admin.company_of(theirs).pk)
    assert model_admin.company_of(others).pk != company.pk
    client.force_login(_member(company, Role.OWNER))

    listed = _changelist_pks(client, model)

    assert theirs.pk in listed
    assert others.pk not in listed
    assert client.get(_url(model, "change", theirs.pk)).status_code == 200
    assert client.get(_url(model, "change", others.pk)).status_code == 404
    assert client.get(_url(model, "history", others.pk)).status_code == 404
    assert client.get(_url(model, "delete", others.pk)).status_code in (403, 404)
    actions = [name for name in model_admin.get_actions(_request_of(client)) if name]
    for action in actions:
        assert _action(client, model, action, others).status_code == 403
    assert model.objects.filter(pk=others.pk).exists()


def _request_of(client):
    """A request carrying the client's logged-in user, for asking an admin what it offers."""
    response = client.get(reverse("admin:index"))
    return response.wsgi_request


def test_a_member_of_no_company_sees_no_company_data(client):
    job = JobFactory()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(_url(Job, "changelist")).status_code == 403
    assert client.get(_url(Job, "change", job.pk)).status_code in (403, 404)
    index = client.get(reverse("admin:index"))
    assert index.context["app_list"] == []


def test_a_superuser_sees_every_company(admin_client_):
    jobs = [JobFactory(), JobFactory()]

    assert {job.pk for job in jobs} <= _changelist_pks(admin_client_, Job)
    assert admin_client_.get(_url(Job, "change", jobs[1].pk)).status_code == 200


def test_a_recruiters_job_actions_reach_only_their_company(client, company, recruiter):
    ours = JobFactory(company=company, status=Job.Status.DRAFT, published_at=None)
    theirs = JobFactory(status=Job.Status.DRAFT, published_at=None)
    client.force_login(recruiter)

    assert _action(client, Job, "publish_jobs", ours, theirs).status_code == 403
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (ours.status, theirs.status) == (Job.Status.DRAFT, Job.Status.DRAFT)

    response = _action(client, Job, "publish_jobs", ours)

    assert response.status_code == 302
    assert "Published 1 job(s)." in _messages(response)
    ours.refresh_from_db()
    assert ours.status == Job.Status.OPEN


def test_a_recruiters_search_and_company_filter_stay_in_their_company(client, company, recruiter):
    ours = JobFactory(company=company, title="Data Engineer")
    theirs = JobFactory(title="Data Engineer")
    client.force_login(recruiter)

    assert _changelist_pks(client, Job, q="Data Engineer") == {ours.pk}
    assert _changelist_pks(client, Job, company=theirs.company_id) == set()
    response = client.get(_url(Application, "changelist"))
    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}
    offered = {pk for pk, _ in filters["company"].lookup_choices}
    assert offered == {company.pk}


def test_job_form_offers_a_recruiter_only_their_companies_and_co_members(
    client, company, recruiter
):
    colleague = _member(company, Role.HIRING_MANAGER)
    stranger = _member(CompanyFactory(), Role.HIRING_MANAGER)
    client.force_login(recruiter)

    form = client.get(_url(Job, "add")).context["adminform"].form

    assert list(form.fields["company"].queryset) == [company]
    team = set(form.fields["hiring_team"].queryset)
    assert colleague in team and recruiter in team
    assert stranger not in team

    other = CompanyFactory()
    response = client.post(_url(Job, "add"), {"company": other.pk, "title": "Sneaky"})
    assert response.status_code == 200
    assert "company" in response.context["adminform"].form.errors
    assert not Job.objects.filter(title="Sneaky").exists()


def test_a_hiring_manager_sees_only_the_jobs_and_applicants_of_their_team(
    client, company, hiring_manager
):
    on_team = JobFactory(company=company)
    on_team.hiring_team.add(hiring_manager)
    not_on_team = JobFactory(company=company)
    mine, not_mine = _apply(on_team), _apply(not_on_team)
    client.force_login(hiring_manager)

    assert _changelist_pks(client, Job) == {on_team.pk}
    assert _changelist_pks(client, Application) == {mine.pk}
    assert client.get(_url(Application, "change", not_mine.pk)).status_code == 404
    assert client.get(_url(Job, "change", not_on_team.pk)).status_code == 404
    # A hiring manager does not edit jobs: the change page is read-only, a POST is refused.
    assert client.post(_url(Job, "change", on_team.pk), {"title": "Renamed"}).status_code == 403


def test_an_interviewer_sees_only_their_interviews_and_writes_scorecards(
    client, company, interviewer
):
    job = JobFactory(company=company)
    theirs = _interview(_apply(job), interviewer)
    others = _interview(_apply(job))
    client.force_login(interviewer)

    assert _changelist_pks(client, Interview) == {theirs.pk}
    assert _changelist_pks(client, Job) == {job.pk}
    assert client.get(_url(Interview, "change", others.pk)).status_code == 404
    assert client.get(_url(Application, "changelist")).status_code == 403
    # Looking at their interview is allowed; changing it is not.
    assert client.get(_url(Interview, "change", theirs.pk)).status_code == 200
    assert client.post(_url(Interview, "change", theirs.pk), {}).status_code == 403

    form = client.get(_url(Scorecard, "add")).context["adminform"].form
    assert list(form.fields["interview"].queryset) == [theirs]
    response = client.post(
        _url(Scorecard, "add"),
        {"interview": theirs.pk, "ratings": "{}", "recommendation": "yes", "submit": "on"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    scorecard = Scorecard.objects.get(interview=theirs)
    assert scorecard.author == interviewer
    assert scorecard.submitted_at is not None


def test_the_admin_index_lists_only_what_a_role_may_see(client, company, interviewer):
    client.force_login(interviewer)

    index = client.get(reverse("admin:index"))

    models = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    assert {"Job", "Interview", "Scorecard", "Company"} <= models
    assert not models & {"Application", "ApiKey", "Membership", "AuditEvent", "User", "Source"}


def test_a_company_admin_manages_members_and_keys_a_recruiter_does_not(
    client, company, company_admin, recruiter
):
    newcomer = UserFactory()
    other_membership = MembershipFactory()
    client.force_login(company_admin)

    assert _changelist_pks(client, Membership) == set(
        Membership.objects.filter(company=company).values_list("pk", flat=True)
    )
    assert client.get(_url(Membership, "change", other_membership.pk)).status_code == 404
    response = client.post(
        _url(Membership, "add"),
        {"company": company.pk, "email": newcomer.email.upper(), "role": Role.INTERVIEWER},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Membership.objects.get(company=company, user=newcomer).role == Role.INTERVIEWER

    response = client.post(
        _url(Membership, "add"),
        {"company": company.pk, "email": "nobody@example.com", "role": Role.INTERVIEWER},
    )
    assert response.status_code == 200
    assert "ask the person to sign up first" in str(response.context["adminform"].form.errors)

    response = client.post(
        _url(ApiKey, "add"), {"company": company.pk, "name": "Job board", "scopes": ["jobs:read"]}
    )
    assert response.status_code == 302
    assert ApiKey.objects.get(company=company, name="Job board").scopes == ["jobs:read"]

    client.force_login(recruiter)
    assert client.get(_url(ApiKey, "changelist")).status_code == 403
    assert client.get(_url(Membership, "changelist")).status_code == 403


def test_the_admin_login_is_rate_limited_per_address(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,3/5m/key"}
    cache.clear()
    user = UserFactory(is_staff=True, is_superuser=True)
    user.set_password("a-long-secret-1")
    user.save()
    login = reverse("admin:login")

    for _ in range(3):
        response = client.post(login, {"username": user.email, "password": "wrong"})
        assert response.status_code == 200
        assert "correct email" in response.content.decode()

    response = client.post(login, {"username": user.email, "password": "a-long-secret-1"})

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session

    cache.clear()
    response = client.post(login, {"username": user.email, "password": "a-long-secret-1"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_audit_trail_filters_by_actor_action_target_and_date(client, company, company_admin):
    from accounts.models import AuditEvent
    from accounts.services import audit_record

    earlier = set(AuditEvent.objects.filter(company=company).values_list("pk", flat=True))
    mine = audit_record(action="job.published", actor=company_admin, target=company)
    system = audit_record(action="job.closed", actor=None, target=company)
    audit_record(action="job.published", actor=None, target=CompanyFactory())  # another company
    client.force_login(company_admin)

    def listed(**params):
        return _changelist_pks(client, AuditEvent, **params)

    assert listed() == {mine.pk, system.pk} | earlier
    assert listed(actor=company_admin.pk) == {mine.pk}
    assert listed(actor="none") - earlier == {system.pk}
    assert listed(action="job.closed") == {system.pk}
    assert listed(target_type=mine.target_type, q=mine.target_id) - earlier == {mine.pk, system.pk}
    assert listed(created_at__gte=timezone.now().replace(hour=0).isoformat()) >= {
        mine.pk,
        system.pk,
    }
    response = client.get(_url(AuditEvent, "changelist"))
    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}
    offered = {str(pk) for pk, _ in filters["actor"].lookup_choices}
    assert str(company_admin.pk) in offered and "none" in offered
    assert client.get(_url(AuditEvent, "change", mine.pk)).status_code == 200
    assert client.post(_url(AuditEvent, "change", mine.pk), {}).status_code == 403
