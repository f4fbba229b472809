"""Consent records: one per consent given when applying (with the text's version), shown on
the apply form, withdrawn from the privacy page, exported, and deleted on erasure."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, ConsentPurpose, ConsentRecord
from accounts.privacy import account_erase, consent_latest, retention_consent_withdraw
from accounts.tests.factories import CandidateProfileFactory
from applications.models import Application
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from recruitment.api import ApplicationError

PRIVACY = reverse("me-privacy")
WITHDRAW = reverse("me-privacy-retention-withdraw")


@pytest.fixture
def versions(settings):
    settings.CONSENT_TEXT_VERSIONS = {"processing": "2031-04-01", "retention": "2031-05-09"}
    return settings.CONSENT_TEXT_VERSIONS


@pytest.fixture
def person(db):
    return CandidateProfileFactory(user__email="mary.somerville@example.com").user


@pytest.fixture
def person_client(person):
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def job(company):
    return JobFactory(company=company)


def test_applying_records_each_consent_given_with_its_text_version(person, job, versions):
    application = application_submit(
        job=job, candidate=person, consent_processing=True, consent_retention=True
    )

    records = list(ConsentRecord.objects.filter(user=person).order_by("purpose"))
    assert [(r.purpose, r.granted, r.text_version, r.subject) for r in records] == [
        ("processing", True, "2031-04-01", f"application:{application.pk}"),
        ("retention", True, "2031-05-09", f"application:{application.pk}"),
    ]


def test_applying_without_the_retention_consent_records_processing_only(person, job, versions):
    application_submit(job=job, candidate=person, consent_processing=True)

    assert list(ConsentRecord.objects.filter(user=person).values_list("purpose", flat=True)) == [
        "processing"
    ]
    assert consent_latest(user=person, purpose=ConsentPurpose.RETENTION) is None


def test_an_application_refused_records_no_consent(person, job):
    job.status = "closed"
    job.save()

    with pytest.raises(ApplicationError, match="not open"):
        application_submit(job=job, candidate=person, consent_processing=True)

    assert not ConsentRecord.objects.exists()


def test_the_apply_form_shows_the_version_of_each_consent_text(person_client, job, versions):
    url = reverse("job-apply", kwargs={"company_slug": job.company.slug, "slug": job.slug})

    html = person_client.get(url).content.decode()

    assert "Consent text versions: processing 2031-04-01, future roles 2031-05-09." in html


def test_the_privacy_page_offers_to_withdraw_a_retention_consent(person, person_client, job):
    assert f'action="{WITHDRAW}"' not in person_client.get(PRIVACY).content.decode()
    application_submit(job=job, candidate=person, consent_processing=True, consent_retention=True)

    html = person_client.get(PRIVACY).content.decode()

    assert f'action="{WITHDRAW}"' in html and "Withdraw my consent" in html


def test_withdrawing_records_it_and_clears_the_applications_copies(
    person, person_client, job, company, versions
):
    kept = application_submit(
        job=job, candidate=person, consent_processing=True, consent_retention=True
    )
    other = JobFactory(company=company)
    application_submit(job=other, candidate=person, consent_processing=True)
    someone = CandidateProfileFactory().user
    theirs = application_submit(
        job=job, candidate=someone, consent_processing=True, consent_retention=True
    )

    response = person_client.post(WITHDRAW, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302 and response["Location"] == PRIVACY
    latest = consent_latest(user=person, purpose=ConsentPurpose.RETENTION)
    assert (latest.granted, latest.text_version) == (False, "2031-05-09")
    assert not Application.objects.filter(candidate=person, consent_retention=True).exists()
    kept.refresh_from_db()
    assert kept.consent_processing and kept.consented_at  # processing consent unchanged
    assert Application.objects.get(pk=theirs.pk).consent_retention  # someone else's stays
    event = AuditEvent.objects.get(action="consent.withdrawn")
    assert event.actor == person and event.changes["cleared"] == {"applications": 1}
    page = person_client.get(PRIVACY).content.decode()
    assert f'action="{WITHDRAW}"' not in page and "you withdrew your consent" in page


def test_withdrawing_needs_a_post(person_client):
    assert person_client.get(WITHDRAW).status_code == 405


def test_withdrawing_is_recorded_each_time(person):
    retention_consent_withdraw(user=person)
    retention_consent_withdraw(user=person)

    assert ConsentRecord.objects.filter(user=person, granted=False).count() == 2


def test_consent_records_are_exported(person, person_client, job, versions):
    application = application_submit(
        job=job, candidate=person, consent_processing=True, consent_retention=True
    )
    retention_consent_withdraw(user=person)

    response = person_client.post(reverse("me-privacy-export"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))

    records = json.loads(archive.read("consent_records.json"))
    assert [(r["purpose"], r["granted"], r["text_version"], r["about"]) for r in records] == [
        ("Processing of an application", True, "2031-04-01", f"application:{application.pk}"),
        (
            "Keeping the data for future openings",
            True,
            "2031-05-09",
            f"application:{application.pk}",
        ),
        ("Keeping the data for future openings", False, "2031-05-09", ""),
    ]


def test_consent_records_are_deleted_on_erasure(person, job):
    application_submit(job=job, candidate=person, consent_processing=True, consent_retention=True)
    other = CandidateProfileFactory().user
    application_submit(job=job, candidate=other, consent_processing=True)

    counts = account_erase(user=person)

    assert counts["accounts.consent_records"] == 2
    assert not ConsentRecord.objects.filter(user=person).exists()
    assert ConsentRecord.objects.filter(user=other).count() == 1
