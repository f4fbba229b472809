"""Access control of the partner API's object endpoints, as one matrix.

Company A owns one of everything (a job with an application, its document, an interview with
a scorecard, an offer, notes, a webhook endpoint with a delivery, a match); company B has the
outsiders. Each row of MATRIX is one operation on one of A's objects; each column is a kind
of caller; each cell is the exact status. Then:

- every 404, and every answer to an outsider, equals the answer for an id that does not exist
  (status and body), so nobody learns that another company's object exists;
- every error has the envelope `{"error": {"code", "message", "fields"}}`; nothing is a 500;
- each request runs in a savepoint rolled back after it, so every caller of a row meets the
  same world (a DELETE by one does not hide the object from the next).

Around it: a stale If-Match is 412 only for who may change the object; lists show only the
caller's company's rows (LISTS), nested rows too; ids of A's objects named in a request body
or filter, out-of-range ids and dead keys read as missing ones; an Idempotency-Key replays
only to its caller.

Roles are per company, not per job: `Job.hiring_team` grants nothing, so the hiring manager
here is on no job's team and still reads the company's applications (as every role test
elsewhere expects). Pipeline runs belong to the operator, not to a company: any key with a
`pipeline` scope reads them, whichever its company.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authentication import ApiKeyPrincipal
from accounts.models import ApiKey, Company, Role, User
from accounts.services import API_KEY_SCOPES, api_key_revoke
from accounts.tests.factories import CandidateProfileFactory, MembershipFactory
from accounts.webhooks import webhook_endpoint_create
from applications.hiring import interview_schedule, note_create, offer_create, scorecard_submit
from applications.models import Application, Document, Interview, Note, Offer, Scorecard, Stage
from applications.services import application_submit
from applications.tests.attack_files import make_pdf
from applications.uploads import document_upload
from jobs.models import Job
from jobs.tests.factories import JobFactory
from pipeline.models import Match, PipelineRun

pytestmark = pytest.mark.django_db

MISSING = 987_654_321  # no row has this id
STALE_ETAG = '"1-1"'
PUBLIC_HOOK = "https://93.184.215.14/hooks"  # example.com's address: the SSRF guard lets it by

# The columns, in MATRIX's order. "other_*" are of company B; the rest of company A, but for
# the candidates (who have no company) and the superuser.
CALLERS = (
    "anonymous",
    "candidate",  # applied to A's job: owns the application and its document
    "other_candidate",  # applied to B's job only
    "key",  # A's key with every scope
    "read_key",  # A's key with every scope but the row's `<resource>:write`
    "scopeless_key",  # A's key with every scope but the row's `<resource>:read|write`
    "other_key",  # B's key with every scope
    "superuser",
    "admin",
    "other_admin",
    "recruiter",
    "other_recruiter",
    "hiring_manager",  # on the job's hiring team (one on no team: test_api_role_limits.py)
    "interviewer",  # on the interview's panel; wrote its scorecard
    "off_panel",  # an interviewer of A not on the panel (so not interviewing for the job)
)
# Callers from outside company A: their answers must equal those for a missing id.
OUTSIDERS = {"other_candidate", "other_key", "other_admin", "other_recruiter"}


class Row(NamedTuple):
    expected: str  # one status per CALLERS column ("|" only groups them for reading)
    method: str
    path: str  # under /api/v1/; {placeholders} are World.ids; the first is the object's id
    resource: str  # the key scope resource the operation needs
    body: dict | str | None = None  # a str names a World.ids row: {"stage": its id}
    company_owned: bool = True

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def statuses(self) -> dict[str, int]:
        codes = [int(code) for code in self.expected.split() if code != "|"]
        assert len(codes) == len(CALLERS), self.id
        return dict(zip(CALLERS, codes, strict=True))


RATING = {"ratings": {"Problem solving": 3}, "recommendation": "yes"}

# Columns: anonymous, candidate, other candidate | A's keys: all scopes, read, none; B's key |
# superuser, admin, B's admin, recruiter, B's recruiter, hiring manager, interviewer, off panel.
# fmt: off
MATRIX = [
    #    ano can ocn | key rky nky oky | su  adm oad rec orc hm  int off
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 200 404", "GET", "jobs/{job}", "jobs"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 200 404 403 403 403", "PATCH", "jobs/{job}", "jobs", {"title": "Staff"}),
    Row("401 403 403 | 204 403 403 404 | 204 204 404 204 404 403 403 403", "DELETE", "jobs/{job}", "jobs"),
    Row("401 403 403 | 409 403 403 404 | 409 409 404 409 404 403 403 403", "POST", "jobs/{job}/publish", "jobs"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 200 404 403 403 403", "POST", "jobs/{job}/close", "jobs"),
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 403 403", "GET", "jobs/{job}/matches", "matches"),
    Row("401 200 404 | 200 200 403 404 | 200 200 404 200 404 200 404 404", "GET", "applications/{application}", "applications"),
    Row("401 403 404 | 200 403 403 404 | 200 200 404 200 404 200 404 404", "PATCH", "applications/{application}", "applications", {"rating": 3}),
    Row("401 403 404 | 200 403 403 404 | 200 200 404 200 404 403 404 404", "POST", "applications/{application}/move", "applications", "screen"),
    Row("401 403 404 | 200 403 403 404 | 200 200 404 200 404 403 404 404", "POST", "applications/{application}/reject", "applications", {"reason": "Filled."}),
    Row("401 403 404 | 200 403 403 404 | 200 200 404 200 404 403 404 404", "POST", "applications/{application}/hire", "applications"),
    Row("401 200 404 | 403 403 403 404 | 403 403 404 403 404 403 404 404", "POST", "applications/{application}/withdraw", "applications", {}),
    Row("401 403 404 | 200 200 403 404 | 200 200 404 200 404 200 404 404", "GET", "applications/{application}/stages", "applications"),
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 403 403", "GET", "candidates/{candidate}", "candidates"),
    Row("401 200 404 | 200 200 403 404 | 200 200 404 200 404 404 404 404", "GET", "documents/{document}", "documents"),
    Row("401 200 404 | 200 200 403 404 | 200 200 404 200 404 404 404 404", "GET", "documents/{document}/download", "documents"),
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 200 404", "GET", "interviews/{interview}", "interviews"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 200 404 403 403 403", "PATCH", "interviews/{interview}", "interviews", {"location": "Room 2"}),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 200 404 403 403 403", "POST", "interviews/{interview}/cancel", "interviews", {}),
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 200 404", "GET", "interviews/{interview}/scorecards", "interviews"),
    # A key writes no scorecard (403 person_required, before any lookup); the interviewer
    # already wrote theirs (409 scorecard_exists); a hiring manager neither sits nor schedules.
    Row("401 403 403 | 403 403 403 403 | 201 201 404 201 404 403 409 404", "POST", "interviews/{interview}/scorecards", "interviews", RATING),
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 200 404", "GET", "scorecards/{scorecard}", "interviews"),
    # Only its author (the interviewer) edits a scorecard.
    Row("401 403 403 | 403 403 403 403 | 403 403 404 403 404 403 200 404", "PATCH", "scorecards/{scorecard}", "interviews", {"notes": "Sharp."}),
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 403 403", "GET", "offers/{offer}", "offers"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 200 404 403 403 403", "PATCH", "offers/{offer}", "offers", {"salary": "75000.00"}),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 200 404 403 403 403", "POST", "offers/{offer}/send", "offers"),
    Row("401 403 403 | 409 403 403 404 | 409 409 404 409 404 403 403 403", "POST", "offers/{offer}/accept", "offers"),
    Row("401 403 403 | 409 403 403 404 | 409 409 404 409 404 403 403 403", "POST", "offers/{offer}/decline", "offers"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 200 404 403 403 403", "POST", "offers/{offer}/withdraw", "offers"),
    Row("401 403 403 | 200 200 403 404 | 200 200 404 200 404 200 403 403", "GET", "notes/{note}", "applications"),
    # Only a note's author edits or deletes it: the recruiter wrote `note`, the key `key_note`.
    Row("401 403 403 | 403 403 403 404 | 403 403 404 200 404 403 403 403", "PATCH", "notes/{note}", "applications", {"body": "Edited."}),
    Row("401 403 403 | 403 403 403 404 | 403 403 404 204 404 403 403 403", "DELETE", "notes/{note}", "applications"),
    Row("401 403 403 | 200 403 403 404 | 403 403 404 403 404 403 403 403", "PATCH", "notes/{key_note}", "applications", {"body": "Edited."}),
    Row("401 403 403 | 204 403 403 404 | 403 403 404 403 404 403 403 403", "DELETE", "notes/{key_note}", "applications"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 403 403 403 403 403", "GET", "webhooks/{hook}", "webhooks"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 403 403 403 403 403", "PATCH", "webhooks/{hook}", "webhooks", {"description": "HRIS"}),
    Row("401 403 403 | 204 403 403 404 | 204 204 404 403 403 403 403 403", "DELETE", "webhooks/{hook}", "webhooks"),
    Row("401 403 403 | 202 403 403 404 | 202 202 404 403 403 403 403 403", "POST", "webhooks/{hook}/ping", "webhooks"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 403 403 403 403 403", "POST", "webhooks/{hook}/rotate-secret", "webhooks"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 403 403 403 403 403", "GET", "webhooks/{hook}/deliveries", "webhooks"),
    Row("401 403 403 | 200 403 403 404 | 200 200 404 403 403 403 403 403", "GET", "webhooks/{hook}/deliveries/{delivery}", "webhooks"),
    Row("401 403 403 | 202 403 403 404 | 202 202 404 403 403 403 403 403", "POST", "webhooks/{hook}/deliveries/{delivery}/redeliver", "webhooks"),
    # The operator's: staff with the model permission, or any company's key with the scope.
    Row("401 403 403 | 200 200 403 200 | 200 403 403 403 403 403 403 403", "GET", "pipeline/runs/{run}", "pipeline", None, company_owned=False),
]
# fmt: on


# --- The world -----------------------------------------------------------------------------


@dataclass
class World:
    company: Company
    other_company: Company
    users: dict[str, User]
    key: APIClient
    other_key: APIClient
    key_client: Callable[..., APIClient]
    ids: dict[str, int] = field(default_factory=dict)
    _keys: dict[tuple[str, str], APIClient] = field(default_factory=dict)

    def client(self, caller: str, resource: str) -> APIClient:
        if caller == "anonymous":
            return APIClient()
        if caller == "key":
            return self.key
        if caller == "other_key":
            return self.other_key
        if caller in ("read_key", "scopeless_key"):
            if (caller, resource) not in self._keys:
                dropped = {f"{resource}:write"} | (
                    {f"{resource}:read"} if caller == "scopeless_key" else set()
                )
                scopes = sorted(API_KEY_SCOPES - dropped)
                self._keys[caller, resource] = self.key_client(self.company, *scopes)
            return self._keys[caller, resource]
        client = APIClient()
        client.force_login(self.users[caller])
        return client


def _member(company, role) -> User:
    return MembershipFactory(company=company, role=role).user


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(f"{name}: Python and PostgreSQL for ten years."))


def _hiring_rows(*, job, candidate, recruiter, panel):
    """An application of `candidate` to `job` with a resume, an interview of `panel`, its
    scorecard by the first of the panel (else the recruiter), a draft offer and a note."""
    application = application_submit(job=job, candidate=candidate, consent_processing=True)
    document_upload(owner=candidate, file=_pdf("cv.pdf"), kind="resume", application=application)
    starts = timezone.now().replace(microsecond=0) + timedelta(days=2)
    interview = interview_schedule(
        application=application,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        actor=recruiter,
        interviewer_ids=[user.pk for user in panel],
    )
    scorecard_submit(interview=interview, actor=(panel or [recruiter])[0], **RATING)
    offer_create(application=application, salary=70000, currency="EUR", actor=recruiter)
    note_create(application=application, body="Strong on SQL.", actor=recruiter)
    Match.objects.create(candidate=candidate.candidate_profile, job=job, score=0.8)
    return application


@pytest.fixture
def world(
    company,
    other_company,
    candidate,
    superuser,
    company_admin,
    recruiter,
    hiring_manager,
    interviewer,
    key_client,
) -> World:
    every_scope = sorted(API_KEY_SCOPES)
    users = {
        "candidate": candidate,
        "other_candidate": CandidateProfileFactory().user,
        "superuser": superuser,
        "admin": company_admin,
        "other_admin": _member(other_company, Role.ADMIN),
        "recruiter": recruiter,
        "other_recruiter": _member(other_company, Role.RECRUITER),
        "hiring_manager": hiring_manager,
        "interviewer": interviewer,
        "off_panel": _member(company, Role.INTERVIEWER),
    }
    world = World(
        company=company,
        other_company=other_company,
        users=users,
        key=key_client(company, *every_scope),
        other_key=key_client(other_company, *every_scope),
        key_client=key_client,
    )
    job = JobFactory(company=company, status=Job.Status.OPEN)
    job.hiring_team.set([recruiter, interviewer, hiring_manager])
    application = _hiring_rows(
        job=job, candidate=candidate, recruiter=recruiter, panel=[interviewer]
    )
    key_note = note_create(
        application=application, body="Synced.", actor=ApiKeyPrincipal(world.key.api_key)
    )
    hook = webhook_endpoint_create(company=company, url=PUBLIC_HOOK, events=["*"], actor=None)
    run = PipelineRun.objects.create(kind=PipelineRun.Kind.MATCH, status="succeeded")
    world.ids = {
        "job": job.pk,
        "application": application.pk,
        "candidate": candidate.pk,
        "document": Document.objects.get(application=application).pk,
        "interview": Interview.objects.get(application=application).pk,
        "scorecard": Scorecard.objects.get(interview__application=application).pk,
        "offer": Offer.objects.get(application=application).pk,
        "note": Note.objects.get(application=application, author=recruiter).pk,
        "key_note": key_note.pk,
        "hook": hook.pk,
        "delivery": hook.deliveries.get().pk,
        "run": run.pk,
        "screen": Stage.objects.get(company=company, kind=Stage.Kind.SCREEN).pk,
    }
    return world


# --- Requests ------------------------------------------------------------------------------


def _call(client: APIClient, method: str, path: str, body=None, **headers):
    """One request, in a savepoint that is rolled back: the world stays as it was."""
    url = f"/api/v1/{path}"
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = getattr(client, method.lower())(url, body, format="json", headers=headers)
        transaction.set_rollback(True)
    if response.streaming:  # a download: read it to the end, which closes its file
        b"".join(response.streaming_content)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, (path, body)
        assert {"code", "message", "fields"} <= set(body["error"]), (path, body)
    return response


def _answer(response) -> tuple[int, object]:
    if response.status_code >= 400:
        return response.status_code, response.json()
    return response.status_code, None


def _body(row: Row, world: World):
    # The move's body names a stage of A's pipeline: the world knows its id.
    return {"stage": world.ids[row.body]} if isinstance(row.body, str) else row.body


def _paths(row: Row, world: World, missing: int = MISSING) -> tuple[str, str]:
    """The row's path for A's object, and with `missing` for its object's (first) id."""
    first = row.path.split("{", 1)[1].split("}", 1)[0]
    return row.path.format(**world.ids), row.path.format(**{**world.ids, first: missing})


