"""Applications, candidates, documents and candidate search in the partner API: each endpoint
and action for each kind of caller (roles, keys with and without the scope, another company,
candidates A and B, anonymous), bad input, ETags, and real uploads."""

import shutil
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role, User
from accounts.tests.factories import CandidateProfileFactory, MembershipFactory, UserFactory
from applications.models import Application, Document, Stage, StageChange
from applications.services import application_rate, application_submit
from applications.tests.attack_files import eicar, make_pdf
from applications.tests.clamd import FakeClamd, short_socket_dir
from applications.tests.factories import ApplicationFactory
from applications.uploads import document_upload
from jobs.models import Job
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

PDF = make_pdf("Ada Lovelace. Python, Django and Kubernetes for ten years.")
EXE = b"MZ\x90\x00\x03" + b"\x00" * 200


def _as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _stage(company, kind) -> Stage:
    return Stage.objects.filter(company=company, kind=kind).order_by("position").first()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _error(response, code: int) -> dict:
    assert response.status_code == code, response.content
    return response.json()["error"]


@pytest.fixture
def job(company, hiring_manager):
    job = JobFactory(company=company)
    job.hiring_team.add(hiring_manager)  # a hiring manager sees their hiring teams' jobs
    return job


@pytest.fixture
def application(job, candidate):
    return application_submit(job=job, candidate=candidate, consent_processing=True)


@pytest.fixture
def candidate_b(db):
    return CandidateProfileFactory().user


@pytest.fixture
def other_application(other_company, candidate):
    return application_submit(
        job=JobFactory(company=other_company), candidate=candidate, consent_processing=True
    )


@pytest.fixture
def other_recruiter(other_company):
    return MembershipFactory(company=other_company, role=Role.RECRUITER).user


@pytest.fixture
def fake_clamd(settings):
    directory = short_socket_dir()
    servers = []

    def start(reply: bytes) -> FakeClamd:
        server = FakeClamd(directory / f"clamd{len(servers)}.sock", reply)
        servers.append(server)
        settings.CLAMAV_SOCKET = str(server.path)
        settings.CLAMAV_TIMEOUT = 5
        return server

    yield start
    for server in servers:
        server.close()
    shutil.rmtree(directory, ignore_errors=True)


# --- GET applications ----------------------------------------------------------------------


def test_members_and_keys_list_their_companies_applications_only(
    company, recruiter, hiring_manager, key_client, application, other_application
):
    for client in (_as(recruiter), _as(hiring_manager), key_client(company, "applications:read")):
        assert _ids(client.get("/api/v1/applications")) == [application.pk]
    row = key_client(company, "applications:write").get("/api/v1/applications").json()
    assert row["results"][0]["stage"]["name"] == "Applied"
    assert row["results"][0]["candidate"]["email"] == application.candidate.email


def test_listing_applications_needs_the_scope_and_credentials(
    company, other_company, key_client, application, api_client
):
    assert _error(key_client(company, "jobs:read").get("/api/v1/applications"), 403)
    assert _ids(key_client(other_company, "applications:read").get("/api/v1/applications")) == []
    assert _error(api_client.get("/api/v1/applications"), 401)
    assert _error(APIClient(HTTP_AUTHORIZATION="Bearer nope.nope").get("/api/v1/applications"), 401)


def test_an_interviewer_lists_no_applications(interviewer, application):
    assert _ids(_as(interviewer).get("/api/v1/applications")) == []


def test_candidates_list_their_own_applications_as_candidates_see_them(
    candidate, candidate_b, application, other_application, job, recruiter
):
    ApplicationFactory(job=job, candidate=candidate_b)
    body = _as(candidate).get("/api/v1/applications").json()
    assert [row["id"] for row in body["results"]] == [other_application.pk, application.pk]
    mine = body["results"][1]
    assert mine["stage"]["name"] == "Application received"  # the candidate label
    assert (mine["rating"], mine["rejection_reason"]) == (None, "")
    assert application.pk not in _ids(_as(candidate_b).get("/api/v1/applications"))


def test_application_list_filters(company, key_client, job, application, candidate_b):
    client = key_client(company, "applications:read")
    other_job = JobFactory(company=company)
    moved = ApplicationFactory(
        job=other_job, candidate=candidate_b, stage=_stage(company, "screen")
    )
    assert _ids(client.get(f"/api/v1/applications?job={job.pk}")) == [application.pk]
    screen = _stage(company, "screen").pk
    assert _ids(client.get(f"/api/v1/applications?stage={screen}")) == [moved.pk]
    assert _ids(client.get("/api/v1/applications?status=hired")) == []
    assert _ids(client.get(f"/api/v1/applications?candidate={candidate_b.pk}")) == [moved.pk]
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert _ids(client.get("/api/v1/applications?" + urlencode({"updated_after": later}))) == []
    earlier = (timezone.now() - timedelta(minutes=1)).isoformat()
    assert (
        len(_ids(client.get("/api/v1/applications?" + urlencode({"updated_after": earlier})))) == 2
    )


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "updated_after=yesterday",
        "job=abc",
        "job=0",
        "stage=99999999999999999999",
        "page_size=0",
        "page_size=501",
        "cursor=garbage",
    ],
)
def test_bad_application_filters_are_400(company, key_client, query):
    response = key_client(company, "applications:read").get(f"/api/v1/applications?{query}")
    assert _error(response, 400)["code"] == "invalid"


