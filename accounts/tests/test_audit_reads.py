"""Reads of personal data leave one audit event each, with who, what, the company and the IP:
opening an application or a document in the admin, downloading a resume (admin link, page,
API), exporting candidates, and the API's candidate and application details. The audit admin
filters them as "reads of personal data"."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin import helpers
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from accounts.services import audit_record, membership_set
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, UserFactory
from applications.models import Document
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from recruitment.tests.admin_helpers import _url

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
READS = ("candidate.viewed", "candidates.exported", "document.viewed", "document.downloaded")


@pytest.fixture
def company():
    return CompanyFactory()


@pytest.fixture
def recruiter(company):
    user = UserFactory()
    membership_set(company=company, user=user, role=Role.RECRUITER, actor=None)
    return user


@pytest.fixture
def application(company):
    candidate = CandidateProfileFactory().user
    return application_submit(
        job=JobFactory(company=company), candidate=candidate, consent_processing=True
    )


@pytest.fixture
def document(application):
    key = f"audit/{uuid.uuid4().hex}.txt"
    storages["private"].save(key, ContentFile(b"Ada Lovelace, analyst"))
    return Document.objects.create(
        owner=application.candidate,
        application=application,
        storage_key=key,
        original_name="cv.txt",
        content_type="text/plain",
        size=21,
        sha256="0" * 64,
    )


@pytest.fixture
def member_client(recruiter):
    client = Client(REMOTE_ADDR=IP)
    client.force_login(recruiter)
    return client


@pytest.fixture
def api(recruiter):
    client = APIClient(REMOTE_ADDR=IP)
    client.force_login(recruiter)
    return client


def _reads():
    return list(AuditEvent.objects.filter(action__in=READS).order_by("pk"))


def _only_event(action, actor, target, company):
    events = _reads()
    assert len(events) == 1, [e.action for e in events]
    event = events[0]
    assert event.action == action
    assert event.actor_id == actor.pk
    assert event.company_id == company.pk
    assert event.ip_address == IP
    assert event.created_at is not None
    if target is not None:
        assert (event.target_type, event.target_id) == (
            target._meta.label_lower,
            str(target.pk),
        )
    return event


def test_opening_an_application_in_the_admin_is_one_candidate_read(
    member_client, recruiter, application, company
):
    response = member_client.get(_url(type(application), "change", application.pk))
    assert response.status_code == 200
    _only_event("candidate.viewed", recruiter, application, company)


def test_the_admin_changelist_and_a_refused_change_page_are_not_reads(member_client, application):
    assert member_client.get(_url(type(application), "changelist")).status_code == 200
    elsewhere = application_submit(
        job=JobFactory(), candidate=UserFactory(), consent_processing=True
    )
    assert member_client.get(_url(type(elsewhere), "change", elsewhere.pk)).status_code == 404
    assert _reads() == []


def test_a_superuser_opening_a_candidate_profile_in_the_admin_is_one_read():
    staff = UserFactory(is_staff=True, is_superuser=True)
    profile = CandidateProfileFactory()
    client = Client(REMOTE_ADDR=IP)
    client.force_login(staff)
    assert client.get(_url(type(profile), "changelist")).status_code == 200
    assert _reads() == []
    assert client.get(_url(type(profile), "change", profile.pk)).status_code == 200
    (event,) = _reads()
    assert (event.action, event.actor_id, event.company_id) == ("candidate.viewed", staff.pk, None)
    assert (event.target_type, event.target_id) == ("accounts.candidateprofile", str(profile.pk))
    assert event.ip_address == IP


def test_opening_a_document_in_the_admin_is_one_document_read(
    member_client, recruiter, document, company
):
    assert member_client.get(_url(Document, "change", document.pk)).status_code == 200
    _only_event("document.viewed", recruiter, document, company)


def test_downloading_a_resume_from_the_admins_link_is_one_read(
    member_client, recruiter, document, company
):
    response = member_client.get(f"/documents/{document.pk}/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Ada Lovelace, analyst"
    _only_event("document.downloaded", recruiter, document, company)


def test_downloading_a_resume_through_the_api_is_one_read(api, recruiter, document, company):
    response = api.get(f"/api/v1/documents/{document.pk}/download")
    assert response.status_code == 200
    _only_event("document.downloaded", recruiter, document, company)


def test_the_candidate_downloading_their_own_resume_is_not_audited(document):
    client = Client(REMOTE_ADDR=IP)
    client.force_login(document.owner)
    assert client.get(f"/documents/{document.pk}/download").status_code == 200
    assert _reads() == []


def test_exporting_candidates_is_one_export_event(member_client, recruiter, application, company):
    second = application_submit(
        job=application.job, candidate=UserFactory(), consent_processing=True
    )
    response = member_client.post(
        _url(type(application), "changelist"),
        {"action": "export_csv", helpers.ACTION_CHECKBOX_NAME: [application.pk, second.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    b"".join(response.streaming_content)
    _only_event("candidates.exported", recruiter, None, company)


def test_the_api_candidate_detail_is_one_candidate_read(api, recruiter, application, company):
    response = api.get(f"/api/v1/candidates/{application.candidate_id}")
    assert response.status_code == 200
    _only_event("candidate.viewed", recruiter, application.candidate, company)


def test_the_api_candidate_list_is_not_a_detail_read(api, application):
    assert api.get("/api/v1/candidates").status_code == 200
    assert _reads() == []


def test_the_api_application_detail_is_one_candidate_read(api, recruiter, application, company):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/applications/{application.pk}")
    assert response.status_code == 200
    _only_event("candidate.viewed", recruiter, application, company)
    # The event names the application as "candidate → job at company", read with it: the
    # company's row is not fetched on its own.
    assert AuditEvent.objects.get(action="candidate.viewed").target_repr == (
        f"{application.candidate.email} → {application.job.title} at {company.name}"
    )
    assert not [q for q in queries if 'FROM "accounts_company"' in q["sql"]]


def test_a_candidate_reading_their_own_application_is_not_audited(application):
    client = APIClient(REMOTE_ADDR=IP)
    client.force_login(application.candidate)
    assert client.get(f"/api/v1/applications/{application.pk}").status_code == 200
    assert _reads() == []


def test_an_api_keys_candidate_read_is_audited_for_its_company(key_client, application, company):
    client = key_client(company, "candidates:read")
    response = client.get(f"/api/v1/candidates/{application.candidate_id}", REMOTE_ADDR=IP)
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="candidate.viewed")
    assert event.actor_id is None
    assert event.actor_label == f"API key {client.api_key.prefix}"
    assert (event.company_id, event.ip_address) == (company.pk, IP)


def test_the_audit_admin_filters_the_reads_of_personal_data(
    recruiter, application, company, member_client
):
    owner = UserFactory()
    membership_set(company=company, user=owner, role=Role.OWNER, actor=None)
    member_client.get(_url(type(application), "change", application.pk))
    audit_record(action="job.updated", actor=recruiter, target=application.job, company=company)
    client = Client()
    client.force_login(owner)

    def actions(kind):
        response = client.get(_url(AuditEvent, "changelist"), {"kind": kind})
        assert response.status_code == 200
        return {event.action for event in response.context["cl"].result_list}

    assert actions("reads") == {"candidate.viewed"}
    assert "membership.created" in actions("security") or "membership.role_changed" in actions(
        "security"
    )
    changes = actions("changes")
    assert "job.updated" in changes
    assert "candidate.viewed" not in changes
