import pytest

from jobs.models import Job
from jobs.selectors import job_list, job_public_get, job_public_list
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def test_job_list_shows_members_only_their_companies_jobs(
    company, other_company, recruiter, hiring_manager, interviewer
):
    own = JobFactory(company=company, status=Job.Status.DRAFT, published_at=None)
    JobFactory(company=other_company)
    assert list(job_list(user=recruiter)) == [own]
    assert list(job_list(user=recruiter, filters={"status": "open"})) == []
    # A hiring manager sees their hiring teams' jobs; an interviewer those they interview for.
    assert list(job_list(user=hiring_manager)) == []
    own.hiring_team.add(hiring_manager)
    assert list(job_list(user=hiring_manager)) == [own]
    assert list(job_list(user=interviewer)) == []


def test_job_list_shows_candidates_nothing_and_superusers_everything(candidate, superuser):
    JobFactory()
    JobFactory()
    assert job_list(user=candidate).count() == 0
    assert job_list(user=superuser).count() == 2
    assert job_list(user=superuser, filters={"remote": "remote"}).count() == 0


def test_public_list_shows_only_open_jobs():
    open_job = JobFactory()
    JobFactory(status=Job.Status.DRAFT, published_at=None)
    JobFactory(status=Job.Status.CLOSED)
    assert list(job_public_list()) == [open_job]
    found = job_public_get(company_slug=open_job.company.slug, slug=open_job.slug)
    assert found == open_job