# --- The matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
def test_who_may_do_what_to_company_a_s_objects(world, row):
    path, missing_path = _paths(row, world)
    body = _body(row, world)
    got, leaks = {}, {}
    for caller, expected in row.statuses().items():
        client = world.client(caller, row.resource)
        response = _call(client, row.method, path, body)
        got[caller] = response.status_code
        if row.company_owned and (expected == 404 or caller in OUTSIDERS):
            missing = _call(client, row.method, missing_path, body)
            if _answer(response) != _answer(missing):
                leaks[caller] = {"object": _answer(response), "missing": _answer(missing)}
    assert got == row.statuses()
    assert leaks == {}, "an answer tells A's object from a missing one"


# The changes of an existing object that honour If-Match (webhook endpoints have no ETag; a
# scorecard POST creates one).
IF_MATCH = [
    row
    for row in MATRIX
    if row.method != "GET"
    and not row.path.startswith("webhooks")
    and not row.path.endswith("/scorecards")
]


@pytest.mark.parametrize("row", IF_MATCH, ids=lambda row: row.id)
def test_a_stale_if_match_is_412_for_who_may_and_a_404_for_outsiders(world, row):
    """If-Match is checked after the object's access: a 412 would tell an outsider it exists.
    (A change without If-Match goes ahead: the matrix sends none. Webhook endpoints have no
    ETag.)"""
    path, missing_path = _paths(row, world)
    body = _body(row, world)
    statuses = row.statuses()
    # The first caller let through to the object (a 409 is refused only after the check).
    allowed = next(caller for caller in CALLERS if statuses[caller] in (200, 204, 409))
    stale = _call(world.client(allowed, row.resource), row.method, path, body, if_match=STALE_ETAG)
    assert stale.status_code == 412, (allowed, stale.content)
    assert stale.json()["error"]["code"] == "precondition_failed"
    for caller in sorted(OUTSIDERS):
        client = world.client(caller, row.resource)
        answer = _answer(_call(client, row.method, path, body, if_match=STALE_ETAG))
        assert answer == _answer(_call(client, row.method, missing_path, body)), caller
        assert answer[0] == statuses[caller], caller


