"""The S3 path, against moto's S3 server running on 127.0.0.1 (a real HTTP S3, not a mock)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import MembershipFactory
from applications.models import Document
from applications.services import application_submit
from applications.tests.attack_files import make_docx, make_pdf
from applications.uploads import document_delete
from jobs.tests.factories import JobFactory

UPLOAD_URL = reverse("applications:document-upload")
KEYS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def bucket(moto_endpoint, settings, monkeypatch):
    """A fresh bucket, and the private storage pointed at it as STORAGE_BACKEND=s3 would."""
    for variable in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(variable, raising=False)
    name = f"uploads-{uuid.uuid4().hex[:12]}"
    s3 = boto3.resource(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
        region_name=KEYS["region_name"],
    )
    s3.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **KEYS,
                "endpoint_url": moto_endpoint,
                "bucket_name": name,
                "location": "private",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "addressing_style": "path",
            },
        },
    }
    return s3.Bucket(name)


def keys(bucket) -> list[str]:
    return sorted(obj.key for obj in bucket.objects.all())


def test_upload_stores_the_object_under_a_random_key(bucket, client, candidate):
    content = make_pdf()
    client.force_login(candidate)

    response = client.post(UPLOAD_URL, {"file": SimpleUploadedFile("My CV.pdf", content)})

    assert response.status_code == 201
    document = Document.objects.get()
    assert keys(bucket) == [f"private/{document.storage_key}"]
    assert "My CV" not in document.storage_key
    assert bucket.Object(f"private/{document.storage_key}").get()["Body"].read() == content


def test_rejected_upload_leaves_the_bucket_unchanged(bucket, client, candidate):
    client.force_login(candidate)
    client.post(UPLOAD_URL, {"file": SimpleUploadedFile("ok.docx", make_docx())})
    before = keys(bucket)

    response = client.post(
        UPLOAD_URL, {"file": SimpleUploadedFile("resume.pdf", b"MZ\x90\x00" + b"\x00" * 200)}
    )

    assert response.status_code == 400
    assert keys(bucket) == before
    assert Document.objects.count() == 1


def lifetime(query: dict) -> float:
    """Seconds a presigned URL stays valid: SigV4 says so, SigV2 gives the end time."""
    if "X-Amz-Expires" in query:
        return int(query["X-Amz-Expires"][0])
    return int(query["Expires"][0]) - time.time()


# The project's S3 options leave the signature version to botocore (SigV2 URLs here);
# s3v4 is what current AWS regions require.
@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_download_redirects_to_a_short_lived_signed_url_that_serves_the_bytes(
    signature_version, bucket, settings, client, candidate, company
):
    if signature_version is not None:
        private = settings.STORAGES["private"]
        options = {**private["OPTIONS"], "signature_version": signature_version}
        settings.STORAGES = {**settings.STORAGES, "private": {**private, "OPTIONS": options}}
    content = make_pdf()
    application = application_submit(
        job=JobFactory(company=company), candidate=candidate, consent_processing=True
    )
    client.force_login(candidate)
    client.post(
        UPLOAD_URL,
        {
            "file": SimpleUploadedFile("Lebenslauf Müller.pdf", content),
            "application": application.pk,
        },
    )
    document = Document.objects.get()
    recruiter = MembershipFactory(company=company, role=Role.RECRUITER).user
    client.force_login(recruiter)

    response = client.get(reverse("applications:document-download", args=[document.pk]))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    signed = urlsplit(response["Location"])
    query = parse_qs(signed.query)
    assert signed.path == f"/{bucket.name}/private/{document.storage_key}"
    assert 290 < lifetime(query) <= 300
    assert "X-Amz-Signature" in query or "Signature" in query
    assert ("X-Amz-Signature" in query) == (signature_version == "s3v4")
    assert query["response-content-disposition"] == [
        "attachment; filename*=utf-8''Lebenslauf%20M%C3%BCller.pdf"
    ]
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:
        assert fetched.read() == content
        assert fetched.headers["Content-Disposition"].startswith("attachment;")
        assert fetched.headers["Content-Type"] == "application/pdf"
        assert fetched.headers["Cache-Control"] == "private, no-store"


def test_no_signed_url_for_someone_without_access(bucket, client, candidate, other_company):
    client.force_login(candidate)
    client.post(UPLOAD_URL, {"file": SimpleUploadedFile("cv.pdf", make_pdf())})
    document = Document.objects.get()
    client.force_login(MembershipFactory(company=other_company, role=Role.OWNER).user)

    response = client.get(reverse("applications:document-download", args=[document.pk]))

    assert response.status_code == 404
    assert "Location" not in response


def test_delete_removes_the_object_once_committed(
    bucket, client, candidate, django_capture_on_commit_callbacks
):
    client.force_login(candidate)
    client.post(UPLOAD_URL, {"file": SimpleUploadedFile("cv.pdf", make_pdf())})
    document = Document.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document, actor=candidate)

    assert keys(bucket) == []
