"""The erasure scan: a candidate with everything the platform can hold about a person erases
their account, then every text-like column of every table in the database is searched for them.

What is searched: every column of the public schema whose type is character, character varying,
text, json, jsonb, tsvector or an array of those (information_schema), cast to text and matched
with ILIKE, for their email address, full name, phone number, Clerk user id and a phrase of their
resume, as well as the first name, last name and email local part found alone in the Clerk event
(which spells the name in parts). Every vector column of every table is searched for their
profile's embedding. Storage is searched for their resume file, and the partner API is asked for
their candidate id and each of their applications.

Allowed, on purpose (accounts.privacy's module docstring):

- `accounts_outboundemail.to` of exactly one row, the email confirming the erasure
  (`kind = account.erased`), queued to their old address after everything else was scrubbed,
  until it is sent: the task queued on commit sends it and then blanks the address
  (`erasure_confirmations_scrub`), so after that task the test finds nothing at all.

Nothing else: zero hits.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.mail import email_queue
from accounts.models import (
    AuditEvent,
    ClerkEvent,
    ConsentRecord,
    EmailSuppression,
    NotificationPreference,
    OutboundEmail,
    PushSubscription,
    Role,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from accounts.notifications import notify
from accounts.privacy import CONFIRMATION_KIND
from accounts.services import audit_record
from accounts.tests.factories import PASSWORD, CandidateProfileFactory, MembershipFactory
from applications.hiring import (
    interview_schedule,
    note_create,
    offer_create,
    offer_send,
    scorecard_submit,
)
from applications.models import Application, Document, Stage
from applications.services import application_move, application_reject, application_submit
from applications.tasks import document_extract_text
from applications.tests.attack_files import make_pdf
from applications.uploads import document_upload
from jobs.models import SearchQuery
from jobs.tests.factories import JobFactory
from pipeline.models import Match, ProfileEnrichment

EMAIL = "ada.lovelace-byron@example.org"
FIRST, LAST = "Adaquilla", "Lovelacebyron"
NAME = f"{FIRST} {LAST}"
PHONE = "+442071838750"
CLERK_ID = "user_2adaLovelaceClerk"
RESUME = "analytical engine bernoulli numbers note G"
OLD_EMAIL = "a.lovelacebyron@work.example.org"  # a second address of theirs, which bounced
NEEDLES = (EMAIL, OLD_EMAIL, NAME, PHONE, CLERK_ID, RESUME, FIRST, LAST, EMAIL.split("@")[0])
EMBEDDING = [0.01 * (i % 7) for i in range(383)] + [0.93]

TEXT_COLUMNS = """
    SELECT c.table_name, c.column_name
    FROM information_schema.columns c
    JOIN information_schema.tables t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema()
      AND t.table_type = 'BASE TABLE'
      AND (
        c.data_type IN ('character', 'character varying', 'text', 'json', 'jsonb', 'tsvector')
        OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_bpchar', '_varchar', '_text', '_json',
                                                      '_jsonb'))
      )
    ORDER BY c.table_name, c.column_name
"""
VECTOR_COLUMNS = """
    SELECT c.table_name, c.column_name
    FROM information_schema.columns c
    WHERE c.table_schema = current_schema() AND c.udt_name = 'vector'