# --- Lists ---------------------------------------------------------------------------------


def _rows_of(company) -> dict[str, set[int]]:
    """The ids each list shows of `company`'s rows."""
    of_company = {"job__company": company}
    return {
        "jobs": set(Job.objects.filter(company=company).values_list("pk", flat=True)),
        "applications": set(Application.objects.filter(**of_company).values_list("pk", flat=True)),
        "candidates": set(
            User.objects.filter(applications__job__company=company).values_list("pk", flat=True)
        ),
        "documents": set(
            Document.objects.filter(application__job__company=company).values_list("pk", flat=True)
        ),
        "interviews": set(
            Interview.objects.filter(application__job__company=company).values_list("pk", flat=True)
        ),
        "scorecards": set(
            Scorecard.objects.filter(interview__application__job__company=company).values_list(
                "pk", flat=True
            )
        ),
        "offers": set(
            Offer.objects.filter(application__job__company=company).values_list("pk", flat=True)
        ),
        "notes": set(
            Note.objects.filter(application__job__company=company).values_list("pk", flat=True)
        ),
        "webhooks": set(company.webhook_endpoints.values_list("pk", flat=True)),
        "stages": set(Stage.objects.filter(company=company).values_list("pk", flat=True)),
        "users/me/matches": set(
            Match.objects.filter(job__company=company).values_list("pk", flat=True)
        ),
    }


