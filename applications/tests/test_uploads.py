"""Secure uploads: the attack corpus, real documents, limits, names and the virus scanner.

Real PostgreSQL, real files in a private storage folder, real clamd when it is installed; the
only double is FakeClamd, standing in for the remote scanner to prove the protocol handling.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from applications.models import Document
from applications.services import application_submit
from applications.tests.attack_files import (
    CORPUS,
    RESUME_TEXT,
    AttackFile,
    make_docx,
    make_pdf,
    make_pdf_with_stream,
)
from applications.tests.clamd import (
    FakeClamd,
    clamd_binary,
    short_socket_dir,
    start_real_clamd,
)
from applications.uploads import (
    DOCX,
    PDF,
    TEXT,
    document_delete,
    document_upload,
    filename_clean,
    rejection_status,
)
from jobs.tests.factories import JobFactory

UPLOAD_URL = reverse("applications:document-upload")
STORAGE_KEY = re.compile(r"^documents/[0-9a-f]{32}$")


@pytest.fixture
def private_dir(settings) -> Path:
    return Path(settings.STORAGES["private"]["OPTIONS"]["location"])


def stored_files(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


@pytest.fixture
def candidate_client(client, candidate):
    client.force_login(candidate)
    return client


def post_files(client, *files: tuple[str, bytes], **data):
    uploads = [
        # The client's Content-Type is a lie on purpose: it must be ignored.
        SimpleUploadedFile(name, content, content_type="image/png")
        for name, content in files
    ]
    return client.post(UPLOAD_URL, {"file": uploads, **data} if uploads else data)


@pytest.fixture(scope="session")
def real_clamd():
    """The socket of a real clamd, or a skip saying why there is none."""
    binary = clamd_binary()
    if binary is None:
        pytest.skip(
            "clamd is not installed (apt-get install clamav-daemon); the EICAR test needs a "
            "real clamd"
        )
    directory = short_socket_dir()
    try:
        process = start_real_clamd(binary, directory)
    except RuntimeError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip(f"clamd is installed but could not run here: {exc}")
    yield str(directory / "clamd.sock")
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def fake_clamd(settings):
    directory = short_socket_dir()
    servers: list[FakeClamd] = []

    def start(reply: bytes | None = b"stream: OK\0") -> FakeClamd:
        server = FakeClamd(directory / f"clamd{len(servers)}.sock", reply)
        servers.append(server)
        settings.CLAMAV_SOCKET = str(server.path)
        settings.CLAMAV_TIMEOUT = 5
        return server

    yield start
    for server in servers:
        server.close()
    shutil.rmtree(directory, ignore_errors=True)


def assert_rejection_recorded(caplog, user, code):
    event = AuditEvent.objects.get(action="document.rejected")
    assert event.actor == user
    assert event.changes["reason"] == code
    logged = [
        r for r in caplog.records if r.name == "security" and r.getMessage() == "upload.rejected"
    ]
    assert [r.reason for r in logged] == [code]
    assert logged[0].user_id == user.pk


# --- The attack corpus ------------------------------------------------------------------------


def test_the_corpus_covers_what_the_issue_names():
    assert len(CORPUS) >= 15
    assert len({attack.id for attack in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("attack", CORPUS, ids=lambda attack: attack.id)
def test_upload_attack_is_rejected_and_leaves_nothing(
    attack: AttackFile, request, settings, client, candidate, private_dir, caplog
):
    for key, value in attack.settings.items():
        setattr(settings, key, value)
    if attack.needs_clamd:
        settings.CLAMAV_SOCKET = request.getfixturevalue("real_clamd")
    content = attack.build()
    documents_before = Document.objects.count()
    caplog.set_level(logging.INFO, logger="security.uploads")

    if attack.transport == "http":
        client.force_login(candidate)
        response = post_files(client, *[(attack.name, content)] * attack.files)
        status = response.status_code
        error = response.json()["error"]
        code = error["code"]
        assert error["message"]
    else:
        with pytest.raises(ValidationError) as caught:
            document_upload(
                owner=candidate, file=SimpleUploadedFile(attack.name, content), kind="resume"
            )
        status, code = rejection_status(caught.value), caught.value.code
        assert caught.value.messages[0]

    assert (status, code) == (attack.status, attack.code)
    assert Document.objects.count() == documents_before
    assert stored_files(private_dir) == []
    assert_rejection_recorded(caplog, candidate, attack.code)


# --- Real documents are accepted --------------------------------------------------------------

ACCEPTED = [
    pytest.param("Ada Lovelace CV.pdf", make_pdf, PDF, id="pdf"),
    pytest.param("Ada Lovelace CV.docx", make_docx, DOCX, id="docx"),
    pytest.param(
        "lebenslauf.txt",
        lambda: "Jürgen Müller — Python-Entwickler, Köln\n".encode(),
        TEXT,
        id="utf-8-text",
    ),
    pytest.param(
        "lebenslauf.txt",
        lambda: "Jürgen Müller, Straße 5, Köln. Erfahrung: Python.\n".encode("latin-1"),
        TEXT,
        id="latin-1-text",
    ),
    pytest.param(
        "resume.txt", lambda: "Zoë Ñúñez\r\nData engineer\r\n".encode("utf-16"), TEXT, id="utf-16"
    ),
]


@pytest.mark.parametrize(("name", "build", "content_type"), ACCEPTED)
def test_real_document_is_stored_under_a_random_key(
    name,
    build,
    content_type,
    candidate_client,
    candidate,
    private_dir,
    django_capture_on_commit_callbacks,
):
    content = build()
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_files(candidate_client, (name, content))

    assert response.status_code == 201, response.content
    document = Document.objects.get()
    assert response.json() == {
        "id": document.pk,
        "name": name,
        "size": len(content),
        "content_type": content_type,
    }
    assert document.owner == candidate
    assert document.content_type == content_type  # detected, not the client's image/png
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.status == Document.Status.UPLOADED
    assert STORAGE_KEY.match(document.storage_key)
    assert stored_files(private_dir) == [document.storage_key]
    assert (private_dir / document.storage_key).read_bytes() == content
    assert AuditEvent.objects.filter(action="document.uploaded", target_id=str(document.pk))
    assert len(callbacks) == 1  # the text extraction, queued on commit


# Honest files that share a few bytes with an attack must still get through.
NEAR_MISSES = [
    pytest.param(
        "resume.pdf",
        lambda: make_pdf_with_stream(
            b"q PK\x05\x06\x01\x00\x02\x00\x03\x00\x04\x00 /JS /JSX "
            b"PK\x03\x04\xff\xff\x08\x00" + bytes(range(256)) + b" Q"
        ),
        id="pdf-stream-with-zip-and-script-like-bytes",
    ),
    pytest.param(
        "resume.txt", lambda: b"Skills: JavaScript: 5 years, <TypeScript>\n", id="text-javascript"
    ),
    pytest.param("resume.txt", lambda: b"MZ Consulting GmbH\nSenior engineer\n", id="text-mz"),
    pytest.param(
        "resume.txt", lambda: b"Ada Lovelace <ada@example.com>\n", id="text-angle-brackets"
    ),
    pytest.param(
        "resume.txt",
        lambda: "Ana Pérez · Ingeniera de datos · Zaragoza\n".encode("cp1252"),
        id="text-cp1252",
    ),
]


@pytest.mark.parametrize(("name", "build"), NEAR_MISSES)
def test_honest_files_resembling_attacks_are_accepted(name, build, candidate_client):
    response = post_files(candidate_client, (name, build()))

    assert response.status_code == 201, response.content


def test_upload_queues_text_extraction_that_runs_on_commit(
    candidate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_upload(
            owner=candidate, file=SimpleUploadedFile("cv.pdf", make_pdf()), kind="resume"
        )
    document.refresh_from_db()
    # With CELERY_TASK_ALWAYS_EAGER the task ran inline, so the document left "uploaded".
    assert document.status != Document.Status.UPLOADED
    assert "Lovelace" in document.extracted_text


def test_upload_attaches_the_document_to_the_candidates_own_application(
    candidate_client, candidate, private_dir
):
    job = JobFactory()
    application = application_submit(job=job, candidate=candidate, consent_processing=True)

    response = post_files(
        candidate_client, ("cv.pdf", make_pdf()), application=application.pk, kind="cover_letter"
    )

    assert response.status_code == 201
    document = Document.objects.get()
    assert (document.application, document.kind) == (application, "cover_letter")
    event = AuditEvent.objects.get(action="document.uploaded")
    assert event.company_id == job.company_id


def test_upload_to_someone_elses_application_is_not_found(candidate_client, private_dir):
    other = application_submit(job=JobFactory(), candidate=UserFactory(), consent_processing=True)

    response = post_files(candidate_client, ("cv.pdf", make_pdf()), application=other.pk)

    assert response.status_code == 404
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []


def test_service_rejects_an_application_of_another_candidate(candidate, caplog):
    other = application_submit(job=JobFactory(), candidate=UserFactory(), consent_processing=True)

    with pytest.raises(ValidationError) as caught:
        document_upload(
            owner=candidate,
            file=SimpleUploadedFile("cv.pdf", make_pdf()),
            kind="resume",
            application=other,
        )

    assert caught.value.code == "application_not_owned"
    assert AuditEvent.objects.get(action="document.rejected").company_id is None


def test_upload_rejects_an_unknown_kind(candidate_client, private_dir):
    response = post_files(candidate_client, ("cv.pdf", make_pdf()), kind="passport")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_kind")
    assert stored_files(private_dir) == []


# --- Limits -----------------------------------------------------------------------------------


class EndlessUpload(File):
    """An upload that never ends, counting the chunks that are pulled from it."""

    def __init__(self):
        super().__init__(None, name="endless.txt")
        self.chunks_read = 0

    def chunks(self, chunk_size=None):
        while True:
            self.chunks_read += 1
            yield b"a" * chunk_size

    def read(self, *args):
        raise AssertionError("the service must stream chunks, never read() it all")


def test_size_limit_is_enforced_while_streaming(settings, candidate, private_dir):
    settings.UPLOAD_MAX_BYTES = 256 * 1024
    upload = EndlessUpload()

    with pytest.raises(ValidationError) as caught:
        document_upload(owner=candidate, file=upload, kind="resume")

    assert caught.value.code == "file_too_large"
    assert upload.chunks_read == 5  # 4 chunks of 64 KB fill the limit; the 5th passes it
    assert AuditEvent.objects.get(action="document.rejected").changes["size"] > 256 * 1024


def test_file_exactly_at_the_limit_is_accepted(settings, candidate_client):
    settings.UPLOAD_MAX_BYTES = 4096

    response = post_files(candidate_client, ("notes.txt", b"a" * 4096))

    assert response.status_code == 201


def test_request_far_over_the_limit_is_refused_before_it_is_read(
    settings, candidate_client, candidate, private_dir, caplog
):
    settings.UPLOAD_MAX_BYTES = 4096
    caplog.set_level(logging.INFO, logger="security.uploads")

    response = post_files(candidate_client, ("notes.txt", b"a" * 200_000))

    assert (response.status_code, response.json()["error"]["code"]) == (413, "file_too_large")
    assert stored_files(private_dir) == []
    assert_rejection_recorded(caplog, candidate, "file_too_large")


def test_quota_counts_the_documents_already_stored(settings, candidate_client, private_dir):
    first = make_pdf("first")
    settings.UPLOAD_QUOTA_BYTES = len(first) + 100
    assert post_files(candidate_client, ("a.pdf", first)).status_code == 201

    response = post_files(candidate_client, ("b.pdf", make_pdf("second")))

    assert (response.status_code, response.json()["error"]["code"]) == (413, "quota_exceeded")
    assert Document.objects.count() == 1
    assert stored_files(private_dir) == [Document.objects.get().storage_key]


def test_upload_without_a_file_is_rejected(candidate_client):
    response = post_files(candidate_client)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "file_count")


def test_two_files_in_one_upload_are_rejected(candidate_client, private_dir):
    response = post_files(candidate_client, ("a.pdf", make_pdf()), ("b.pdf", make_pdf()))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "file_count")
    assert stored_files(private_dir) == []


def test_upload_needs_a_login(db, client):
    response = client.post(UPLOAD_URL, {"file": SimpleUploadedFile("cv.pdf", make_pdf())})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Document.objects.exists()


def test_upload_checks_csrf_once_the_body_is_read(settings, candidate, private_dir):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(candidate)
    upload = {"file": SimpleUploadedFile("cv.pdf", make_pdf())}

    assert browser.post(UPLOAD_URL, upload).status_code == 403
    assert stored_files(private_dir) == []

    token = "a" * 32
    browser.cookies[settings.CSRF_COOKIE_NAME] = token
    upload["file"].seek(0)
    assert browser.post(UPLOAD_URL, upload, HTTP_X_CSRFTOKEN=token).status_code == 201


def test_upload_only_accepts_post(candidate_client):
    assert candidate_client.get(UPLOAD_URL).status_code == 405


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\ada\\cv.pdf", "cv.pdf"),
        ("  ..hidden.pdf", "hidden.pdf"),
        ("Lebenslauf Jürgen Müller.docx", "Lebenslauf Jürgen Müller.docx"),
        ("cv<script>.pdf", "cv_script_.pdf"),
        ('my "best" cv.txt', "my _best_ cv.txt"),
        ("cv\t2024.pdf", "cv 2024.pdf"),
        ("cv\u200b.pdf", "cv.pdf"),
        ("CV.PDF", "CV.PDF"),
    ],
)
def test_filename_clean_keeps_a_safe_display_name(raw, clean):
    assert filename_clean(raw) == clean


def test_filename_clean_limits_the_length_and_keeps_the_extension():
    clean = filename_clean("a" * 300 + ".pdf")

    assert len(clean) == 120
    assert clean.endswith("a.pdf")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("cv.pdf\x00.php", "invalid_filename"),
        ("cv\r.pdf", "invalid_filename"),
        ("cv\n.pdf", "invalid_filename"),
        ("cv.php.", "dangerous_extension"),
        ("cv.PhP.pdf", "dangerous_extension"),
        ("cv.html.txt", "dangerous_extension"),
        ("cv.exe .pdf", "dangerous_extension"),
        ("cv", "extension_not_allowed"),
        ("cv.doc", "extension_not_allowed"),
        ("photo.png", "extension_not_allowed"),
        ("...", "invalid_filename"),
        ("", "invalid_filename"),
    ],
)
def test_filename_clean_rejects_hostile_names(raw, code):
    with pytest.raises(ValidationError) as caught:
        filename_clean(raw)

    assert caught.value.code == code


def test_null_byte_over_http_is_still_rejected(candidate_client, private_dir):
    # Django's multipart parser drops the NUL, which leaves `resume.php.pdf`.
    response = post_files(candidate_client, ("resume.php\x00.pdf", make_pdf()))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "dangerous_extension")
    assert stored_files(private_dir) == []


def test_crlf_name_over_http_cannot_inject_a_header(candidate_client, candidate):
    # The CRLF ends the multipart part's header line, so the name stops at `cv.pdf`; only
    # callers that bypass the parser reach the service's own refusal (see the corpus).
    response = post_files(candidate_client, ('cv.pdf"\r\nX-Injected: 1\r\n.pdf', make_pdf()))

    assert response.status_code == 201
    assert Document.objects.get().original_name == "cv.pdf"


def test_stored_names_never_hold_control_characters(candidate_client):
    response = post_files(candidate_client, ("cv\u202e\u0007 2024.pdf", make_pdf()))

    assert response.status_code == 201
    assert Document.objects.get().original_name == "cv 2024.pdf"


# --- Virus scanning ---------------------------------------------------------------------------


def test_scanner_gets_the_file_over_instream_and_ok_accepts_it(
    fake_clamd, candidate_client, private_dir
):
    scanner = fake_clamd(b"stream: OK\0")
    content = ("Python developer. " * 8000).encode()  # ~144 KB: several chunks

    response = post_files(candidate_client, ("resume.txt", content))

    assert response.status_code == 201
    assert scanner.commands == [b"zINSTREAM\0"]
    assert scanner.received == content
    assert len(scanner.chunk_sizes) > 1 and max(scanner.chunk_sizes) <= 64 * 1024
    assert stored_files(private_dir) == [Document.objects.get().storage_key]


def test_scanner_found_rejects_the_upload(fake_clamd, candidate_client, candidate, private_dir):
    fake_clamd(b"stream: Win.Test.EICAR_HDB-1 FOUND\0")

    response = post_files(candidate_client, ("resume.pdf", make_pdf()))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "virus_found")
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []
    event = AuditEvent.objects.get(action="document.rejected")
    assert event.changes["signature"] == "Win.Test.EICAR_HDB-1"


@pytest.mark.parametrize(
    "reply",
    [b"INSTREAM size limit exceeded. ERROR\0", b"UNKNOWN COMMAND\0", None],
    ids=["error", "nonsense", "hangs-up"],
)
def test_scanner_errors_fail_closed(fake_clamd, reply, candidate_client, private_dir):
    fake_clamd(reply)

    response = post_files(candidate_client, ("resume.pdf", make_pdf()))

    assert (response.status_code, response.json()["error"]["code"]) == (503, "scanner_unavailable")
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []


def test_unreachable_scanner_fails_closed_and_logs(
    settings, tmp_path, candidate_client, candidate, private_dir, caplog
):
    settings.CLAMAV_SOCKET = str(tmp_path / "no-clamd-here.sock")
    caplog.set_level(logging.INFO, logger="security.uploads")

    response = post_files(candidate_client, ("resume.pdf", make_pdf()))

    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "scanner_unavailable",
        "message": "The virus scanner is unavailable; try again in a few minutes.",
    }
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []
    assert any(
        r.levelno == logging.ERROR and "scanner unavailable" in r.getMessage()
        for r in caplog.records
    )
    assert_rejection_recorded(caplog, candidate, "scanner_unavailable")


def test_real_clamd_passes_a_clean_document(real_clamd, settings, candidate_client):
    settings.CLAMAV_SOCKET = real_clamd

    response = post_files(candidate_client, ("resume.pdf", make_pdf()))

    assert response.status_code == 201


# --- Deleting ---------------------------------------------------------------------------------


def test_owner_deletes_a_document_and_its_file(
    candidate, private_dir, django_capture_on_commit_callbacks
):
    document = document_upload(
        owner=candidate, file=SimpleUploadedFile("cv.txt", RESUME_TEXT.encode()), kind="resume"
    )

    pk = document.pk

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document, actor=candidate)

    assert not Document.objects.exists()
    assert stored_files(private_dir) == []
    assert AuditEvent.objects.filter(action="document.deleted", target_id=str(pk))


def test_someone_else_cannot_delete_a_document(candidate, recruiter, private_dir):
    document = document_upload(
        owner=candidate, file=SimpleUploadedFile("cv.txt", RESUME_TEXT.encode()), kind="resume"
    )

    with pytest.raises(PermissionDenied):
        document_delete(document=document, actor=recruiter)

    assert Document.objects.filter(pk=document.pk).exists()
    assert stored_files(private_dir) == [document.storage_key]