"""


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows_holding(needle: str) -> list[str]:
    """`table.column#ctid` for every row of the database whose text holds `needle`."""
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    found = []
    with connection.cursor() as cursor:
        cursor.execute(TEXT_COLUMNS)
        columns = cursor.fetchall()
        assert len(columns) > 100, "the scan must see the whole schema"
        for table, column in columns:
            cursor.execute(
                f"SELECT ctid::text FROM {_quoted(table)} "  # nosec B608: names come from the catalog
                f"WHERE {_quoted(column)}::text ILIKE %s",
                [pattern],
            )
            found += [f"{table}.{column}#{ctid}" for (ctid,) in cursor.fetchall()]
    return found


def _vector_rows_holding(vector: list[float]) -> list[str]:
    found = []
    literal = "[" + ",".join(repr(float(x)) for x in vector) + "]"
    with connection.cursor() as cursor:
        cursor.execute(VECTOR_COLUMNS)
        columns = cursor.fetchall()
        assert ("accounts_candidateprofile", "embedding") in columns
        for table, column in columns:
            cursor.execute(
                f"SELECT count(*) FROM {_quoted(table)} "  # nosec B608: names come from the catalog
                f"WHERE {_quoted(column)} IS NOT NULL "
                f"AND ({_quoted(column)} <=> %s::vector) < 1e-6",
                [literal],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


@pytest.fixture
def person(db):
    profile = CandidateProfileFactory(
        user__email=EMAIL,
        user__full_name=NAME,
        user__clerk_user_id=CLERK_ID,
        phone=PHONE,
        headline="Mathematician",
    )
    profile.embedding = EMBEDDING
    profile.save()
    EmailAddress.objects.create(user=profile.user, email=EMAIL, verified=True, primary=True)
    EmailAddress.objects.create(user=profile.user, email=OLD_EMAIL, verified=True, primary=False)
    return profile.user


def _company_with_team(company_factory_company, job_title: str):
    recruiter = MembershipFactory(company=company_factory_company, role=Role.RECRUITER).user
    interviewer = MembershipFactory(company=company_factory_company, role=Role.INTERVIEWER).user
    job = JobFactory(
        company=company_factory_company,
        title=job_title,
        questions=[{"key": "why", "label": "Why us?", "type": "text"}],
    )
    return job, recruiter, interviewer


def _apply_with_everything(person, job, recruiter, interviewer, *, hire_track: bool):
    """An application with a resume upload, a note, an interview with a scorecard, and either
    an offer sent or a rejection; every free text names the person."""
    application = application_submit(
        job=job,
        candidate=person,
        consent_processing=True,
        consent_retention=True,
        cover_letter=f"I am {NAME}; call me on {PHONE}. My {RESUME}.",
        answers={"why": f"{NAME} loves {job.company.name}"},
    )
    document = document_upload(
        owner=person,
        file=SimpleUploadedFile(f"{NAME} CV.pdf", make_pdf(f"{NAME} {EMAIL} {PHONE} {RESUME}")),
        kind="resume",
        application=application,
    )
    document_extract_text(document.pk)  # what the on-commit task does
    note_create(
        application=application, body=f"{NAME} ({EMAIL}) sounds strong on {RESUME}", actor=recruiter
    )
    screen = Stage.objects.get(company=job.company, kind=Stage.Kind.SCREEN)
    application = application_move(
        application=application, stage=screen, actor=recruiter, reason=f"Phoned {NAME}"
    )
    starts = timezone.now() + timedelta(days=3)
    interview = interview_schedule(
        application=application,
        title=f"Interview with {NAME}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        location=f"Reception, ask for {NAME}",
        actor=recruiter,
        interviewer_ids=[interviewer.pk],
    )
    scorecard_submit(
        interview=interview,
        actor=interviewer,
        recommendation="yes",
        notes=f"{NAME} explained {RESUME} well",
    )
    if hire_track:
        offer = offer_create(
            application=application, salary=Decimal("95000"), currency="GBP", actor=recruiter
        )
        offer_send(offer=offer, actor=recruiter)
    else:
        application = application_reject(
            application=application, actor=recruiter, reason=f"{NAME} chose another offer"
        )
    audit_record(action="candidate.viewed", actor=recruiter, target=application)
    LogEntry.objects.create(
        user=recruiter,
        content_type=ContentType.objects.get_for_model(Application),
        object_id=str(application.pk),
        object_repr=str(application),
        action_flag=CHANGE,
        change_message=f"Changed rating of {NAME}.",
    )
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def everything(person, company, other_company):
    """The person on two companies' jobs with everything, plus the rest of their footprint."""
    for tenant in (company, other_company):
        WebhookEndpoint.objects.create(
            company=tenant,
            url="https://hooks.example.net/recruitment",
            events=["*"],
            secret="whsec_" + base64.b64encode(b"k" * 32).decode(),
        )
    job, recruiter, interviewer = _company_with_team(company, "Analyst")
    other_job, other_recruiter, other_interviewer = _company_with_team(other_company, "Engineer")
    applications = [
        _apply_with_everything(person, job, recruiter, interviewer, hire_track=True),
        _apply_with_everything(
            person, other_job, other_recruiter, other_interviewer, hire_track=False
        ),
    ]
    profile = person.candidate_profile
    profile.refresh_from_db()
    assert RESUME in profile.resume_text  # the extraction filled it from the upload
    NotificationPreference.objects.create(user=person)
    notify(
        user=person,
        kind="application_update",
        title=f"{FIRST}, you moved on",
        body=f"{NAME}: Analyst",
        dedupe_key="scan:notification",
    )
    PushSubscription.objects.create(
        user=person,
        endpoint="https://push.example.net/send/ada-lovelace-byron",
        p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        auth="tBHItJI5svbpez7KI4CCXg",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    )
    Match.objects.create(
        candidate=profile,
        job=JobFactory(company=company, title="Research engineer"),
        score=0.91,
        explanation={"summary": f"{NAME} knows {RESUME}"},
    )
    ProfileEnrichment.objects.create(
        profile=profile,
        text_hash="1" * 64,
        features={"headline": NAME},
        enriched_at=timezone.now(),
    )
    SearchQuery.objects.create(query="analytical engine", result_count=3, user=person)
    email_queue(
        to=recruiter.email,
        user=recruiter,
        kind="recruiter.digest",
        subject=f"New applicant: {NAME}",
        body_text=f"{NAME} <{EMAIL}>, {PHONE}, applied for Analyst.",
        dedupe_key="scan:digest",
    )
    EmailSuppression.objects.create(email=OLD_EMAIL, reason="bounced")
    ClerkEvent.objects.create(
        svix_id="msg_scan_1",
        event_type="user.created",
        payload={
            "type": "user.created",
            "data": {
                "id": CLERK_ID,
                "first_name": FIRST,
                "last_name": LAST,
                "email_addresses": [{"email_address": EMAIL}],
                "phone_numbers": [{"phone_number": PHONE}],
            },
        },
        svix_timestamp=timezone.now(),
    )
    audit_record(action="profile.updated", actor=person, target=profile)
    assert ConsentRecord.objects.filter(user=person).count() == 4  # 2 applications × 2
    assert WebhookDelivery.objects.exists()  # interview events, whose title names them
    return {
        "applications": applications,
        "companies": (company, other_company),
        "documents": list(Document.objects.filter(owner=person)),
    }