# A: company A's rows; B: company B's; AB: both; 0: none (an empty page); else the status.
# The columns are MATRIX's.
# fmt: off
LISTS = [
    #                                     ano can ocn | key rky nky oky | su  adm oad rec orc hm  int off
    ("jobs",             "jobs",         "401 403 403 | A   A   403 B   | AB  A   B   A   B   A   A   0"),
    ("applications",     "applications", "401 A   B   | A   A   403 B   | AB  A   B   A   B   A   0   0"),
    ("candidates",       "candidates",   "401 403 403 | A   A   403 B   | AB  A   B   A   B   A   403 403"),
    ("documents",        "documents",    "401 A   B   | A   A   403 B   | AB  A   B   A   B   0   0   0"),
    ("interviews",       "interviews",   "401 403 403 | A   A   403 B   | AB  A   B   A   B   A   A   0"),
    ("scorecards",       "interviews",   "401 403 403 | A   A   403 B   | AB  A   B   A   B   A   A   0"),
    ("offers",           "offers",       "401 403 403 | A   A   403 B   | AB  A   B   A   B   A   403 403"),
    ("notes",            "applications", "401 403 403 | A   A   403 B   | AB  A   B   A   B   A   403 403"),
    ("webhooks",         "webhooks",     "401 403 403 | A   403 403 B   | AB  A   B   403 403 403 403 403"),
    ("stages",           "applications", "401 403 403 | A   A   403 B   | AB  A   B   A   B   A   403 403"),
    ("users/me/matches", "matches",      "401 A   B   | 403 403 403 403 | 0   0   0   0   0   0   0   0"),
]
# fmt: on


