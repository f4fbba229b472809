"""The extraction task, run eagerly on real files in private storage and the real database."""

import logging
import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from applications.models import Document
from applications.tasks import document_extract_text, retry_countdown
from applications.tests import resume_corpus
from applications.tests.resume_corpus import document_from_file
from jobs.models import Skill

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return resume_corpus.generated(tmp_path_factory)


@pytest.fixture
def taxonomy(db):
    Skill.objects.bulk_create(
        [Skill(name=name, slug=slug, aliases=list(a)) for name, slug, a in resume_corpus.TAXONOMY],
        ignore_conflicts=True,
    )


def stored(owner, resume, **kwargs) -> Document:
    return document_from_file(
        owner=owner, path=resume.path, content_type=resume.content_type, **kwargs
    )


@pytest.mark.parametrize("key", ["ada", "hannah"])  # a PDF and a DOCX
def test_document_extract_text_extracts_parses_and_suggests_to_the_profile(
    candidate, taxonomy, corpus, key
):
    resume = corpus[key]
    document = stored(candidate, resume)

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.EXTRACTED
    assert document.error == ""
    assert resume.person.email in document.extracted_text
    parsed = {name: field["value"] for name, field in document.parsed.items()}
    assert parsed["name"] == resume.truth["name"]
    assert parsed["email"] == resume.truth["email"]
    assert parsed["phone"] == resume.truth["phone"]
    assert set(resume.truth["skills"]) <= set(parsed["skills"])
    assert len(parsed["work_history"]) == len(resume.truth["work_history"])
    profile = candidate.candidate_profile
    profile.refresh_from_db()
    assert profile.suggestions == document.parsed
    assert profile.resume_text == document.extracted_text
    # Suggestions only: the profile's own fields wait for the candidate.
    assert (profile.city, profile.phone, profile.skills) == (
        "Berlin",
        "",
        ["python", "django", "postgresql"],
    )
    assert AuditEvent.objects.filter(action="document.extracted", target_id=document.pk).exists()


def test_document_extract_text_marks_a_scan_as_having_no_text(candidate, corpus):
    scan = corpus["ada"].path.parent / resume_corpus.SCANNED
    document = document_from_file(owner=candidate, path=scan, content_type=resume_corpus.PDF)

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.NO_TEXT
    assert (document.extracted_text, document.parsed, document.error) == ("", {}, "")
    candidate.candidate_profile.refresh_from_db()
    assert candidate.candidate_profile.suggestions == {}


def test_document_extract_text_fails_cleanly_when_the_file_is_missing(candidate):
    document = Document.objects.create(
        owner=candidate,
        storage_key="documents/never-stored",
        original_name="cv.pdf",
        content_type=resume_corpus.PDF,
        size=10,
        sha256="0" * 64,
    )

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error == "The file is missing from storage."
    assert AuditEvent.objects.filter(action="document.extraction_failed").exists()


def test_document_extract_text_fails_cleanly_on_a_corrupt_file(candidate, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not a PDF at all")
    document = document_from_file(owner=candidate, path=broken, content_type=resume_corpus.PDF)

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error.startswith("The PDF could not be read")


def test_a_second_run_on_an_extracted_document_is_a_no_op(candidate, taxonomy, corpus):
    document = stored(candidate, corpus["ada"])
    document_extract_text.delay(document.pk)
    document.refresh_from_db()
    text = document.extracted_text
    # Were the task to run again, the missing file would fail it.
    storages["private"].delete(document.storage_key)

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.EXTRACTED
    assert document.extracted_text == text
    assert AuditEvent.objects.filter(action="document.extracted").count() == 1


def test_a_failed_document_is_extracted_when_queued_again(candidate, taxonomy, corpus):
    resume = corpus["sophie"]
    document = Document.objects.create(
        owner=candidate,
        storage_key="documents/late",
        original_name="cv.pdf",
        content_type=resume.content_type,
        size=1,
        sha256="0" * 64,
    )
    document_extract_text.delay(document.pk)
    storages["private"].save("documents/late", ContentFile(resume.path.read_bytes()))

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert (document.status, document.error) == (Document.Status.EXTRACTED, "")


def test_document_extract_text_ignores_an_unknown_document(caplog):
    with caplog.at_level(logging.WARNING, logger="applications.tasks"):
        document_extract_text.delay(987654321)

    assert "does not exist" in caplog.text


def test_a_storage_error_in_process_fails_the_document_at_once(candidate):
    # A directory where the file should be: storage finds the key but cannot read it, the
    # kind of OSError a flaky mount gives. Without a broker nobody could retry later.
    storage = storages["private"]
    os.makedirs(storage.path("documents/a-directory"))
    document = Document.objects.create(
        owner=candidate,
        storage_key="documents/a-directory",
        original_name="cv.pdf",
        content_type=resume_corpus.PDF,
        size=1,
        sha256="0" * 64,
    )

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error.startswith("Storage error:")


def test_retries_back_off_exponentially_with_a_cap():
    assert [retry_countdown(n) for n in range(6)] == [30, 60, 120, 240, 480, 600]


def test_a_claim_left_by_a_dead_worker_is_taken_again(candidate, taxonomy, corpus, settings):
    document = stored(candidate, corpus["olivia"])
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.PROCESSING, processing_started_at=long_ago
    )

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.EXTRACTED


def test_a_fresh_claim_is_left_alone(candidate, taxonomy, corpus):
    document = stored(candidate, corpus["olivia"])
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.PROCESSING, processing_started_at=timezone.now()
    )

    document_extract_text.delay(document.pk)

    assert Document.objects.get(pk=document.pk).status == Document.Status.PROCESSING


def test_document_extract_text_runs_after_the_upload_commits(
    candidate, taxonomy, corpus, django_capture_on_commit_callbacks
):
    document = stored(candidate, corpus["olivia"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        document_extract_text.delay_on_commit(document.pk)
        assert Document.objects.get(pk=document.pk).status == Document.Status.UPLOADED

    assert len(callbacks) == 1
    document.refresh_from_db()
    assert document.status == Document.Status.EXTRACTED


def test_a_cover_letter_is_extracted_but_not_parsed(candidate, corpus):
    document = stored(candidate, corpus["amara"], kind=Document.Kind.COVER_LETTER)

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.EXTRACTED
    assert document.parsed == {}
    candidate.candidate_profile.refresh_from_db()
    assert candidate.candidate_profile.resume_text == ""


def test_a_resume_of_a_user_without_a_profile_is_parsed_all_the_same(taxonomy, corpus):
    document = stored(UserFactory(), corpus["liam"])

    document_extract_text.delay(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.EXTRACTED
    assert document.parsed["phone"]["value"] == "+35312345678"