def test_after_erasure_no_trace_is_left_anywhere(
    person, everything, key_client, django_capture_on_commit_callbacks
):
    storage_root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    keys = [d.storage_key for d in everything["documents"]]
    assert len(keys) == 2 and all((storage_root / key).exists() for key in keys)
    clients = [
        key_client(tenant, "candidates:read", "applications:read")
        for tenant in everything["companies"]
    ]
    for client, application in zip(clients, everything["applications"], strict=True):
        assert client.get(f"/api/v1/candidates/{person.pk}").status_code == 200
        assert client.get(f"/api/v1/applications/{application.pk}").status_code == 200
    for needle in NEEDLES:
        assert _rows_holding(needle), f"the scan must find {needle!r} before the erasure"
    assert _vector_rows_holding(EMBEDDING) == ["accounts_candidateprofile.embedding"]
    browser = Client()
    browser.force_login(person)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("me-privacy-delete"), {"confirm": PASSWORD})

    assert response.status_code == 302
    # Text: nothing. The confirmation to their old address was sent by the task its commit
    # queued, which then blanked the address (see the module docstring).
    confirmation = OutboundEmail.objects.get(kind=CONFIRMATION_KIND)
    assert (confirmation.status, confirmation.to) == ("sent", "erased@erased.invalid")
    assert [EMAIL] in [message.to for message in mail.outbox]
    for needle in NEEDLES:
        assert _rows_holding(needle) == [], needle
    # Vectors: their embedding is nowhere.
    assert _vector_rows_holding(EMBEDDING) == []
    # Storage: their files are gone, and no file is left at all (they were the only uploader).
    assert not any((storage_root / key).exists() for key in keys)
    assert [p for p in storage_root.rglob("*") if p.is_file()] == []
    # The partner API of both companies no longer knows them.
    for client, application in zip(clients, everything["applications"], strict=True):
        assert client.get(f"/api/v1/candidates/{person.pk}").status_code == 404
        assert client.get(f"/api/v1/applications/{application.pk}").status_code == 404
    # The tombstone is nameless and everything that was theirs alone is gone.
    tombstone = User.objects.get(pk=person.pk)
    assert tombstone.email.endswith("@erased.invalid") and tombstone.clerk_user_id is None
    assert not ConsentRecord.objects.filter(user=person).exists()
    assert not Application.objects.filter(pk__in=[a.pk for a in everything["applications"]])
    assert AuditEvent.objects.filter(action="privacy.erased", actor=person).exists()