def test_application_list_pages_with_a_cursor_and_a_link_header(company, key_client, job):
    made = [ApplicationFactory(job=job) for _ in range(3)]
    client = key_client(company, "applications:read")
    first = client.get("/api/v1/applications?page_size=2")
    assert _ids(first) == [made[2].pk, made[1].pk]
    assert 'rel="next"' in first["Link"]
    assert _ids(client.get(first.json()["next"])) == [made[0].pk]


def test_application_list_queries_do_not_grow_with_rows(company, key_client, job, recruiter):
    def count(client) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/applications").status_code == 200
        return len(queries)

    key = key_client(company, "applications:read")
    member = _as(recruiter)
    ApplicationFactory(job=job)
    count(key)  # the key's first request also records when it was last used
    one_key, one_member = count(key), count(member)
    for _ in range(5):
        ApplicationFactory(job=JobFactory(company=company))
    assert len(_ids(key.get("/api/v1/applications"))) == 6
    assert (count(key), count(member)) == (one_key, one_member)


# --- GET/PATCH applications/<id> -----------------------------------------------------------


def test_retrieve_answers_the_application_with_its_etag(
    company, recruiter, hiring_manager, key_client, application
):
    for client in (_as(recruiter), _as(hiring_manager), key_client(company, "applications:read")):
        response = client.get(f"/api/v1/applications/{application.pk}")
        assert response.status_code == 200
        assert response["ETag"] == f'"{application.pk}-' + response["ETag"].split("-")[1]
        body = response.json()
        assert (body["id"], body["job"]["id"], body["status"]) == (
            application.pk,
            application.job_id,
            "active",
        )
        assert body["documents"] == []


def test_retrieve_without_the_documents_scope_compiles_no_document_query(
    company, key_client, application, monkeypatch
):
    from django.db.models.sql.compiler import SQLCompiler

    client = key_client(company, "applications:read")
    compiled = []
    setup = SQLCompiler.pre_sql_setup

    def spy(self, *args, **kwargs):
        compiled.append(self.query.model)
        return setup(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "pre_sql_setup", spy)
    response = client.get(f"/api/v1/applications/{application.pk}")
    assert response.status_code == 200
    assert response.json()["documents"] == []
    # Its empty queryset is known empty without compiling it (about 1 ms a read).
    assert Application in compiled
    assert Document not in compiled


def test_retrieve_is_404_for_other_companies_and_other_candidates(
    other_company,
    other_recruiter,
    key_client,
    application,
    candidate,
    candidate_b,
    interviewer,
):
    url = f"/api/v1/applications/{application.pk}"
    for client in (
        _as(other_recruiter),
        key_client(other_company, "applications:read"),
        _as(candidate_b),
        _as(interviewer),
    ):
        assert _error(client.get(url), 404)["code"] == "not_found"
    assert _error(_as(candidate).get("/api/v1/applications/999999999"), 404)
    assert _as(candidate).get(url).json()["stage"]["name"] == "Application received"


def test_retrieve_needs_the_scope_and_credentials(company, key_client, application, api_client):
    url = f"/api/v1/applications/{application.pk}"
    assert _error(key_client(company, "candidates:read").get(url), 403)
    assert _error(api_client.get(url), 401)


def test_a_hiring_manager_rates_and_the_etag_changes(hiring_manager, application):
    client = _as(hiring_manager)
    url = f"/api/v1/applications/{application.pk}"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"rating": 4}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["rating"] == 4
    assert response["ETag"] != etag
    assert AuditEvent.objects.filter(action="application.rated").count() == 1

    stale = client.patch(url, {"rating": 2}, format="json", HTTP_IF_MATCH=etag)
    assert _error(stale, 412)["code"] == "precondition_failed"
    application.refresh_from_db()
    assert application.rating == 4
    cleared = client.patch(url, {"rating": None}, format="json", HTTP_IF_MATCH="*")
    assert cleared.json()["rating"] is None


def test_patch_moves_the_stage_for_recruiters_only(company, recruiter, hiring_manager, application):
    url = f"/api/v1/applications/{application.pk}"
    screen = _stage(company, "screen")
    assert _error(_as(hiring_manager).patch(url, {"stage": screen.pk}, format="json"), 403)
    response = _as(recruiter).patch(url, {"stage": screen.pk, "rating": 5}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["stage"]["id"], response.json()["rating"]) == (screen.pk, 5)


@pytest.mark.parametrize(
    "body",
    [{}, {"rating": 9}, {"rating": "good"}, {"stage": "x"}, {"stage": 999999999}],
)
def test_bad_patches_are_400(recruiter, application, body):
    response = _as(recruiter).patch(f"/api/v1/applications/{application.pk}", body, format="json")
    assert _error(response, 400)["code"] == "invalid"