@pytest.fixture
def both_companies(world) -> World:
    """Company B gets the same rows as A, for the other candidate (its recruiter's panel)."""
    other_job = JobFactory(company=world.other_company, status=Job.Status.OPEN)
    _hiring_rows(
        job=other_job,
        candidate=world.users["other_candidate"],
        recruiter=world.users["other_recruiter"],
        panel=[],
    )
    webhook_endpoint_create(company=world.other_company, url=PUBLIC_HOOK, events=["*"], actor=None)
    return world


@pytest.mark.parametrize(("path", "resource", "expected"), LISTS, ids=[row[0] for row in LISTS])
def test_lists_show_the_callers_companys_rows_only(both_companies, path, resource, expected):
    world = both_companies
    a, b = _rows_of(world.company)[path], _rows_of(world.other_company)[path]
    assert a and b and not a & b
    rows = {"A": a, "B": b, "AB": a | b, "0": set()}
    cells = [cell for cell in expected.split() if cell != "|"]
    want, got = {}, {}
    for caller, cell in zip(CALLERS, cells, strict=True):
        response = _call(world.client(caller, resource), "GET", f"{path}?page_size=500")
        want[caller] = rows[cell] if cell in rows else int(cell)
        if response.status_code == 200:
            got[caller] = {row["id"] for row in response.json()["results"]}
            # A superuser sees every company's rows, not only these two.
            if cell == "AB":
                got[caller] &= a | b
        else:
            got[caller] = response.status_code
    assert got == want


