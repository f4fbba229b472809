import hashlib
import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts.models import CandidateProfile, Role
from accounts.tests.factories import CandidateProfileFactory, MembershipFactory
from applications.models import Document
from applications.selectors import candidate_search
from applications.tests.factories import ApplicationFactory
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def _document(application, text):
    return Document.objects.create(
        owner=application.candidate,
        application=application,
        storage_key=str(uuid.uuid4()),
        original_name="resume.pdf",
        content_type="application/pdf",
        size=len(text),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        extracted_text=text,
        status=Document.Status.EXTRACTED,
    )


def _candidate(headline="", **fields) -> CandidateProfile:
    return CandidateProfileFactory(headline=headline, skills=[], **fields)


@pytest.fixture
def world(company, other_company):
    own_job = JobFactory(company=company, title="Platform Engineer")
    second_job = JobFactory(company=company, title="Data Engineer")
    other_job = JobFactory(company=other_company, title="Platform Engineer")

    applicant = _candidate("Kubernetes platform engineer", summary="Ran clusters at scale.")
    application = ApplicationFactory(job=own_job, candidate=applicant.user)
    _document(application, "Ten years of Rust and Terraform. <script>x</script> Kubernetes.")

    resume_only = _candidate("Backend developer", resume_text="Some Kubernetes on the side.")
    ApplicationFactory(job=second_job, candidate=resume_only.user)

    elsewhere = _candidate("Kubernetes expert")  # applied to the other company only
    ApplicationFactory(job=other_job, candidate=elsewhere.user)

    never = _candidate("Kubernetes guru")  # never applied anywhere

    both = _candidate("Frontend developer")  # applied to both; sent Haskell to the other one
    ApplicationFactory(job=own_job, candidate=both.user)
    _document(ApplicationFactory(job=other_job, candidate=both.user), "Haskell wizard.")
    return {
        "jobs": (own_job, second_job, other_job),
        "applicant": applicant.user,
        "resume_only": resume_only.user,
        "elsewhere": elsewhere.user,
        "never": never.user,
        "both": both.user,
    }


def found(hits):
    return [hit.candidate for hit in hits]


def test_recruiters_find_their_applicants_by_profile_and_resume_best_first(world, recruiter):
    hits = candidate_search(user=recruiter, query="kubernetes")

    assert found(hits) == [world["applicant"], world["resume_only"]]
    assert hits[0].score > hits[1].score  # headline beats a mention in the resume
    assert [a.job for a in hits[0].applications] == [world["jobs"][0]]
    assert "<mark>Kubernetes</mark>" in hits[0].snippet_html
    assert "<script>" not in hits[0].snippet_html


def test_another_companys_applicants_never_appear(world, recruiter):
    for query in ("kubernetes expert", "guru", "haskell"):
        assert world["elsewhere"] not in found(candidate_search(user=recruiter, query=query))
        assert world["never"] not in found(candidate_search(user=recruiter, query=query))
    # Applied to both, but the Haskell resume went to the other company only.
    assert candidate_search(user=recruiter, query="haskell") == []
    assert found(candidate_search(user=recruiter, query="frontend")) == [world["both"]]
    hit = candidate_search(user=recruiter, query="frontend")[0]
    assert [a.job for a in hit.applications] == [world["jobs"][0]]


def test_resume_documents_are_searched(world, recruiter):
    assert found(candidate_search(user=recruiter, query="rust terraform")) == [world["applicant"]]


def test_the_search_can_be_narrowed_to_one_job(world, recruiter):
    own_job, second_job, other_job = world["jobs"]
    assert found(candidate_search(user=recruiter, query="kubernetes", job_id=second_job.pk)) == [
        world["resume_only"]
    ]
    assert candidate_search(user=recruiter, query="kubernetes", job_id=other_job.pk) == []


def test_members_without_access_to_applications_find_no_one(world, interviewer, candidate):
    assert candidate_search(user=interviewer, query="kubernetes") == []
    assert candidate_search(user=candidate, query="kubernetes") == []


def test_the_other_company_sees_its_own_applicants(world, other_company):
    other_recruiter = MembershipFactory(company=other_company, role=Role.RECRUITER).user
    assert found(candidate_search(user=other_recruiter, query="kubernetes")) == [world["elsewhere"]]
    assert found(candidate_search(user=other_recruiter, query="haskell")) == [world["both"]]


def test_superusers_search_every_applicant_but_not_people_who_never_applied(world, superuser):
    everyone = found(candidate_search(user=superuser, query="kubernetes"))
    assert set(everyone) == {world["applicant"], world["resume_only"], world["elsewhere"]}


@pytest.mark.parametrize("kwargs", [{"query": ""}, {"query": "x" * 501}, {"limit": 0}])
def test_bad_input_is_a_validation_error(recruiter, kwargs):
    with pytest.raises(ValidationError):
        candidate_search(user=recruiter, **{"query": "python", **kwargs})
