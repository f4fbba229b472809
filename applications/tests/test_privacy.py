"""Download my data and delete my account across the apps (accounts.privacy with the
applications, jobs and pipeline parts): the zip's contents and files, and an erasure that
leaves no personal value in any text column, no file in storage, no embedding, and a partner
API that answers 404."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models import TextField
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import CandidateProfile, OutboundEmail
from accounts.privacy import CONFIRMATION_KIND
from accounts.tests.factories import PASSWORD, CandidateProfileFactory
from applications.hiring import interview_schedule
from applications.models import Application, Document, Offer, Stage
from applications.services import application_move, application_submit
from applications.tests.attack_files import make_pdf
from applications.uploads import document_upload
from jobs.models import SearchQuery
from jobs.tests.factories import JobFactory
from pipeline.models import Match, ProfileEnrichment

EMAIL = "katherine.johnson@example.com"
NAME = "Katherine Johnson"
PHONE = "+17575550199"
RESUME = "Orbital mechanics by hand for Friendship 7"
COVER = "I computed the trajectory of the first American orbit."
ANSWER = "Four years at Langley in the West Area Computing unit."
NEEDLES = (EMAIL, NAME, PHONE, RESUME, COVER, ANSWER)
SCANNED_APPS = ("accounts", "jobs", "applications", "pipeline", "account", "admin")
TEXT_TYPES = (models.CharField, models.TextField, models.JSONField, ArrayField)


@pytest.fixture
def job(company):
    return JobFactory(
        company=company,
        title="Research mathematician",
        questions=[{"key": "years", "label": "Your experience", "type": "text"}],
    )


@pytest.fixture
def person(db):
    profile = CandidateProfileFactory(
        user__email=EMAIL, user__full_name=NAME, phone=PHONE, resume_text=RESUME
    )
    profile.embedding = [0.2] * 384
    profile.save()
    EmailAddress.objects.create(user=profile.user, email=EMAIL, verified=True, primary=True)
    return profile.user


@pytest.fixture
def resume() -> bytes:
    return make_pdf(f"{NAME} {RESUME}")


@pytest.fixture
def application(job, person, recruiter, interviewer, resume):
    application = application_submit(
        job=job,
        candidate=person,
        consent_processing=True,
        consent_retention=True,
        cover_letter=COVER,
        answers={"years": ANSWER},
    )
    document_upload(
        owner=person,
        file=SimpleUploadedFile("Katherine Johnson CV.pdf", resume),
        kind="resume",
        application=application,
    )
    screen = Stage.objects.get(company=job.company, kind=Stage.Kind.SCREEN)
    screen.name = "Internal: maths panel triage"
    screen.save()
    application = application_move(application=application, stage=screen, actor=recruiter)
    starts = timezone.now() + timedelta(days=2)
    interview_schedule(
        application=application,
        title="Talk with the team",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        location="Building 1244",
        actor=recruiter,
        interviewer_ids=[interviewer.pk],
    )
    Offer.objects.create(application=application, salary=90000, currency="USD", status="sent")
    Match.objects.create(
        candidate=person.candidate_profile,
        job=JobFactory(company=job.company, title="Flight dynamics engineer"),
        score=0.87,
        explanation={"matched_skills": ["python"], "missing_skills": ["fortran"]},
    )
    ProfileEnrichment.objects.create(
        profile=person.candidate_profile,
        text_hash="0" * 64,
        features={"years": 4},
        enriched_at=timezone.now(),
    )
    SearchQuery.objects.create(query="orbital", result_count=2, user=person)
    return application


@pytest.fixture
def person_client(person):
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def someone_else(job):
    other = CandidateProfileFactory(
        user__email="dorothy.vaughan@example.com", phone="+17575550100"
    ).user
    application_submit(
        job=job, candidate=other, consent_processing=True, cover_letter="FORTRAN is my language."
    )
    document_upload(
        owner=other, file=SimpleUploadedFile("dv.pdf", make_pdf("Dorothy")), kind="resume"
    )
    return other


def _archive(client) -> zipfile.ZipFile:
    response = client.post(reverse("me-privacy-export"))
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _part(archive, name):
    return json.loads(archive.read(f"{name}.json"))


def test_download_holds_applications_consents_documents_and_matches(
    person_client, application, someone_else, resume
):
    archive = _archive(person_client)

    [data] = _part(archive, "applications")
    assert data["job"] == {
        "id": application.job_id,
        "title": "Research mathematician",
        "company": application.job.company.name,
    }
    assert data["cover_letter"] == COVER
    assert data["answers"] == [{"question": "Your experience", "answer": ANSWER}]
    assert data["consents"]["processing"] is True
    assert data["consents"]["retention_for_future_roles"] is True
    assert data["consents"]["given_at"] == application.consented_at.isoformat().replace(
        "+00:00", "Z"
    )
    # The timeline names stages as the candidate sees them, never the company's own names.
    assert [step["stage"] for step in data["timeline"]] == ["Application received", "In review"]
    assert data["stage"] == "In review"
    assert "Internal" not in archive.read("applications.json").decode()
    assert [i["location"] for i in data["interviews"]] == ["Building 1244"]
    assert [o["salary"] for o in data["offers"]] == ["90000.00"]
    [consent] = _part(archive, "consents")
    assert consent["application"] == application.pk and consent["given_at"]
    [document] = _part(archive, "documents")
    assert document["name"] == "Katherine Johnson CV.pdf"
    assert archive.read(document["file"]) == resume
    [match] = _part(archive, "matches")
    assert match["job"]["title"] == "Flight dynamics engineer"
    assert match["explanation"]["missing_skills"] == ["fortran"]
    assert _part(archive, "profile_enrichment")["features"] == {"years": 4}
    assert [s["query"] for s in _part(archive, "searches")] == ["orbital"]
    assert _part(archive, "profile")["resume_text"] == RESUME
    # Only their own data.
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for other in (b"dorothy", b"FORTRAN is my language", b"+17575550100", b"dv.pdf"):
        assert other not in everything.lower() if other.islower() else other not in everything
    assert [n for n in archive.namelist() if n.startswith("files/")] == [document["file"]]


def _rows_holding(needle: str) -> list[str]:
    """Every text, JSON and array column of our apps, allauth and the admin log holding it."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in SCANNED_APPS:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_TYPES):
                continue
            rows = model.objects.annotate(_text=Cast(field.name, TextField())).filter(
                _text__icontains=needle
            )
            found += [
                f"{model._meta.label}.{field.name}#{pk}" for pk in rows.values_list("pk", flat=True)
            ]
    return found