def test_a_candidate_of_both_companies_shows_each_company_only_its_own_rows(both_companies):
    """Rows nested in an answer (a candidate's applications, an application's documents, a
    search hit's resume) are the caller's company's too."""
    world = both_companies
    candidate = world.users["candidate"]
    other_job = Job.objects.get(company=world.other_company)
    b_application = application_submit(job=other_job, candidate=candidate, consent_processing=True)
    b_resume = document_upload(
        owner=candidate, file=_pdf("b.pdf"), kind="resume", application=b_application
    )
    Document.objects.filter(pk=b_resume.pk).update(extracted_text="Zanzibar freight logistics")
    a_application = world.ids["application"]

    def application_ids(answer) -> list[int]:
        return [application["id"] for application in answer["applications"]]

    assert application_ids(_call(world.key, "GET", f"candidates/{candidate.pk}").json()) == [
        a_application
    ]
    assert application_ids(_call(world.other_key, "GET", f"candidates/{candidate.pk}").json()) == [
        b_application.pk
    ]
    detail = _call(world.key, "GET", f"applications/{a_application}").json()
    assert [document["id"] for document in detail["documents"]] == [world.ids["document"]]
    assert _call(world.key, "GET", "search/candidates?q=zanzibar").json()["results"] == []
    hits = _call(world.other_key, "GET", "search/candidates?q=zanzibar").json()["results"]
    assert [hit["candidate"]["id"] for hit in hits] == [candidate.pk]
    assert application_ids(hits[0]) == [b_application.pk]
    mine = _call(world.client("candidate", ""), "GET", "applications").json()["results"]
    assert {row["id"] for row in mine} == {a_application, b_application.pk}


# --- Ids of another company inside a request -------------------------------------------------


def test_another_companys_delivery_under_ones_own_endpoint_is_404(world):
    """A nested id is looked up under its parent: B's endpoint does not reach A's delivery."""
    b_hook = webhook_endpoint_create(
        company=world.other_company, url=PUBLIC_HOOK, events=["*"], actor=None
    )
    delivery = world.ids["delivery"]
    for suffix, method in (("", "GET"), ("/redeliver", "POST")):
        foreign = _call(
            world.other_key, method, f"webhooks/{b_hook.pk}/deliveries/{delivery}{suffix}"
        )
        missing = _call(
            world.other_key, method, f"webhooks/{b_hook.pk}/deliveries/{MISSING}{suffix}"
        )
        assert foreign.status_code == 404
        assert foreign.json() == missing.json()


# Requests naming one of A's objects in their body or query: (method, path, body), made from
# the ids ({name: id}) of A's objects, or of missing ones.
REFERENCES = {
    "submit to a draft job": lambda ids: (
        "POST", "applications",
        {"job": ids["draft_job"], "email": "ada@example.org", "consent_processing": True},
    ),
    "submit to an open job": lambda ids: (
        "POST", "applications",
        {"job": ids["job"], "email": "ada@example.org", "consent_processing": True},
    ),
    "schedule an interview": lambda ids: (
        "POST", "interviews",
        {"application": ids["application"], "starts_at": "2030-01-01T10:00:00Z",
         "ends_at": "2030-01-01T11:00:00Z"},
    ),
    "draft an offer": lambda ids: (
        "POST", "offers", {"application": ids["application"], "salary": "1.00", "currency": "EUR"}
    ),
    "write a note": lambda ids: (
        "POST", "notes", {"application": ids["application"], "body": "Hello."}
    ),
    "create a job in a company": lambda ids: (
        "POST", "jobs", {"title": "Engineer", "company": ids["company"]}
    ),
    "subscribe a company's webhook": lambda ids: (
        "POST", "webhooks", {"url": PUBLIC_HOOK, "events": ["*"], "company": ids["company"]}
    ),
    "filter jobs by company": lambda ids: ("GET", f"jobs?company={ids['company']}", None),
}  # fmt: skip
# An open job is public: a person may apply to any, for themselves (the answer then says to
# leave the email out), so only a key's submit to it must read as a missing job.
REFERENCE_CASES = [
    (caller, name)
    for caller in ("other_key", "other_admin", "other_recruiter")
    for name in REFERENCES
    if not (caller != "other_key" and name == "submit to an open job")
]
# 400 but for these, refused before the body is read.
REFERENCE_STATUS = {("other_recruiter", "subscribe a company's webhook"): 403}


