"""The apply page: a resume (uploaded or reused), cover letter, the job's questions, consents;
bad input comes back inline with what was typed and uploaded kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, OutboundEmail
from accounts.tests.factories import CompanyFactory, UserFactory
from applications.models import Application, Document, EmailTemplate, Stage
from applications.services import application_submit
from applications.tests.attack_files import make_pdf
from jobs.models import Job
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"key": "notice_period", "label": "What is your notice period?", "type": "text"},
    {
        "key": "work_permit",
        "label": "Do you have the right to work here?",
        "type": "boolean",
        "required": True,
    },
    {
        "key": "start",
        "label": "When could you start?",
        "type": "choice",
        "choices": ["Immediately", "Within a month"],
        "required": True,
    },
]


@pytest.fixture
def job(company):
    return JobFactory(company=company, title="Data Engineer", questions=QUESTIONS)


@pytest.fixture
def signed_in(client, candidate):
    client.force_login(candidate)
    return client


def _url(job: Job) -> str:
    return reverse("job-apply", kwargs={"company_slug": job.company.slug, "slug": job.slug})


def _pdf(name: str = "ada-cv.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(), content_type="application/pdf")


def _fields(**overrides) -> dict:
    fields = {
        "cover_letter": "I love pipelines.",
        "q_notice_period": "One month",
        "q_work_permit": "yes",
        "q_start": "Within a month",
        "consent_processing": "on",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def test_anonymous_visitors_go_to_login_and_come_back(client, job):
    response = client.get(_url(job))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={_url(job)}"
    posted = client.post(_url(job), _fields(resume=_pdf()))
    assert posted.status_code == 302 and not Application.objects.exists()


def test_form_shows_the_questions_and_consents_labelled(signed_in, job):
    response = signed_in.get(_url(job))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'enctype="multipart/form-data"' in html
    for question in QUESTIONS:
        assert question["label"] in html
    assert '<label for="id_cover_letter">Cover letter' in html
    assert '<label for="id_consent_processing">' in html
    assert f"I agree that {job.company.name} processes" in html
    assert '<option value="Within a month">' in html


def test_apply_with_an_uploaded_resume_stores_everything_and_confirms(signed_in, candidate, job):
    before = timezone.now()
    response = signed_in.post(
        _url(job), _fields(resume=_pdf(), consent_retention="on"), REMOTE_ADDR="203.0.113.9"
    )

    application = Application.objects.get(job=job, candidate=candidate)
    assert response.status_code == 302
    assert response["Location"] == reverse("me-application-submitted", args=[application.pk])
    assert application.cover_letter == "I love pipelines."
    assert application.answers == {
        "notice_period": "One month",
        "work_permit": True,
        "start": "Within a month",
    }
    assert application.consent_processing and application.consent_retention
    assert application.consented_at >= before
    assert application.source == Application.Source.CAREERS_SITE
    (document,) = application.documents.all()
    assert (document.owner, document.kind, document.original_name) == (
        candidate,
        Document.Kind.RESUME,
        "ada-cv.pdf",
    )
    (email,) = OutboundEmail.objects.filter(kind="application.received")
    assert email.to == candidate.email and "Data Engineer" in email.subject
    assert reverse("me-dashboard") in email.body_text

    page = signed_in.get(response["Location"])
    assert page.status_code == 200
    assert "Data Engineer" in page.content.decode() and candidate.email in page.content.decode()


def test_a_company_email_for_the_first_stage_replaces_the_receipt(signed_in, candidate, job):
    applied = job.company.stages.get(kind=Stage.Kind.APPLIED)
    EmailTemplate.objects.create(
        company=job.company,
        name="Thanks",
        subject="Thanks for applying to {{ job_title }}",
        body="Hello {{ candidate_name }}",
        send_on_stage=applied,
    )
    signed_in.post(_url(job), _fields(resume=_pdf()))
    kinds = list(OutboundEmail.objects.filter(to=candidate.email).values_list("kind", flat=True))
    assert kinds == ["application.stage_email"]


def test_missing_consent_is_an_inline_error_and_keeps_what_was_typed(signed_in, job):
    response = signed_in.post(
        _url(job), _fields(consent_processing=None, cover_letter="Typed with care.")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "We need your consent to process your application." in html
    assert 'id="id_consent_processing_error"' in html
    assert 'aria-describedby="id_consent_processing_error"' in html
    assert "Typed with care." in html
    assert 'value="One month"' in html
    assert '<option value="Within a month" selected>' in html
    assert not Application.objects.exists()


def test_missing_required_question_and_wrong_choice_are_field_errors(signed_in, job):
    response = signed_in.post(
        _url(job), _fields(resume=_pdf(), q_work_permit=None, q_start="Next year")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert 'id="id_q_work_permit_error"' in html
    assert "Select a valid choice." in html
    assert not Application.objects.exists()


def test_uploaded_file_is_kept_after_another_fields_error(signed_in, candidate, job):
    first = signed_in.post(_url(job), _fields(resume=_pdf("kept.pdf"), consent_processing=None))

    assert first.status_code == 400
    (document,) = Document.objects.filter(owner=candidate)
    assert document.application is None
    html = first.content.decode()
    assert "We kept the file you uploaded" in html and "kept.pdf" in html
    assert f'name="resume_document" value="{document.pk}" id="id_resume_document_0" checked' in html

    second = signed_in.post(_url(job), _fields(resume_document=str(document.pk)))
    assert second.status_code == 302
    application = Application.objects.get(job=job, candidate=candidate)
    assert list(application.documents.all()) == [document]
    assert Document.objects.filter(owner=candidate).count() == 1


def test_a_resume_sent_before_is_offered_and_sent_as_a_copy(signed_in, candidate, job, company):
    earlier_job = JobFactory(company=company)
    signed_in.post(_url(earlier_job), _fields(resume=_pdf("earlier.pdf")))
    earlier = Document.objects.get(owner=candidate)

    form = signed_in.get(_url(job)).content.decode()
    assert "Or send a resume you added before" in form and "earlier.pdf" in form

    response = signed_in.post(_url(job), _fields(resume_document=str(earlier.pk)))
    assert response.status_code == 302
    sent = Application.objects.get(job=job).documents.get()
    assert sent.pk != earlier.pk and sent.sha256 == earlier.sha256


def test_another_persons_document_cannot_be_sent(signed_in, job, company):
    other = UserFactory()
    application_submit(job=JobFactory(company=company), candidate=other, consent_processing=True)
    theirs = Document.objects.create(
        owner=other,
        storage_key="documents/theirs",
        original_name="theirs.pdf",
        content_type="application/pdf",
        size=10,
        sha256="1" * 64,
    )
    response = signed_in.post(_url(job), _fields(resume_document=str(theirs.pk)))
    assert response.status_code == 400
    assert "Choose one of your own resumes." in response.content.decode()
    assert not Application.objects.filter(job=job).exists()


def test_no_resume_at_all_asks_for_one(signed_in, job):
    response = signed_in.post(_url(job), _fields())
    assert response.status_code == 400
    assert "Upload your resume." in response.content.decode()


def test_a_bad_file_type_is_refused_inline_and_nothing_is_stored(signed_in, candidate, job):
    fake = SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")
    response = signed_in.post(_url(job), _fields(resume=fake, cover_letter="Still here."))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_resume_error"' in html and "Still here." in html
    assert not Document.objects.exists() and not Application.objects.exists()
    assert AuditEvent.objects.filter(action="document.rejected", actor=candidate).exists()


def test_a_file_over_the_limit_is_refused_and_the_fields_are_kept(signed_in, job, settings):
    settings.UPLOAD_MAX_BYTES = 2_000
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 5_000, "application/pdf")
    response = signed_in.post(_url(job), _fields(resume=big, cover_letter="Keep me."))
    html = response.content.decode()
    assert response.status_code == 413
    assert "larger than the limit" in html and "Keep me." in html
    assert not Document.objects.exists()


def test_a_request_far_over_the_limit_is_not_read(signed_in, job, settings):
    settings.UPLOAD_MAX_BYTES = 1_000
    huge = SimpleUploadedFile("huge.pdf", b"%PDF-1.4\n" + b"0" * 200_000, "application/pdf")
    response = signed_in.post(_url(job), _fields(resume=huge))
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
    assert not Document.objects.exists() and not Application.objects.exists()


def test_applying_twice_is_refused_kindly(signed_in, candidate, job):
    application = application_submit(job=job, candidate=candidate, consent_processing=True,
                                     answers={"work_permit": True, "start": "Immediately"})  # fmt: skip
    link = reverse("me-dashboard") + f"#application-{application.pk}"

    page = signed_in.get(_url(job))
    assert page.status_code == 200
    assert "You have already applied" in page.content.decode() and link in page.content.decode()

    again = signed_in.post(_url(job), _fields(resume=_pdf()))
    assert "You have already applied" in again.content.decode()
    assert Application.objects.filter(job=job).count() == 1
    assert not Document.objects.exists()


@pytest.mark.parametrize("status", [Job.Status.CLOSED, Job.Status.ARCHIVED])
def test_a_closed_job_says_it_is_no_longer_open(signed_in, job, status):
    Job.objects.filter(pk=job.pk).update(status=status)
    for response in (signed_in.get(_url(job)), signed_in.post(_url(job), _fields())):
        assert response.status_code == 410
        assert "This job is no longer open" in response.content.decode()
    assert not Application.objects.exists()


def test_a_job_past_its_closing_date_is_no_longer_open(signed_in, job):
    Job.objects.filter(pk=job.pk).update(
        published_at=timezone.now() - timedelta(days=10),
        closes_at=timezone.now() - timedelta(days=1),
    )
    assert signed_in.get(_url(job)).status_code == 410


def test_a_draft_or_missing_job_is_not_found(signed_in, company):
    draft = JobFactory(company=company, status=Job.Status.DRAFT, published_at=None)
    assert signed_in.get(_url(draft)).status_code == 404
    missing = reverse("job-apply", kwargs={"company_slug": company.slug, "slug": "nope"})
    assert signed_in.get(missing).status_code == 404


def test_a_posting_from_elsewhere_sends_the_candidate_to_the_employer(signed_in):
    employer = CompanyFactory(is_tenant=False)
    job = JobFactory(company=employer, external_url="https://careers.example.com/jobs/1")
    response = signed_in.get(_url(job))
    assert response.status_code == 200
    assert "https://careers.example.com/jobs/1" in response.content.decode()


def test_the_form_checks_csrf_once_the_body_is_read(candidate, job):
    client = Client(enforce_csrf_checks=True)
    client.force_login(candidate)
    response = client.post(_url(job), _fields(resume=_pdf()))
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_the_api_checks_answers_as_the_page_does(api_client, candidate, job):
    api_client.force_authenticate(candidate)
    response = api_client.post(
        "/api/v1/applications",
        {"job": job.pk, "consent_processing": True, "answers": {"start": "Next year"}},
        format="json",
    )
    assert response.status_code == 400
    messages = response.json()["error"]["fields"]["answers"]
    assert any(m.startswith("work_permit:") for m in messages)
    assert any(m.startswith("start:") for m in messages)


def test_a_member_sending_a_sourced_candidate_may_leave_questions_open(company, recruiter, job):
    application = application_submit(
        job=job,
        candidate=UserFactory(),
        consent_processing=True,
        actor=recruiter,
        source=Application.Source.SOURCED,
    )
    assert application.answers == {}
    assert not OutboundEmail.objects.filter(kind="application.received").exists()


def test_a_reused_resume_that_cannot_be_copied_is_an_inline_error(
    signed_in, candidate, job, company, settings
):
    signed_in.post(_url(JobFactory(company=company)), _fields(resume=_pdf("earlier.pdf")))
    earlier = Document.objects.get(owner=candidate)
    settings.UPLOAD_QUOTA_BYTES = earlier.size  # a copy would pass the quota

    over_quota = signed_in.post(_url(job), _fields(resume_document=str(earlier.pk)))
    assert over_quota.status_code == 413
    assert "storage quota" in over_quota.content.decode()

    settings.UPLOAD_QUOTA_BYTES = 10 * earlier.size
    storages["private"].delete(earlier.storage_key)
    missing = signed_in.post(_url(job), _fields(resume_document=str(earlier.pk)))
    assert missing.status_code == 400
    assert "That document&#x27;s file is missing." in missing.content.decode()
    assert not Application.objects.filter(job=job).exists()