def test_delete_erases_every_trace(
    person, person_client, application, someone_else, company, interviewer, key_client,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    candidates = key_client(company, "candidates:read", "applications:read")
    assert candidates.get(f"/api/v1/candidates/{person.pk}").status_code == 200
    keys = list(Document.objects.filter(owner=person).values_list("storage_key", flat=True))
    storage = storages["private"]
    assert keys and all(storage.exists(key) for key in keys)
    kept = Document.objects.get(owner=someone_else).storage_key
    # The panel's invitation was sent; its calendar file lists the candidate.
    invite = OutboundEmail.objects.get(kind="interview.scheduled", to=interviewer.email)
    OutboundEmail.objects.filter(pk=invite.pk).update(status="sent", sent_at=timezone.now())
    assert EMAIL in base64.b64decode(invite.attachments[0]["content_base64"]).decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = person_client.post(reverse("me-privacy-delete"), {"confirm": PASSWORD})

    assert response.status_code == 302
    assert not any(storage.exists(key) for key in keys)
    assert storage.exists(kept)
    assert not Application.objects.filter(candidate=person).exists()
    assert not CandidateProfile.objects.filter(user=person).exists()  # and its embedding
    assert not Match.objects.filter(job__company=company, score=0.87).exists()
    assert not SearchQuery.objects.filter(user=person).exists()
    assert Application.objects.filter(candidate=someone_else).exists()
    # The partner API no longer knows them.
    assert candidates.get(f"/api/v1/candidates/{person.pk}").status_code == 404
    assert candidates.get(f"/api/v1/applications/{application.pk}").status_code == 404
    assert [c["id"] for c in candidates.get("/api/v1/candidates").json()["results"]] == [
        someone_else.pk
    ]
    # No text column anywhere holds them: the confirmation, sent by the task its commit
    # queued, no longer keeps their address either.
    confirmation = OutboundEmail.objects.get(kind=CONFIRMATION_KIND)
    assert (confirmation.to, confirmation.status) == ("erased@erased.invalid", "sent")
    for needle in NEEDLES:
        assert _rows_holding(needle) == [], needle
    # Nor any email's attachment; the panel's sent invitation stays, without its calendar.
    for email in OutboundEmail.objects.exclude(attachments=[]):
        for attachment in email.attachments:
            text = base64.b64decode(attachment["content_base64"]).decode()
            assert not [needle for needle in NEEDLES if needle.lower() in text.lower()]
    assert OutboundEmail.objects.get(pk=invite.pk).attachments == []
    # The panel is told the interview is off, by a cancellation that doesn't name them.
    cancel = OutboundEmail.objects.get(kind="interview.cancelled", to=interviewer.email)
    assert "METHOD:CANCEL" in base64.b64decode(cancel.attachments[0]["content_base64"]).decode()
    assert person_client.get(reverse("me-dashboard")).status_code == 302  # logged out
