import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from accounts.tests.factories import CompanyFactory
from applications.models import Application, Stage, StageChange
from applications.services import (
    application_hire,
    application_move,
    application_reject,
    application_submit,
    application_withdraw,
    stage_template_create,
)
from jobs.models import Job
from jobs.tests.factories import JobFactory
from recruitment.api import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(company):
    return JobFactory(company=company)


def _submit(job, candidate, **kwargs):
    return application_submit(job=job, candidate=candidate, consent_processing=True, **kwargs)


def _stage(company, kind):
    return Stage.objects.get(company=company, kind=kind)


def test_submit_puts_the_application_in_the_first_stage_with_history(job, candidate):
    application = _submit(job, candidate, cover_letter="Hello")
    assert application.stage.kind == Stage.Kind.APPLIED
    assert application.consented_at is not None
    change = StageChange.objects.get(application=application)
    assert change.from_stage is None and change.to_stage == application.stage
    assert change.actor == candidate
    assert AuditEvent.objects.filter(action="application.submitted", company=job.company).exists()


def test_submit_refuses_a_second_application_kindly(job, candidate):
    _submit(job, candidate)
    with pytest.raises(ApplicationError) as excinfo:
        _submit(job, candidate)
    assert excinfo.value.code == "already_applied"
    assert Application.objects.count() == 1


def test_submit_rejects_closed_job(company, candidate):
    job = JobFactory(company=company, status=Job.Status.CLOSED)
    with pytest.raises(ApplicationError) as excinfo:
        _submit(job, candidate)
    assert excinfo.value.code == "job_not_open"


def test_submit_refuses_a_posting_found_on_the_web(candidate):
    job = JobFactory(company=CompanyFactory(is_tenant=False))  # applications go to its site
    with pytest.raises(ApplicationError) as excinfo:
        _submit(job, candidate)
    assert excinfo.value.code == "apply_elsewhere"
    assert not Application.objects.exists()


def test_submit_requires_consent(job, candidate):
    with pytest.raises(ValidationError) as excinfo:
        application_submit(job=job, candidate=candidate, consent_processing=False)
    assert "consent_processing" in excinfo.value.message_dict


def test_move_records_who_from_and_to(job, candidate, recruiter, company):
    application = _submit(job, candidate)
    screen = _stage(company, Stage.Kind.SCREEN)
    application = application_move(
        application=application, stage=screen, actor=recruiter, reason="Strong CV"
    )
    assert application.stage == screen
    change = application.stage_changes.last()
    assert (change.from_stage.kind, change.to_stage, change.actor, change.reason) == (
        Stage.Kind.APPLIED,
        screen,
        recruiter,
        "Strong CV",
    )
    event = AuditEvent.objects.get(action="application.moved")
    assert event.changes["stage"] == ["Applied", "Phone screen"]


def test_move_refuses_other_companies_stages_and_terminal_stages(
    job, candidate, recruiter, other_company, company
):
    application = _submit(job, candidate)
    with pytest.raises(ValidationError):
        application_move(
            application=application, stage=_stage(other_company, "screen"), actor=recruiter
        )
    with pytest.raises(ApplicationError):
        application_move(application=application, stage=_stage(company, "hired"), actor=recruiter)
    with pytest.raises(ApplicationError):
        application_move(application=application, stage=application.stage, actor=recruiter)


def test_roles_without_the_permission_cannot_move(
    job, candidate, interviewer, hiring_manager, company
):
    application = _submit(job, candidate)
    for actor in (interviewer, hiring_manager):
        with pytest.raises(PermissionDenied):
            application_move(application=application, stage=_stage(company, "screen"), actor=actor)


def test_reject_needs_a_reason_and_ends_the_application(job, candidate, recruiter, company):
    application = _submit(job, candidate)
    with pytest.raises(ValidationError):
        application_reject(application=application, actor=recruiter, reason="  ")
    application = application_reject(application=application, actor=recruiter, reason="Role filled")
    assert application.status == Application.Status.REJECTED
    assert application.stage.kind == Stage.Kind.REJECTED
    assert application.rejection_reason == "Role filled"
    with pytest.raises(ApplicationError) as excinfo:
        application_move(application=application, stage=_stage(company, "screen"), actor=recruiter)
    assert excinfo.value.code == "application_closed"


def test_hire_and_withdraw(job, candidate, recruiter, company):
    application = application_hire(application=_submit(job, candidate), actor=recruiter)
    assert application.status == Application.Status.HIRED

    other = JobFactory(company=company)
    application = _submit(other, candidate)
    with pytest.raises(ApplicationError):
        application_withdraw(application=application, candidate=recruiter)
    application = application_withdraw(
        application=application, candidate=candidate, reason="Took another offer"
    )
    assert application.status == Application.Status.WITHDRAWN
    assert application.stage_changes.count() == 2


def test_stage_template_is_not_duplicated(company):
    assert len(stage_template_create(company=company)) == 6
    assert company.stages.count() == 6


def test_companies_known_only_from_scraping_get_no_stages():
    from accounts.services import company_create

    employer = company_create(name="Scraped Co", is_tenant=False)
    assert employer.stages.count() == 0