@pytest.mark.parametrize(("caller", "name"), REFERENCE_CASES, ids="-".join)
def test_naming_company_a_s_object_reads_as_naming_a_missing_one(world, caller, name):
    draft_job = JobFactory(company=world.company, status=Job.Status.DRAFT)
    ids = {**world.ids, "company": world.company.pk, "draft_job": draft_job.pk}
    client = world.client(caller, "")
    foreign = _call(client, *REFERENCES[name](ids))
    missing = _call(client, *REFERENCES[name](dict.fromkeys(ids, MISSING)))
    assert foreign.status_code == REFERENCE_STATUS.get((caller, name), 400), foreign.content
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("caller", ["other_key", "other_recruiter"])
def test_an_upload_to_company_a_s_application_reads_as_one_to_a_missing_one(world, caller):
    client = world.client(caller, "")
    answers = []
    for application in (world.ids["application"], MISSING):
        with transaction.atomic():
            response = client.post(
                "/api/v1/documents",
                {"file": _pdf("cv.pdf"), "application": application},
                format="multipart",
            )
            transaction.set_rollback(True)
        answers.append(_answer(response))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400
    assert Document.objects.count() == 1  # A's own


def test_a_move_to_another_companys_stage_reads_as_a_missing_stage(world):
    other_stage = Stage.objects.get(company=world.other_company, kind=Stage.Kind.SCREEN)
    path = f"applications/{world.ids['application']}/move"
    foreign = _call(world.key, "POST", path, {"stage": other_stage.pk})
    missing = _call(world.key, "POST", path, {"stage": MISSING})
    assert foreign.status_code == 400
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("bad_id", [0, 2**63, 2**64], ids=["zero", "past-bigint", "huge"])
def test_ids_out_of_range_read_as_missing_ones(world, bad_id):
    """The superuser passes every permission, so the lookup itself answers: never a 500."""
    client = world.client("superuser", "")
    for row in MATRIX:
        _, path = _paths(row, world, bad_id)
        _, missing_path = _paths(row, world)
        body = _body(row, world)
        answer = _answer(_call(client, row.method, path, body))
        assert answer == _answer(_call(client, row.method, missing_path, body)), row.id
        assert answer[0] == 404, row.id


@pytest.mark.parametrize("credentials", ["revoked", "expired", "garbage", "malformed"])
def test_a_dead_key_is_401_like_no_key(world, credentials):
    api_key = world.key.api_key
    if credentials == "revoked":
        api_key_revoke(api_key=api_key, actor=None)
    elif credentials == "expired":
        ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now())
    elif credentials == "garbage":
        world.key.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.prefix}.not-the-secret")
    else:
        world.key.credentials(HTTP_AUTHORIZATION="Bearer two words")
    for method, path in (("GET", f"jobs/{world.ids['job']}"), ("POST", f"jobs/{MISSING}/close")):
        answer = _call(world.key, method, path)
        assert answer.status_code == 401
        assert answer["WWW-Authenticate"] == 'Bearer realm="api"'
        assert answer.json()["error"]["code"] == "authentication_failed"


# --- Idempotency keys are the caller's ---------------------------------------------------------


def test_an_idempotency_key_replays_only_to_its_caller(world):
    """Another company sending the same Idempotency-Key gets its own answer, not A's."""
    header = {"Idempotency-Key": f"idor-{uuid.uuid4()}"}
    close = f"jobs/{world.ids['job']}/close"
    first = world.key.post(f"/api/v1/{close}", headers=header)
    assert first.status_code == 200
    stranger = world.other_key.post(f"/api/v1/{close}", headers=header)
    assert stranger.status_code == 404
    assert "Idempotent-Replayed" not in stranger
    again = world.key.post(f"/api/v1/{close}", headers=header)
    assert (again.status_code, again["Idempotent-Replayed"]) == (200, "true")
    other_request = world.key.post(f"/api/v1/jobs/{world.ids['job']}/publish", headers=header)
    assert other_request.status_code == 422
    assert other_request.json()["error"]["code"] == "idempotency_mismatch"