def test_patch_with_a_body_that_is_not_json_is_400(recruiter, application):
    response = _as(recruiter).patch(
        f"/api/v1/applications/{application.pk}", "{rating", content_type="application/json"
    )
    assert _error(response, 400)


def test_keys_patch_with_the_write_scope_only(company, other_company, key_client, application):
    url = f"/api/v1/applications/{application.pk}"
    assert _error(key_client(company, "applications:read").patch(url, {"rating": 3}), 403)
    assert _error(key_client(other_company, "applications:write").patch(url, {"rating": 3}), 404)
    response = key_client(company, "applications:write").patch(url, {"rating": 3}, format="json")
    assert response.json()["rating"] == 3


# --- Actions -------------------------------------------------------------------------------


def test_a_recruiter_moves_an_application(company, recruiter, application):
    screen = _stage(company, "screen")
    response = _as(recruiter).post(
        f"/api/v1/applications/{application.pk}/move",
        {"stage": screen.pk, "reason": "Strong CV"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == {"id": screen.pk, "name": "Phone screen", "kind": "screen"}
    change = application.stage_changes.latest("id")
    assert (change.to_stage, change.actor, change.reason) == (screen, recruiter, "Strong CV")


def test_a_key_moves_an_application_and_the_history_names_no_person(
    company, key_client, application
):
    client = key_client(company, "applications:write")
    screen = _stage(company, "screen")
    response = client.post(f"/api/v1/applications/{application.pk}/move", {"stage": screen.pk})
    assert response.status_code == 200, response.content
    assert application.stage_changes.latest("id").actor is None
    event = AuditEvent.objects.get(action="application.moved")
    assert event.actor is None and client.api_key.prefix in event.actor_label


def test_move_is_refused_to_readers_and_other_companies(
    company, other_company, hiring_manager, key_client, application, candidate
):
    url = f"/api/v1/applications/{application.pk}/move"
    body = {"stage": _stage(company, "screen").pk}
    assert _error(_as(hiring_manager).post(url, body, format="json"), 403)
    assert _error(_as(candidate).post(url, body, format="json"), 403)
    assert _error(key_client(company, "applications:read").post(url, body), 403)
    assert _error(key_client(other_company, "applications:write").post(url, body), 404)
    assert _error(APIClient().post(url, body), 401)
    application.refresh_from_db()
    assert application.stage.kind == "applied"


def test_move_refuses_bad_stages(company, other_company, recruiter, application):
    client = _as(recruiter)
    url = f"/api/v1/applications/{application.pk}/move"
    for body in ({}, {"stage": "screen"}, {"stage": 999999999}, {"stage": -1}):
        assert _error(client.post(url, body, format="json"), 400)["code"] == "invalid"
    foreign = _error(client.post(url, {"stage": _stage(other_company, "screen").pk}), 400)
    assert "stage" in foreign["fields"]
    hired = client.post(url, {"stage": _stage(company, "hired").pk}, format="json")
    assert _error(hired, 409)["code"] == "use_hire_or_reject"
    same = client.post(url, {"stage": application.stage_id}, format="json")
    assert _error(same, 409)["code"] == "same_stage"
    assert _error(client.post(url, "not json", content_type="application/json"), 400)


def test_actions_honour_if_match(company, recruiter, application):
    client = _as(recruiter)
    url = f"/api/v1/applications/{application.pk}"
    etag = client.get(url)["ETag"]
    body = {"stage": _stage(company, "screen").pk}
    moved = client.post(f"{url}/move", body, format="json", HTTP_IF_MATCH=etag)
    assert moved.status_code == 200
    assert moved["ETag"] != etag
    stale = client.post(f"{url}/reject", {"reason": "No"}, format="json", HTTP_IF_MATCH=etag)
    assert _error(stale, 412)
    fresh = client.post(
        f"{url}/reject", {"reason": "No"}, format="json", HTTP_IF_MATCH=moved["ETag"]
    )
    assert fresh.status_code == 200


def test_a_recruiter_rejects_with_a_reason(recruiter, hiring_manager, application):
    url = f"/api/v1/applications/{application.pk}/reject"
    assert _error(_as(recruiter).post(url, {}, format="json"), 400)["fields"]["reason"]
    assert _error(_as(recruiter).post(url, {"reason": "   "}, format="json"), 400)
    assert _error(_as(hiring_manager).post(url, {"reason": "No"}, format="json"), 403)
    response = _as(recruiter).post(url, {"reason": "Role filled"}, format="json")
    assert (response.json()["status"], response.json()["rejection_reason"]) == (
        "rejected",
        "Role filled",
    )
    again = _as(recruiter).post(url, {"reason": "Again"}, format="json")
    assert _error(again, 409)["code"] == "application_closed"


def test_a_rejected_candidate_does_not_see_the_reason(candidate, recruiter, application):
    _as(recruiter).post(
        f"/api/v1/applications/{application.pk}/reject", {"reason": "Weak"}, format="json"
    )
    body = _as(candidate).get(f"/api/v1/applications/{application.pk}").json()
    assert (body["status"], body["rejection_reason"], body["stage"]["name"]) == (
        "rejected",
        "",
        "Not selected",
    )


def test_hire(company, recruiter, hiring_manager, candidate, key_client, application):
    url = f"/api/v1/applications/{application.pk}/hire"
    assert _error(_as(hiring_manager).post(url), 403)
    assert _error(_as(candidate).post(url), 403)
    assert _error(key_client(company, "applications:read").post(url), 403)
    response = key_client(company, "applications:write").post(url)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "hired"
    assert _error(_as(recruiter).post(url), 409)["code"] == "application_closed"


def test_the_candidate_withdraws_their_own_application_only(
    company, candidate, candidate_b, recruiter, key_client, application
):
    url = f"/api/v1/applications/{application.pk}/withdraw"
    assert _error(_as(candidate_b).post(url, {}, format="json"), 404)
    assert _error(_as(recruiter).post(url, {}, format="json"), 403)
    assert _error(key_client(company, "applications:write").post(url, {}), 403)
    response = _as(candidate).post(url, {"reason": "Took another job"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert _error(_as(candidate).post(url, {}, format="json"), 409)["code"] == "application_closed"


def test_stage_history_is_for_the_company(
    company, recruiter, candidate, key_client, other_company, application
):
    screen = _stage(company, "screen")
    _as(recruiter).post(f"/api/v1/applications/{application.pk}/move", {"stage": screen.pk})
    url = f"/api/v1/applications/{application.pk}/stages"
    for client in (_as(recruiter), key_client(company, "applications:read")):
        history = client.get(url).json()
        assert [(row["from_stage"] and row["from_stage"]["kind"], row["to_stage"]["kind"])
                for row in history] == [(None, "applied"), ("applied", "screen")]  # fmt: skip
        assert history[1]["actor"]["id"] == recruiter.pk
    assert _error(_as(candidate).get(url), 403)
    assert _error(key_client(other_company, "applications:read").get(url), 404)
    assert _error(key_client(company, "jobs:read").get(url), 403)
    assert _error(APIClient().get(url), 401)


def test_stages_list_the_callers_pipelines(
    company, other_company, recruiter, key_client, candidate
):
    stages = _ids(_as(recruiter).get("/api/v1/stages"))
    assert stages == list(company.stages.order_by("position").values_list("pk", flat=True))
    assert _ids(key_client(company, "applications:read").get("/api/v1/stages")) == stages
    assert _error(_as(candidate).get("/api/v1/stages"), 403)
    assert _error(key_client(other_company, "jobs:read").get("/api/v1/stages"), 403)


# --- POST applications ---------------------------------------------------------------------


def _submit(client, target, **fields):
    return client.post(
        "/api/v1/applications",
        {"job": target.pk, "consent_processing": True, **fields},
        format="json",
    )


def test_a_key_submits_a_candidate_with_a_resume_file(company, key_client, job):
    client = key_client(company, "applications:write")
    response = client.post(
        "/api/v1/applications",
        {
            "job": job.pk,
            "email": "Ada@Example.org",
            "full_name": "Ada Lovelace",
            "consent_processing": "true",
            "source": "agency",
            "answers": '{"notice": "1 month"}',
            "resume": SimpleUploadedFile("Ada CV.pdf", PDF, content_type="text/plain"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/applications/{body['id']}"
    assert response["ETag"]
    application = Application.objects.get(pk=body["id"])
    candidate = application.candidate
    assert (candidate.email, candidate.full_name) == ("ada@example.org", "Ada Lovelace")
    assert (application.source, application.answers) == ("agency", {"notice": "1 month"})
    document = Document.objects.get(application=application)
    assert (document.owner, document.content_type, document.original_name) == (
        candidate,
        "application/pdf",
        "Ada CV.pdf",
    )
    assert body["documents"] == []  # the key has no documents:read
    assert application.stage_changes.get().actor is None
    with_documents = key_client(company, "documents:read", "applications:read")
    detail = with_documents.get(f"/api/v1/applications/{application.pk}").json()
    assert [row["id"] for row in detail["documents"]] == [document.pk]


def test_a_member_submits_for_an_existing_person_found_by_email(recruiter, job, candidate):
    response = _submit(_as(recruiter), job, email=candidate.email.upper())
    assert response.status_code == 201, response.content
    assert response.json()["candidate"]["id"] == candidate.pk
    assert response.json()["source"] == "api"
    assert User.objects.filter(email__iexact=candidate.email).count() == 1


def test_a_candidate_applies_for_themselves_with_a_text_resume(candidate, job):
    response = _as(candidate).post(
        "/api/v1/applications",
        {
            "job": job.pk,
            "consent_processing": True,
            "source": "agency",
            "resume": SimpleUploadedFile("cv.txt", b"Python and Django, ten years.\n"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["candidate"]["id"], body["source"]) == (candidate.pk, "careers_site")
    assert [row["content_type"] for row in body["documents"]] == ["text/plain"]
    assert body["stage"]["name"] == "Application received"


def test_a_candidate_sends_a_document_they_uploaded_before(candidate, job):
    document = document_upload(
        owner=candidate, file=SimpleUploadedFile("cv.pdf", PDF), kind="resume"
    )
    response = _submit(_as(candidate), job, document=document.pk)
    assert response.status_code == 201, response.content
    document.refresh_from_db()
    assert document.application_id == response.json()["id"]


def test_a_key_sends_a_document_of_an_earlier_application_as_a_copy(
    company, key_client, job, application, candidate
):
    sent = document_upload(
        owner=candidate,
        file=SimpleUploadedFile("cv.pdf", PDF),
        kind="resume",
        application=application,
    )
    client = key_client(company, "applications:write", "documents:read")
    response = _submit(client, JobFactory(company=company), email=candidate.email, document=sent.pk)
    assert response.status_code == 201, response.content
    copy = Document.objects.get(application_id=response.json()["id"])
    assert (copy.sha256, copy.owner) == (sent.sha256, candidate)
    assert copy.storage_key != sent.storage_key


def test_a_document_must_be_the_candidates_and_visible(
    company, key_client, job, application, candidate, candidate_b
):
    theirs = document_upload(owner=candidate, file=SimpleUploadedFile("cv.pdf", PDF), kind="resume")
    # Not visible to the key: not sent to its company.
    client = key_client(company, "applications:write", "documents:read")
    missing = _submit(client, job, email=candidate_b.email, document=theirs.pk)
    assert _error(missing, 400)["fields"] == {"document": ["No such document."]}
    # Visible, but another person's.
    theirs.application = application
    theirs.save()
    wrong = _submit(
        client, JobFactory(company=company), email=candidate_b.email, document=theirs.pk
    )
    assert "document" in _error(wrong, 400)["fields"]
    # Candidate B cannot send candidate A's document.
    stolen = _submit(_as(candidate_b), JobFactory(company=company), document=theirs.pk)
    assert _error(stolen, 400)["fields"] == {"document": ["No such document."]}
    assert not Application.objects.filter(candidate=candidate_b).exists()


def test_a_refused_resume_leaves_nothing_behind(company, key_client, job):
    response = key_client(company, "applications:write").post(
        "/api/v1/applications",
        {
            "job": job.pk,
            "email": "new@example.org",
            "consent_processing": True,
            "resume": SimpleUploadedFile("cv.pdf", EXE),
        },
        format="multipart",
    )
    error = _error(response, 400)
    assert error["code"] not in ("invalid", "")
    assert not User.objects.filter(email="new@example.org").exists()
    assert not Application.objects.filter(job=job).exists()
    assert not Document.objects.exists()
    assert AuditEvent.objects.filter(action="document.rejected").exists()


def test_a_resume_with_a_virus_is_refused(company, key_client, job, fake_clamd):
    fake_clamd(b"stream: Eicar-Test-Signature FOUND\0")
    response = key_client(company, "applications:write").post(
        "/api/v1/applications",
        {
            "job": job.pk,
            "email": "new@example.org",
            "consent_processing": True,
            "resume": SimpleUploadedFile("cv.txt", eicar()),
        },
        format="multipart",
    )
    assert _error(response, 400)["code"] == "virus_found"
    assert not Application.objects.exists()


def test_a_resume_over_the_limit_is_413(company, key_client, job, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    client = key_client(company, "applications:write")
    fields = {"job": job.pk, "email": "new@example.org", "consent_processing": True}
    small = client.post(
        "/api/v1/applications",
        {**fields, "resume": SimpleUploadedFile("cv.txt", b"a" * 2048)},
        format="multipart",
    )
    assert _error(small, 413)["code"] == "file_too_large"
    huge = client.post(
        "/api/v1/applications",
        {**fields, "resume": SimpleUploadedFile("cv.txt", b"a" * 200_000)},
        format="multipart",
    )
    assert _error(huge, 413)["code"] == "file_too_large"
    assert not Application.objects.exists()


def test_submit_needs_the_scope_and_credentials(company, key_client, job, api_client):
    assert _error(_submit(key_client(company, "applications:read"), job, email="a@b.org"), 403)
    assert _error(_submit(api_client, job, email="a@b.org"), 401)


def test_submit_refuses_bad_input(company, other_company, key_client, job, recruiter):
    client = key_client(company, "applications:write")
    foreign = _submit(client, JobFactory(company=other_company), email="a@example.org")
    assert "job" in _error(foreign, 400)["fields"]
    assert "email" in _error(_submit(client, job), 400)["fields"]
    assert "email" in _error(_submit(client, job, email="not-an-email"), 400)["fields"]
    no_consent = client.post("/api/v1/applications", {"job": job.pk, "email": "a@example.org"})
    assert "consent_processing" in _error(no_consent, 400)["fields"]
    refused = _submit(client, job, email="a@example.org", consent_processing=False)
    assert "consent_processing" in _error(refused, 400)["fields"]
    assert "job" in _error(_submit(client, job, job="x"), 400)["fields"]
    assert (
        "answers" in _error(_submit(client, job, email="a@example.org", answers=[1]), 400)["fields"]
    )
    assert (
        "source" in _error(_submit(client, job, email="a@example.org", source="x"), 400)["fields"]
    )
    nul = _submit(client, job, email="a@example.org", answers={"q": "a\x00b"})
    assert "answers" in _error(nul, 400)["fields"]
    not_json = client.post("/api/v1/applications", "{job", content_type="application/json")
    assert _error(not_json, 400)
    two_files = client.post(
        "/api/v1/applications",
        {
            "job": job.pk,
            "email": "a@example.org",
            "consent_processing": True,
            "resume": SimpleUploadedFile("a.txt", b"a"),
            "other": SimpleUploadedFile("b.txt", b"b"),
        },
        format="multipart",
    )
    assert _error(two_files, 400)["code"] == "file_count"
    assert not Application.objects.exists()


def test_submit_answers_409_for_closed_jobs_and_duplicates(company, key_client, job, candidate):
    client = key_client(company, "applications:write")
    closed = JobFactory(company=company, status=Job.Status.CLOSED)
    assert _error(_submit(client, closed, email="a@example.org"), 409)["code"] == "job_not_open"
    assert _submit(client, job, email=candidate.email).status_code == 201
    again = _submit(client, job, email=candidate.email)
    assert _error(again, 409)["code"] == "already_applied"


def test_a_candidate_applies_only_to_open_jobs_and_only_as_themselves(
    company, candidate, candidate_b, job
):
    draft = JobFactory(company=company, status=Job.Status.DRAFT)
    assert _error(_submit(_as(candidate), draft), 400)["fields"]["job"]
    impersonate = _submit(_as(candidate), job, email=candidate_b.email)
    assert "email" in _error(impersonate, 400)["fields"]
    assert not Application.objects.exists()


def test_an_idempotent_submit_runs_once(company, key_client, job):
    client = key_client(company, "applications:write")
    first = client.post(
        "/api/v1/applications",
        {"job": job.pk, "email": "a@example.org", "consent_processing": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="submit-1",
    )
    again = client.post(
        "/api/v1/applications",
        {"job": job.pk, "email": "a@example.org", "consent_processing": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="submit-1",
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1


# --- Candidates ----------------------------------------------------------------------------


def test_candidates_shows_applicants_with_their_applications_to_the_company_only(
    company, hiring_manager, key_client, application, other_application, candidate
):
    for client in (_as(hiring_manager), key_client(company, "candidates:read")):
        body = client.get("/api/v1/candidates").json()
        assert [row["id"] for row in body["results"]] == [candidate.pk]
        row = body["results"][0]
        assert [a["id"] for a in row["applications"]] == [application.pk]
        assert row["profile"]["headline"] == candidate.candidate_profile.headline
        detail = client.get(f"/api/v1/candidates/{candidate.pk}").json()
        assert [a["id"] for a in detail["applications"]] == [application.pk]


def test_candidates_are_refused_without_the_permission(
    company, other_company, interviewer, candidate, key_client, application, api_client
):
    assert _error(_as(interviewer).get("/api/v1/candidates"), 403)
    assert _error(_as(candidate).get("/api/v1/candidates"), 403)
    assert _error(key_client(company, "applications:read").get("/api/v1/candidates"), 403)
    assert _error(api_client.get("/api/v1/candidates"), 401)
    other = key_client(other_company, "candidates:read")
    assert _ids(other.get("/api/v1/candidates")) == []
    assert _error(other.get(f"/api/v1/candidates/{candidate.pk}"), 404)
    assert _error(
        key_client(company, "candidates:read").get(f"/api/v1/candidates/{interviewer.pk}"), 404
    )


def test_candidate_filters(company, key_client, job, application, candidate, candidate_b):
    client = key_client(company, "candidates:read")
    ApplicationFactory(job=JobFactory(company=company), candidate=candidate_b)
    email = urlencode({"email": candidate.email.upper()})
    assert _ids(client.get(f"/api/v1/candidates?{email}")) == [candidate.pk]
    assert _ids(client.get(f"/api/v1/candidates?job={job.pk}")) == [candidate.pk]
    later = urlencode({"updated_after": (timezone.now() + timedelta(minutes=1)).isoformat()})
    assert _ids(client.get(f"/api/v1/candidates?{later}")) == []
    Application.objects.filter(pk=application.pk).update(
        updated_at=timezone.now() + timedelta(minutes=2)
    )
    assert _ids(client.get(f"/api/v1/candidates?{later}")) == [candidate.pk]
    for query in ("email=nope", "job=x", "updated_after=soon", "page_size=9999"):
        assert _error(client.get(f"/api/v1/candidates?{query}"), 400)


def test_candidate_list_queries_do_not_grow_with_rows(company, key_client, job):
    client = key_client(company, "candidates:read")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/candidates").status_code == 200
        return len(queries)

    ApplicationFactory(job=job, candidate=CandidateProfileFactory().user)
    count()  # the key's first request also records when it was last used
    one = count()
    for _ in range(5):
        ApplicationFactory(job=JobFactory(company=company), candidate=UserFactory())
    assert len(_ids(client.get("/api/v1/candidates"))) == 6
    assert count() == one


# --- Candidate search ----------------------------------------------------------------------


@pytest.fixture
def applicants(company, other_company):
    mine = CandidateProfileFactory(headline="Kubernetes platform engineer").user
    ApplicationFactory(job=JobFactory(company=company), candidate=mine)
    theirs = CandidateProfileFactory(headline="Kubernetes expert").user
    ApplicationFactory(job=JobFactory(company=other_company), candidate=theirs)
    return mine, theirs


def test_recruiters_and_keys_search_their_applicants(company, recruiter, key_client, applicants):
    mine, _ = applicants
    for client in (_as(recruiter), key_client(company, "candidates:read")):
        response = client.get("/api/v1/search/candidates?q=kubernetes")
        assert response.status_code == 200, response.content
        results = response.json()["results"]
        assert [hit["candidate"]["id"] for hit in results] == [mine.pk]
        assert "<mark>" in results[0]["snippet_html"]
        assert len(results[0]["applications"]) == 1


def test_candidate_search_refuses_others_and_bad_input(
    company, other_company, candidate, interviewer, key_client, applicants, api_client
):
    _, theirs = applicants
    assert _error(_as(candidate).get("/api/v1/search/candidates?q=kubernetes"), 403)
    assert _error(_as(interviewer).get("/api/v1/search/candidates?q=kubernetes"), 403)
    assert _error(api_client.get("/api/v1/search/candidates?q=kubernetes"), 401)
    assert _error(key_client(company, "jobs:read").get("/api/v1/search/candidates?q=x"), 403)
    client = key_client(company, "candidates:read")
    for query in ("", "q=", "q=%20%20", "q=x&limit=0", "q=x&limit=101", "q=x&job=abc"):
        assert _error(client.get(f"/api/v1/search/candidates?{query}"), 400)
    other = key_client(other_company, "candidates:read").get(
        "/api/v1/search/candidates?q=kubernetes"
    )
    assert [hit["candidate"]["id"] for hit in other.json()["results"]] == [theirs.pk]


# --- Documents -----------------------------------------------------------------------------


def _upload(client, content=PDF, name="cv.pdf", **fields):
    return client.post(
        "/api/v1/documents",
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def test_a_candidate_uploads_and_reads_their_own_document(candidate, candidate_b):
    response = _upload(_as(candidate))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["owner"], body["application"], body["content_type"]) == (
        candidate.pk,
        None,
        "application/pdf",
    )
    assert response["Location"] == f"/api/v1/documents/{body['id']}"
    assert _as(candidate).get(f"/api/v1/documents/{body['id']}").json()["id"] == body["id"]
    assert _ids(_as(candidate).get("/api/v1/documents")) == [body["id"]]
    assert _error(_as(candidate_b).get(f"/api/v1/documents/{body['id']}"), 404)
    assert _error(_as(candidate_b).get(f"/api/v1/documents/{body['id']}/download"), 404)
    assert _ids(_as(candidate_b).get("/api/v1/documents")) == []


def test_members_and_keys_upload_to_their_companys_applications_for_the_candidate(
    company, recruiter, key_client, application, candidate
):
    by_member = _upload(_as(recruiter), application=application.pk, kind="cover_letter",
                        content=b"Dear team,\n", name="letter.txt")  # fmt: skip
    assert by_member.status_code == 201, by_member.content
    assert (by_member.json()["owner"], by_member.json()["kind"]) == (candidate.pk, "cover_letter")
    by_key = _upload(key_client(company, "applications:write"), application=application.pk)
    assert by_key.status_code == 201, by_key.content
    assert Document.objects.filter(application=application, owner=candidate).count() == 2
    assert AuditEvent.objects.filter(action="document.added").count() == 2


def test_document_uploads_refuse_bad_input_and_strangers(
    company, other_company, hiring_manager, candidate_b, key_client, application, other_recruiter
):
    client = key_client(company, "applications:write")
    assert _error(_upload(client), 400)["fields"]["application"]
    assert _error(_upload(client, application=999999999), 400)["fields"]["application"]
    foreign = key_client(other_company, "applications:write")
    assert _error(_upload(foreign, application=application.pk), 400)["fields"]["application"]
    assert _error(_upload(_as(other_recruiter), application=application.pk), 400)
    assert _error(_upload(_as(candidate_b), application=application.pk), 400)
    assert _error(_upload(_as(hiring_manager), application=application.pk), 400)
    assert _error(_upload(key_client(company, "documents:read"), application=application.pk), 403)
    bad_type = _upload(client, content=EXE, application=application.pk)
    assert _error(bad_type, 400)["code"] not in ("invalid", "")
    bad_kind = _upload(client, application=application.pk, kind="photo")
    assert "kind" in _error(bad_kind, 400)["fields"]
    missing = client.post("/api/v1/documents", {"application": application.pk}, format="multipart")
    assert "file" in _error(missing, 400)["fields"]
    as_json = client.post("/api/v1/documents", {"application": application.pk}, format="json")
    assert _error(as_json, 400)
    assert _error(APIClient().post("/api/v1/documents", {}), 401)
    assert not Document.objects.exists()


def test_documents_of_a_companys_applications_are_read_with_the_permission(
    company, other_company, recruiter, hiring_manager, key_client, application, candidate
):
    document = document_upload(
        owner=candidate,
        file=SimpleUploadedFile("cv.pdf", PDF),
        kind="resume",
        application=application,
    )
    url = f"/api/v1/documents/{document.pk}"
    for client in (_as(recruiter), key_client(company, "documents:read"), _as(candidate)):
        assert client.get(url).json()["sha256"] == document.sha256
        download = client.get(f"{url}/download")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Disposition"] == 'attachment; filename="cv.pdf"'
        assert download["X-Content-Type-Options"] == "nosniff"
    assert _ids(key_client(company, "documents:read").get(
        f"/api/v1/documents?application={application.pk}")) == [document.pk]  # fmt: skip
    assert _error(_as(hiring_manager).get(url), 404)
    assert _error(key_client(other_company, "documents:read").get(url), 404)
    assert _error(key_client(other_company, "documents:read").get(f"{url}/download"), 404)
    assert _error(key_client(company, "applications:read").get(url), 403)
    assert _error(APIClient().get(url), 401)
    assert AuditEvent.objects.filter(action="document.downloaded").count() == 2  # not the owner's


def test_document_list_filters_and_bad_input(candidate):
    _upload(_as(candidate))
    client = _as(candidate)
    assert len(_ids(client.get("/api/v1/documents?kind=resume"))) == 1
    assert _ids(client.get("/api/v1/documents?kind=other")) == []
    later = urlencode({"created_after": (timezone.now() + timedelta(minutes=1)).isoformat()})
    assert _ids(client.get(f"/api/v1/documents?{later}")) == []
    for query in ("kind=photo", "application=x", "created_after=soon"):
        assert _error(client.get(f"/api/v1/documents?{query}"), 400)


def test_a_stage_change_by_a_person_records_them(company, recruiter, application):
    _as(recruiter).post(f"/api/v1/applications/{application.pk}/hire", format="json")
    change = StageChange.objects.filter(application=application).latest("id")
    assert (change.actor, change.status) == (recruiter, "hired")


def test_a_session_upload_is_csrf_checked_and_read_under_the_limit(candidate, settings):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(candidate)
    refused = _upload(client)
    assert _error(refused, 403)
    token = "a" * 32  # a CSRF secret of the right form; the cookie and header must agree
    client.cookies["csrftoken"] = token
    accepted = client.post(
        "/api/v1/documents",
        {"file": SimpleUploadedFile("cv.pdf", PDF)},
        format="multipart",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 201, accepted.content
    settings.UPLOAD_MAX_BYTES = 1024
    too_big = client.post(
        "/api/v1/documents",
        {"file": SimpleUploadedFile("cv.txt", b"a" * 4096)},
        format="multipart",
        HTTP_X_CSRFTOKEN=token,
    )
    assert _error(too_big, 413)["code"] == "file_too_large"


def test_the_list_reads_flat_rows_that_answer_as_the_instances_do(recruiter, application):
    from applications.apis import ApplicationOutput
    from applications.selectors import application_list_rows, application_visible_list

    application_rate(application=application, rating=4, actor=recruiter)
    applications = application_visible_list(user=recruiter).filter(pk=application.pk)
    (row,) = application_list_rows(applications)
    instance = applications.get()
    # As the company (all companies, or this one) and as the candidate (no company).
    for company_ids in (None, [application.job.company_id], []):
        output = ApplicationOutput(context={"company_ids": company_ids})
        assert output.to_representation(row) == output.to_representation(instance)
    as_candidate = ApplicationOutput(context={"company_ids": []}).to_representation(row)
    assert as_candidate["stage"]["name"] == instance.stage.candidate_name
    assert (as_candidate["rating"], as_candidate["rejection_reason"]) == (None, "")


def test_the_hand_built_application_answer_matches_its_declared_fields(recruiter, application):
    from rest_framework import serializers

    from applications.apis import ApplicationDetailOutput, ApplicationOutput
    from applications.selectors import application_visible_list

    application_rate(application=application, rating=3, actor=recruiter)
    row = application_visible_list(user=recruiter, detail=True).get(pk=application.pk)
    row.visible_documents = []
    for output in (ApplicationOutput, ApplicationDetailOutput):
        declared = serializers.Serializer.to_representation(output(), row)
        assert output(row).data == declared
