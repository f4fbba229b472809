"""Downloads go through a permission check; the answer is always an attachment."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent, Role
from accounts.tests.factories import MembershipFactory, UserFactory
from applications.models import Document
from applications.services import application_submit
from applications.tests.attack_files import make_pdf
from applications.uploads import document_delete, document_upload
from jobs.tests.factories import JobFactory

PDF_BYTES = make_pdf()


def url(document: Document) -> str:
    return reverse("applications:document-download", args=[document.pk])


@pytest.fixture
def application(candidate, company):
    return application_submit(
        job=JobFactory(company=company), candidate=candidate, consent_processing=True
    )


@pytest.fixture
def document(candidate, application):
    return document_upload(
        owner=candidate,
        file=SimpleUploadedFile("Résumé Müller.pdf", PDF_BYTES),
        kind="resume",
        application=application,
    )


def download(client, user, document):
    if user is not None:
        client.force_login(user)
    return client.get(url(document))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def downloads_audited() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="document.downloaded"))


def test_owner_downloads_an_attachment_with_a_safe_name(client, candidate, document):
    response = download(client, candidate, document)

    assert response.status_code == 200
    assert body(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20M%C3%BCller.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert downloads_audited() == []  # the candidate reading their own file


def test_ascii_name_is_quoted_in_the_header(client, candidate):
    document = document_upload(
        owner=candidate, file=SimpleUploadedFile('my "cv".pdf', PDF_BYTES), kind="resume"
    )

    response = download(client, candidate, document)

    assert response["Content-Disposition"] == 'attachment; filename="my _cv_.pdf"'


@pytest.mark.parametrize("role", [Role.RECRUITER, Role.ADMIN, Role.OWNER])
def test_company_member_with_the_permission_downloads_and_is_audited(
    role, client, company, document
):
    member = MembershipFactory(company=company, role=role).user

    response = download(client, member, document)

    assert response.status_code == 200
    assert body(response) == PDF_BYTES
    [event] = downloads_audited()
    assert (event.actor, event.company_id, event.target_id) == (
        member,
        company.pk,
        str(document.pk),
    )
    assert event.ip_address == "127.0.0.1"


def test_superuser_downloads_and_is_audited(client, superuser, document):
    response = download(client, superuser, document)

    assert response.status_code == 200
    assert [event.actor for event in downloads_audited()] == [superuser]


@pytest.mark.parametrize("role", [Role.HIRING_MANAGER, Role.INTERVIEWER])
def test_members_without_the_download_permission_get_not_found(role, client, company, document):
    member = MembershipFactory(company=company, role=role).user

    assert download(client, member, document).status_code == 404
    assert downloads_audited() == []


def test_another_companys_recruiter_gets_not_found(client, other_company, document):
    stranger = MembershipFactory(company=other_company, role=Role.OWNER).user

    assert download(client, stranger, document).status_code == 404


def test_another_candidate_gets_not_found(client, document):
    assert download(client, UserFactory(), document).status_code == 404


def test_missing_and_forbidden_documents_look_the_same(client, document):
    client.force_login(UserFactory())

    forbidden = client.get(url(document))
    missing = client.get(reverse("applications:document-download", args=[document.pk + 1000]))

    assert (forbidden.status_code, missing.status_code) == (404, 404)
    assert forbidden.content == missing.content


def test_anonymous_is_sent_to_log_in(client, document):
    response = download(client, None, document)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url(document)}"


def test_recruiter_cannot_download_a_document_outside_any_application(client, candidate, recruiter):
    document = document_upload(
        owner=candidate, file=SimpleUploadedFile("cv.pdf", PDF_BYTES), kind="resume"
    )

    assert download(client, recruiter, document).status_code == 404
    client.force_login(candidate)
    assert client.get(url(document)).status_code == 200


def test_download_only_answers_get(client, candidate, document):
    client.force_login(candidate)

    assert client.post(url(document)).status_code == 405


def test_deleted_document_is_gone(client, candidate, document, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=Document.objects.get(pk=document.pk), actor=candidate)

    assert download(client, candidate, document).status_code == 404


def test_document_whose_file_is_lost_is_not_found_and_logged(
    client, candidate, document, settings, caplog
):
    location = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    (location / document.storage_key).unlink()
    caplog.set_level(logging.ERROR, logger="security.uploads")

    assert download(client, candidate, document).status_code == 404
    assert any("has no stored file" in record.getMessage() for record in caplog.records)
