"""An application's page in the back office: the parsed resume beside its download, the
scorecards the user may read, the offer, and the match for the job with its explanation (the
pipeline's, plugged in through applications.registry)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import CandidateProfileFactory, MembershipFactory, UserFactory
from applications.hiring import interview_schedule, offer_create, scorecard_submit
from applications.models import Document
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from pipeline.models import Match

pytestmark = pytest.mark.django_db


def test_the_application_page_shows_resume_scorecards_offer_and_match(client, company, recruiter):
    job = JobFactory(company=company)
    application = application_submit(
        job=job, candidate=UserFactory(full_name="Ada"), consent_processing=True
    )
    resume = Document.objects.create(
        owner=application.candidate, application=application, storage_key=str(uuid.uuid4()),
        original_name="ada-cv.pdf", content_type="application/pdf", size=10, sha256="0" * 64,
        parsed={"skills": {"value": ["Python", "Kafka"], "confidence": 0.9},
                "current_title": {"value": "Data Engineer", "confidence": 0.8}},
    )  # fmt: skip
    interviewer = MembershipFactory(company=company, role=Role.INTERVIEWER).user
    starts = timezone.now() - timedelta(days=1)
    interview = interview_schedule(
        application=application, starts_at=starts, ends_at=starts + timedelta(hours=1),
        interviewer_ids=[interviewer.pk], actor=None, title="Tech interview",
    )  # fmt: skip
    scorecard_submit(
        interview=interview, actor=interviewer, recommendation="yes", ratings={"SQL": 4}
    )
    offer_create(application=application, salary=Decimal("70000"), currency="EUR", actor=None)
    Match.objects.create(
        candidate=CandidateProfileFactory(user=application.candidate), job=job, score=0.82,
        explanation={"matched_skills": ["Python"], "missing_skills": ["Go"],
                     "reasons": ["Lives in Berlin, where the job is"]},
    )  # fmt: skip
    client.force_login(recruiter)

    page = client.get(reverse("admin:applications_application_change", args=[application.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("applications:document-download", args=[resume.pk]) in html
    assert "ada-cv.pdf" in html and "Python; Kafka" in html and "Data Engineer" in html
    assert "Tech interview" in html and "SQL 4/4" in html
    assert "70000" in html and "EUR" in html
    assert "82%" in html and "Missing: Go" in html and "Lives in Berlin" in html

    client.force_login(MembershipFactory(company=company, role=Role.HIRING_MANAGER).user)
    # A hiring manager not on this job's team does not see the application at all.
    assert (
        client.get(
            reverse("admin:applications_application_change", args=[application.pk])
        ).status_code
        == 404
    )
