import pytest

from applications.selectors import application_list, candidate_application_list, stage_history
from applications.services import application_submit
from applications.tests.factories import ApplicationFactory
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def test_application_list_is_scoped_to_the_members_companies(
    company, other_company, hiring_manager, interviewer
):
    own = ApplicationFactory(job__company=company)
    colleagues = ApplicationFactory(job__company=company)
    ApplicationFactory(job__company=other_company)
    # A hiring manager sees the applications of their hiring teams' jobs only.
    assert list(application_list(user=hiring_manager)) == []
    own.job.hiring_team.add(hiring_manager)
    assert colleagues.job_id != own.job_id
    assert list(application_list(user=hiring_manager)) == [own]
    assert list(application_list(user=hiring_manager, filters={"job_id": own.job_id})) == [own]
    assert list(application_list(user=hiring_manager, filters={"status": "hired"})) == []
    assert list(application_list(user=hiring_manager, filters={"stage_id": own.stage_id})) == [own]
    # Interviewers see their interviews, not the applications list.
    assert list(application_list(user=interviewer)) == []


def test_candidates_see_their_own_applications_and_history(candidate, company):
    application = application_submit(
        job=JobFactory(company=company), candidate=candidate, consent_processing=True
    )
    ApplicationFactory()
    assert list(candidate_application_list(candidate=candidate)) == [application]
    assert [c.to_stage.kind for c in stage_history(application=application)] == ["applied"]
