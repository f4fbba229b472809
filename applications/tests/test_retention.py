"""The nightly retention run (applications.retention): who is anonymised and who is kept, what
anonymising keeps for statistics, the email hash that recognises a returning applicant, the
task and its celery-beat row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import (
    AuditEvent,
    CandidateProfile,
    ConsentRecord,
    Membership,
    ReturningApplicant,
    Role,
    User,
)
from accounts.privacy import retention_consent_withdraw
from accounts.tests.factories import CandidateProfileFactory
from accounts.tests.test_erasure_scan import _rows_holding
from applications.hiring import note_create
from applications.models import Application, Document, Note, StageChange
from applications.reports import funnel, time_in_stage_days
from applications.retention import email_hash, retention_due, retention_run
from applications.services import application_reject, application_submit, application_withdraw
from applications.tasks import retention_anonymise
from applications.tests.attack_files import make_pdf
from applications.uploads import document_upload
from jobs.tests.factories import JobFactory

DAYS = 180


@pytest.fixture(autouse=True)
def _retention_settings(settings):
    settings.RETENTION_REJECTED_DAYS = DAYS
    settings.RETENTION_HASH_SALT = "test-retention-salt"


@pytest.fixture
def job(company):
    return JobFactory(company=company, title="Statistician")


def _backdate(user: User, days: int) -> None:
    """Make everything the candidate did happen `days` days ago."""
    when = timezone.now() - timedelta(days=days)
    applications = Application.objects.filter(candidate=user)
    applications.update(created_at=when, stage_entered_at=when, consented_at=when)
    StageChange.objects.filter(application__candidate=user).update(created_at=when)
    ConsentRecord.objects.filter(user=user).update(created_at=when)
    CandidateProfile.objects.filter(user=user).update(updated_at=when)
    User.objects.filter(pk=user.pk).update(last_login=None, date_joined=when)


def _rejected(job, recruiter, *, days: int, email: str = "", retention: bool = False) -> User:
    person = CandidateProfileFactory(
        **({"user__email": email} if email else {}),
        user__full_name="Florence Nightingale",
        resume_text="Polar area diagrams of mortality",
    ).user
    application = application_submit(
        job=job,
        candidate=person,
        consent_processing=True,
        consent_retention=retention,
        cover_letter="I like statistics",
        answers={},
    )
    document_upload(
        owner=person,
        file=SimpleUploadedFile("cv.pdf", make_pdf("Florence Nightingale")),
        kind="resume",
        application=application,
    )
    note_create(application=application, body="Florence was great", actor=recruiter)
    application_reject(application=application, actor=recruiter, reason="Florence chose us not")
    _backdate(person, days)
    return person


def test_a_candidate_rejected_181_days_ago_is_anonymised_keeping_the_statistics(
    job, recruiter, company, django_capture_on_commit_callbacks
):
    person = _rejected(job, recruiter, days=181, email="Florence.N@Example.com")
    keys = list(Document.objects.filter(owner=person).values_list("storage_key", flat=True))
    since = timezone.now() - timedelta(days=400)
    funnel_before = funnel(company_id=company.pk, since=since)
    stages_before = time_in_stage_days(company_id=company.pk, since=since)
    changes_before = list(
        StageChange.objects.filter(application__candidate=person).values_list(
            "from_stage", "to_stage", "status", "created_at"
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = retention_run()

    assert (result.anonymised, result.applications) == (1, 1)
    tombstone = User.objects.get(pk=person.pk)
    assert tombstone.email.endswith("@erased.invalid") and tombstone.full_name == ""
    assert not tombstone.is_active
    assert not CandidateProfile.objects.filter(user=person).exists()
    # The application stays, without its personal content.
    application = Application.objects.get(candidate=person)
    assert (application.status, application.job, application.source) == (
        "rejected",
        job,
        "careers_site",
    )
    assert (application.cover_letter, application.answers, application.rejection_reason) == (
        "",
        {},
        "",
    )
    assert not Note.objects.filter(application=application).exists()
    assert not Document.objects.filter(owner=person).exists()
    assert not any(storages["private"].exists(key) for key in keys)
    assert not StageChange.objects.filter(application=application).exclude(reason="").exists()
    # Statistics: the funnel and the time in stage count it as before.
    assert funnel(company_id=company.pk, since=since) == funnel_before
    assert time_in_stage_days(company_id=company.pk, since=since) == stages_before
    assert (
        list(
            StageChange.objects.filter(application__candidate=person).values_list(
                "from_stage", "to_stage", "status", "created_at"
            )
        )
        == changes_before
    )
    # The salted hash of the lower-cased email, no address.
    returning = ReturningApplicant.objects.get()
    assert returning.email_hash == email_hash("florence.n@example.com")
    assert returning.applications == 1 and returning.returned_at is None
    assert "florence" not in returning.email_hash
    event = AuditEvent.objects.get(action="privacy.anonymised")
    assert event.actor is None and "retention" in event.changes["reason"]
    assert not ConsentRecord.objects.filter(user=person).exists()
    # No text column of the database holds them any more (the erasure scan's search).
    for needle in ("Florence Nightingale", "florence.n@example.com", "Polar area diagrams"):
        assert _rows_holding(needle) == [], needle


def test_a_candidate_rejected_179_days_ago_is_kept(job, recruiter):
    person = _rejected(job, recruiter, days=179)

    assert retention_run().anonymised == 0
    assert User.objects.get(pk=person.pk).full_name == "Florence Nightingale"
    assert Application.objects.get(candidate=person).cover_letter == "I like statistics"


def test_a_candidate_who_consented_to_retention_is_kept(job, recruiter):
    person = _rejected(job, recruiter, days=400, retention=True)

    assert retention_run().anonymised == 0
    assert User.objects.get(pk=person.pk).full_name == "Florence Nightingale"


def test_a_withdrawn_retention_consent_lets_retention_anonymise_later(job, recruiter):
    person = _rejected(job, recruiter, days=400, retention=True)
    retention_consent_withdraw(user=person)

    assert retention_run().anonymised == 0  # the withdrawal itself restarts the clock
    _backdate(person, 181)
    assert retention_run().anonymised == 1


def test_a_consent_record_granting_retention_keeps_them(job, recruiter):
    person = _rejected(job, recruiter, days=400)
    ConsentRecord.objects.create(
        user=person,
        purpose="retention",
        granted=True,
        text_version="1",
        created_at=timezone.now() - timedelta(days=300),
    )

    assert retention_run().anonymised == 0


@pytest.mark.parametrize("signal", ["login", "profile", "application"])
def test_re_engaging_recently_resets_the_clock(job, recruiter, company, signal):
    person = _rejected(job, recruiter, days=400)
    if signal == "login":
        Client().force_login(person)  # sets last_login
    elif signal == "profile":
        profile = person.candidate_profile
        profile.headline = "Statistician"
        profile.save()
    else:
        other = JobFactory(company=company)
        application = application_submit(job=other, candidate=person, consent_processing=True)
        application_withdraw(application=application, candidate=person)  # closed, but recent

    assert person.pk not in retention_due().values_list("pk", flat=True)
    assert retention_run().anonymised == 0
    assert User.objects.get(pk=person.pk).full_name == "Florence Nightingale"


def test_a_company_member_is_kept(job, recruiter, other_company):
    person = _rejected(job, recruiter, days=400)
    Membership.objects.create(user=person, company=other_company, role=Role.INTERVIEWER)

    assert retention_run().anonymised == 0


def test_an_active_or_hired_application_keeps_them(job, recruiter, company):
    person = _rejected(job, recruiter, days=400)
    application_submit(job=JobFactory(company=company), candidate=person, consent_processing=True)
    _backdate(person, 400)

    assert retention_run().anonymised == 0


def test_a_candidate_who_withdrew_long_ago_is_anonymised(job):
    person = CandidateProfileFactory().user
    application = application_submit(job=job, candidate=person, consent_processing=True)
    application_withdraw(application=application, candidate=person, reason="Found a job")
    _backdate(person, 181)

    assert retention_run().anonymised == 1
    assert Application.objects.get(pk=application.pk).status == "withdrawn"


def test_running_twice_does_nothing_more_and_works_in_batches(job, recruiter, company):
    people = [
        _rejected(job, recruiter, days=200),
        _rejected(JobFactory(company=company), recruiter, days=200),
        _rejected(JobFactory(company=company), recruiter, days=200),
    ]

    first = retention_run(batch_size=2)
    second = retention_run(batch_size=2)

    assert (first.anonymised, first.batches) == (3, 2)
    assert (second.anonymised, second.batches) == (0, 0)
    assert ReturningApplicant.objects.count() == 3
    assert Application.objects.filter(candidate__in=people).count() == 3


def test_a_returning_applicant_is_recognised(job, recruiter, company, admin_client_):
    person = _rejected(job, recruiter, days=200, email="florence.n@example.com")
    retention_run()
    anonymised_on = ReturningApplicant.objects.get().anonymised_at

    again = CandidateProfileFactory(user__email="Florence.N@example.com").user
    application = application_submit(
        job=JobFactory(company=company), candidate=again, consent_processing=True
    )

    returning = ReturningApplicant.objects.get()
    assert returning.returned_at is not None
    page = admin_client_.get(
        reverse("admin:applications_application_change", args=[application.pk])
    ).content.decode()
    assert f"Returning applicant (anonymised on {anonymised_on:%Y-%m-%d})" in page
    newcomer = CandidateProfileFactory().user
    fresh = application_submit(job=job, candidate=newcomer, consent_processing=True)
    other_page = admin_client_.get(
        reverse("admin:applications_application_change", args=[fresh.pk])
    ).content.decode()
    assert "Returning applicant (anonymised" not in other_page
    assert person.pk != again.pk


def test_the_nightly_task_runs_the_retention_and_is_scheduled(job, recruiter):
    _rejected(job, recruiter, days=181)

    assert retention_anonymise() == 1
    assert User.objects.filter(email__endswith="@erased.invalid").count() == 1
    task = PeriodicTask.objects.get(task="applications.retention_anonymise")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("3", "30")
