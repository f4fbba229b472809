"""Interviews, scorecards, offers and notes in the partner API: each endpoint for each kind of
caller (roles, keys with and without the scope, another company, anonymous) and bad input."""

import base64
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import MembershipFactory
from applications.hiring import (
    interview_schedule,
    note_create,
    offer_create,
    offer_send,
    scorecard_submit,
)
from applications.models import Application, Interview, Note, Offer, Scorecard
from applications.tests.factories import ApplicationFactory
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0) + timedelta(days=2)


def _as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _schedule(application, actor, interviewers=()):
    return interview_schedule(
        application=application,
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        actor=actor,
        interviewer_ids=[user.pk for user in interviewers],
    )


@pytest.fixture
def application(company, hiring_manager):
    job = JobFactory(company=company)
    job.hiring_team.add(hiring_manager)  # a hiring manager sees their hiring teams' jobs
    return ApplicationFactory(job=job)


@pytest.fixture
def other_recruiter(other_company):
    return MembershipFactory(company=other_company, role=Role.RECRUITER).user


@pytest.fixture
def other_application(other_company):
    return ApplicationFactory(job=JobFactory(company=other_company))


@pytest.fixture
def interview(application, recruiter, interviewer):
    return _schedule(application, recruiter, [interviewer])


@pytest.fixture
def other_interview(other_application, other_recruiter):
    return _schedule(other_application, other_recruiter)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _interview_input(application, /, **fields):
    return {
        "application": application.pk,
        "title": "Technical interview",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=1)).isoformat(),
        "timezone": "Europe/Berlin",
        "meeting_url": "https://meet.example.org/abc",
        **fields,
    }


# --- Interviews ----------------------------------------------------------------------------


def test_interview_list_by_caller(
    application,
    interview,
    other_interview,
    recruiter,
    hiring_manager,
    interviewer,
    other_recruiter,
    candidate,
    company,
    other_company,
    key_client,
):
    not_mine = _schedule(application, recruiter, [hiring_manager])
    both = sorted([interview.pk, not_mine.pk], reverse=True)

    assert _ids(_as(interviewer).get("/api/v1/interviews")) == [interview.pk]
    assert _ids(_as(hiring_manager).get("/api/v1/interviews")) == both
    assert _ids(_as(recruiter).get("/api/v1/interviews")) == both
    assert _ids(key_client(company, "interviews:read").get("/api/v1/interviews")) == both
    assert _ids(_as(other_recruiter).get("/api/v1/interviews")) == [other_interview.pk]
    other_key = key_client(other_company, "interviews:read")
    assert _ids(other_key.get("/api/v1/interviews")) == [other_interview.pk]

    assert key_client(company, "offers:read").get("/api/v1/interviews").status_code == 403
    assert _as(candidate).get("/api/v1/interviews").status_code == 403
    anonymous = APIClient().get("/api/v1/interviews")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_interview_list_filters_and_pages(application, interview, recruiter):
    later = _schedule(application, recruiter)
    Interview.objects.filter(pk=later.pk).update(status=Interview.Status.COMPLETED)
    client = _as(recruiter)
    assert _ids(client.get("/api/v1/interviews", {"status": "completed"})) == [later.pk]
    assert _ids(client.get("/api/v1/interviews", {"application": application.pk + 1})) == []
    since = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert _ids(client.get("/api/v1/interviews", {"updated_after": since})) == []

    first = client.get("/api/v1/interviews", {"page_size": 1})
    assert _ids(first) == [later.pk]
    assert 'rel="next"' in first["Link"]
    assert _ids(client.get(first.json()["next"])) == [interview.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "postponed"},
        {"updated_after": "yesterday"},
        {"starts_after": "2025-13-01"},
        {"application": "abc"},
        {"application": "99999999999999999999999"},
        {"page_size": "100000"},
        {"page_size": "0"},
        {"cursor": base64.b64encode(b"p=abc").decode()},
    ],
)
def test_bad_list_filters_are_400(recruiter, interview, params):
    response = _as(recruiter).get("/api/v1/interviews?" + urlencode(params))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"


def test_schedule_an_interview(application, recruiter, interviewer):
    response = _as(recruiter).post(
        "/api/v1/interviews",
        _interview_input(application, interviewers=[interviewer.pk]),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["interviewers"] == [{"id": interviewer.pk, "name": interviewer.full_name}]
    assert body["candidate"]["id"] == application.candidate_id
    assert (body["status"], body["created_by"], body["job"]) == (
        "scheduled",
        recruiter.pk,
        application.job_id,
    )
    assert response["Location"] == f"/api/v1/interviews/{body['id']}"
    assert response["ETag"]


def test_schedule_an_interview_with_a_key(application, company, key_client):
    response = key_client(company, "interviews:write").post(
        "/api/v1/interviews", _interview_input(application), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["created_by"] is None
    read_only = key_client(company, "interviews:read")
    response = read_only.post("/api/v1/interviews", _interview_input(application), format="json")
    assert response.status_code == 403


def test_who_may_not_schedule(
    application, other_application, hiring_manager, interviewer, other_recruiter, company
):
    for user in (hiring_manager, interviewer):
        response = _as(user).post(
            "/api/v1/interviews", _interview_input(application), format="json"
        )
        assert response.status_code == 403
    # Another company's application reads as a missing one.
    response = _as(other_recruiter).post(
        "/api/v1/interviews", _interview_input(application), format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"application": ["No such application."]}
    assert APIClient().post("/api/v1/interviews", {}, format="json").status_code == 401
    assert not Interview.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": START.isoformat()}, "ends_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"interviewers": ["x"]}, "interviewers"),
        ({"interviewers": [99999999]}, "interviewers"),
        ({"meeting_url": "not a url"}, "meeting_url"),
        ({"title": "x" * 201}, "title"),
        ({"application": None}, "application"),
        ({"application": 2**70}, "application"),
    ],
)
def test_schedule_bad_input_is_400(application, recruiter, fields, field):
    response = _as(recruiter).post(
        "/api/v1/interviews", _interview_input(application, **fields), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_schedule_refuses_a_non_json_body_and_a_closed_application(application, recruiter):
    client = _as(recruiter)
    response = client.post("/api/v1/interviews", "{", content_type="application/json")
    assert response.status_code == 400
    Application.objects.filter(pk=application.pk).update(status=Application.Status.HIRED)
    response = client.post("/api/v1/interviews", _interview_input(application), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "application_closed"


def test_interview_detail_by_caller(
    application,
    interview,
    recruiter,
    hiring_manager,
    interviewer,
    other_recruiter,
    company,
    other_company,
    key_client,
):
    url = f"/api/v1/interviews/{interview.pk}"
    off_panel = MembershipFactory(company=company, role=Role.INTERVIEWER).user
    for client in (
        _as(interviewer),
        _as(hiring_manager),
        _as(recruiter),
        key_client(company, "interviews:read"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json()["id"] == interview.pk
    for client in (
        _as(off_panel),
        _as(other_recruiter),
        key_client(other_company, "interviews:read"),
    ):
        assert client.get(url).status_code == 404
    assert key_client(company, "offers:read").get(url).status_code == 403
    assert APIClient().get(url).status_code == 401
    assert _as(recruiter).get("/api/v1/interviews/99999999999999999999").status_code == 404


def test_reschedule_an_interview(interview, recruiter, hiring_manager):
    url = f"/api/v1/interviews/{interview.pk}"
    client = _as(recruiter)
    etag = client.get(url)["ETag"]
    later = START + timedelta(days=1)
    response = client.patch(
        url,
        {
            "starts_at": later.isoformat(),
            "ends_at": (later + timedelta(hours=1)).isoformat(),
            "interviewers": [hiring_manager.pk],
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response.json()["sequence"] == 1
    assert [row["id"] for row in response.json()["interviewers"]] == [hiring_manager.pk]
    # The old ETag names an older version now.
    stale = client.patch(url, {"title": "Again"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    done = client.patch(url, {"status": "completed"}, format="json")
    assert done.json()["status"] == "completed"
    closed = client.patch(url, {"title": "Later"}, format="json")
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "interview_not_scheduled"


def test_who_may_change_an_interview(
    interview, interviewer, hiring_manager, company, other_company, key_client
):
    url = f"/api/v1/interviews/{interview.pk}"
    for client in (_as(interviewer), _as(hiring_manager), key_client(company, "interviews:read")):
        assert client.patch(url, {"title": "Mine"}, format="json").status_code == 403
    other = key_client(other_company, "interviews:write")
    assert other.patch(url, {"title": "Mine"}, format="json").status_code == 404
    assert APIClient().patch(url, {"title": "Mine"}, format="json").status_code == 401
    key = key_client(company, "interviews:write")
    response = key.patch(url, {"title": "Panel"}, format="json")
    assert (response.status_code, response.json()["title"]) == (200, "Panel")


@pytest.mark.parametrize(
    "body",
    [
        {"status": "cancelled"},
        {"status": "scheduled"},
        {"ends_at": START.isoformat()},
        {"interviewers": "1"},
        {"title": ""},
    ],
)
def test_interview_change_bad_input_is_400(interview, recruiter, body):
    response = _as(recruiter).patch(f"/api/v1/interviews/{interview.pk}", body, format="json")
    assert response.status_code == 400, response.content


def test_cancel_an_interview(
    interview, recruiter, interviewer, other_recruiter, company, key_client
):
    url = f"/api/v1/interviews/{interview.pk}/cancel"
    assert _as(interviewer).post(url, format="json").status_code == 403
    assert key_client(company, "interviews:read").post(url).status_code == 403
    assert _as(other_recruiter).post(url).status_code == 404
    assert APIClient().post(url).status_code == 401
    response = _as(recruiter).post(url, {"reason": "Candidate ill"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["sequence"]) == ("cancelled", 1)
    again = key_client(company, "interviews:write").post(url)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"
    # A cancelled interview stays readable.
    assert _as(interviewer).get(f"/api/v1/interviews/{interview.pk}").status_code == 200
    bad = _as(recruiter).post(url, {"reason": "x" * 300}, format="json")
    assert bad.status_code == 400


# --- Scorecards ----------------------------------------------------------------------------

SCORECARD = {"ratings": {"Problem solving": 4}, "recommendation": "yes", "notes": "Sharp."}


def test_an_interviewer_on_the_panel_writes_a_scorecard(interview, interviewer):
    url = f"/api/v1/interviews/{interview.pk}/scorecards"
    response = _as(interviewer).post(url, SCORECARD, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["author"]["id"], body["interview"], body["application"]) == (
        interviewer.pk,
        interview.pk,
        interview.application_id,
    )
    assert body["submitted_at"] is not None
    assert response["Location"] == f"/api/v1/scorecards/{body['id']}"
    twice = _as(interviewer).post(url, SCORECARD, format="json")
    assert twice.status_code == 409
    assert twice.json()["error"] == {
        "code": "scorecard_exists",
        "message": "You already wrote a scorecard for this interview: edit that one.",
        "fields": {},
        "scorecard": body["id"],
    }


def test_who_may_not_write_a_scorecard(
    interview, company, hiring_manager, other_recruiter, key_client
):
    url = f"/api/v1/interviews/{interview.pk}/scorecards"
    off_panel = MembershipFactory(company=company, role=Role.INTERVIEWER).user
    assert _as(off_panel).post(url, SCORECARD, format="json").status_code == 404
    assert _as(hiring_manager).post(url, SCORECARD, format="json").status_code == 403
    assert _as(other_recruiter).post(url, SCORECARD, format="json").status_code == 404
    assert APIClient().post(url, SCORECARD, format="json").status_code == 401
    key = key_client(company, "interviews:write").post(url, SCORECARD, format="json")
    assert key.status_code == 403
    assert key.json()["error"]["code"] == "person_required"
    assert "API key" in key.json()["error"]["message"]
    assert not Scorecard.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ratings": {"Depth": 5}, "recommendation": "yes"}, "ratings"),
        ({"ratings": {"Depth": "high"}, "recommendation": "yes"}, "ratings"),
        ({"ratings": {"": 3}, "recommendation": "yes"}, "ratings"),
        ({"ratings": [1, 2], "recommendation": "yes"}, "ratings"),
        ({"recommendation": "maybe"}, "recommendation"),
        ({"ratings": {"Depth": 3}}, "recommendation"),
        ({"recommendation": "yes", "draft": "perhaps"}, "draft"),
    ],
)
def test_scorecard_bad_input_is_400(interview, interviewer, body, field):
    response = _as(interviewer).post(
        f"/api/v1/interviews/{interview.pk}/scorecards", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_a_draft_scorecard_is_submitted_later_by_its_author_only(
    interview, interviewer, recruiter, company, key_client
):
    response = _as(interviewer).post(
        f"/api/v1/interviews/{interview.pk}/scorecards",
        {"ratings": {"Depth": 3}, "draft": True},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["submitted_at"] is None
    url = f"/api/v1/scorecards/{response.json()['id']}"
    assert _as(recruiter).patch(url, {"notes": "Mine now."}, format="json").status_code == 403
    key = key_client(company, "interviews:write").patch(url, {"notes": "x"}, format="json")
    assert (key.status_code, key.json()["error"]["code"]) == (403, "person_required")
    assert _as(interviewer).patch(url, {"submit": True}, format="json").status_code == 400
    done = _as(interviewer).patch(
        url, {"recommendation": "strong_yes", "submit": True}, format="json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["submitted_at"] is not None


def test_scorecards_are_read_by_the_panel_and_by_hiring_managers_up(
    application,
    interview,
    interviewer,
    recruiter,
    hiring_manager,
    other_recruiter,
    company,
    other_company,
    key_client,
):
    mine = scorecard_submit(interview=interview, actor=interviewer, recommendation="yes")
    elsewhere = _schedule(application, recruiter, [hiring_manager])
    theirs = scorecard_submit(interview=elsewhere, actor=hiring_manager, recommendation="no")
    nested = f"/api/v1/interviews/{interview.pk}/scorecards"

    assert _ids(_as(interviewer).get(nested)) == [mine.pk]
    assert _ids(_as(interviewer).get("/api/v1/scorecards")) == [mine.pk]
    assert _as(interviewer).get(f"/api/v1/scorecards/{theirs.pk}").status_code == 404
    assert _as(interviewer).get(f"/api/v1/interviews/{elsewhere.pk}/scorecards").status_code == 404
    both = [theirs.pk, mine.pk]
    for client in (_as(hiring_manager), _as(recruiter), key_client(company, "interviews:read")):
        assert _ids(client.get("/api/v1/scorecards")) == both
        assert _ids(client.get(nested)) == [mine.pk]
        assert client.get(f"/api/v1/scorecards/{theirs.pk}").status_code == 200
    assert _ids(_as(other_recruiter).get("/api/v1/scorecards")) == []
    other_key = key_client(other_company, "interviews:read")
    assert other_key.get(f"/api/v1/scorecards/{mine.pk}").status_code == 404
    assert other_key.get(nested).status_code == 404
    assert key_client(company, "offers:read").get("/api/v1/scorecards").status_code == 403
    assert APIClient().get(nested).status_code == 401
    assert APIClient().get("/api/v1/scorecards").status_code == 401
    drafts = _as(recruiter).get("/api/v1/scorecards", {"submitted": "false"})
    assert _ids(drafts) == []
    by_interview = _as(recruiter).get("/api/v1/scorecards", {"interview": elsewhere.pk})
    assert _ids(by_interview) == [theirs.pk]


# --- Offers --------------------------------------------------------------------------------

OFFER = {"salary": "72000.00", "currency": "EUR", "salary_period": "year"}


def test_offers_are_drafted_sent_and_answered(application, recruiter):
    client = _as(recruiter)
    response = client.post(
        "/api/v1/offers", {**OFFER, "application": application.pk, "start_date": "2030-05-01"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    offer = response.json()
    assert (offer["status"], offer["salary"], offer["created_by"]) == (
        "draft",
        "72000.00",
        recruiter.pk,
    )
    url = f"/api/v1/offers/{offer['id']}"
    assert client.patch(url, {"salary": "75000"}, format="json").json()["salary"] == "75000.00"
    assert client.post(f"{url}/accept").status_code == 409
    sent = client.post(f"{url}/send")
    assert (sent.status_code, sent.json()["status"]) == (200, "sent")
    assert sent.json()["sent_at"] is not None
    frozen = client.patch(url, {"salary": "1"}, format="json")
    assert (frozen.status_code, frozen.json()["error"]["code"]) == (409, "offer_not_draft")
    accepted = client.post(f"{url}/accept")
    assert (accepted.json()["status"], accepted.json()["responded_at"] is not None) == (
        "accepted",
        True,
    )
    refused = client.post(f"{url}/withdraw")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "invalid_transition")


def test_an_offer_is_declined_or_withdrawn_by_a_key(application, recruiter, company, key_client):
    offer = offer_create(
        application=application, salary=Decimal(1), currency="EUR", actor=recruiter
    )
    key = key_client(company, "offers:write")
    assert key.post(f"/api/v1/offers/{offer.pk}/decline").status_code == 409
    offer_send(offer=offer, actor=recruiter)
    assert key.post(f"/api/v1/offers/{offer.pk}/decline").json()["status"] == "declined"
    second = key.post("/api/v1/offers", {**OFFER, "application": application.pk}, format="json")
    assert second.status_code == 201
    assert second.json()["created_by"] is None
    withdrawn = key.post(f"/api/v1/offers/{second.json()['id']}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"


def test_who_may_see_and_manage_offers(
    application,
    other_application,
    recruiter,
    hiring_manager,
    interviewer,
    other_recruiter,
    company,
    other_company,
    key_client,
):
    offer = offer_create(
        application=application, salary=Decimal(1), currency="EUR", actor=recruiter
    )
    theirs = offer_create(
        application=other_application, salary=Decimal(1), currency="EUR", actor=other_recruiter
    )
    url = f"/api/v1/offers/{offer.pk}"
    for client in (_as(hiring_manager), _as(recruiter), key_client(company, "offers:read")):
        assert _ids(client.get("/api/v1/offers")) == [offer.pk]
        assert client.get(url).status_code == 200
    assert _ids(_as(other_recruiter).get("/api/v1/offers")) == [theirs.pk]
    for client in (_as(other_recruiter), key_client(other_company, "offers:write")):
        assert client.get(url).status_code == 404
        assert client.post(f"{url}/send").status_code == 404
        assert client.patch(url, {"salary": "2"}, format="json").status_code == 404
    for client in (_as(interviewer), key_client(company, "interviews:read")):
        assert client.get("/api/v1/offers").status_code == 403
        assert client.get(url).status_code == 403
    for client in (_as(hiring_manager), key_client(company, "offers:read")):
        assert client.post(f"{url}/send").status_code == 403
        assert client.patch(url, {"salary": "2"}, format="json").status_code == 403
        new = {**OFFER, "application": application.pk}
        assert client.post("/api/v1/offers", new, format="json").status_code == 403
    assert APIClient().get("/api/v1/offers").status_code == 401
    assert APIClient().post(f"{url}/withdraw").status_code == 401
    assert Offer.objects.get(pk=offer.pk).status == "draft"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"salary": "lots"}, "salary"),
        ({"salary": "-5"}, "salary"),
        ({"salary": "1" * 20}, "salary"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1R"}, "currency"),
        ({"salary_period": "decade"}, "salary_period"),
        ({"start_date": "soon"}, "start_date"),
        ({"application": "x"}, "application"),
    ],
)
def test_offer_bad_input_is_400(application, recruiter, fields, field):
    body = {**OFFER, "application": application.pk, **fields}
    response = _as(recruiter).post("/api/v1/offers", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_an_offer_needs_an_active_application_of_the_company(
    application, other_application, recruiter
):
    client = _as(recruiter)
    other = client.post(
        "/api/v1/offers", {**OFFER, "application": other_application.pk}, format="json"
    )
    assert other.status_code == 400
    first = client.post("/api/v1/offers", {**OFFER, "application": application.pk}, format="json")
    second = client.post("/api/v1/offers", {**OFFER, "application": application.pk}, format="json")
    assert second.status_code == 409
    assert second.json()["error"]["offer"] == first.json()["id"]
    Application.objects.filter(pk=application.pk).update(status=Application.Status.REJECTED)
    sent = client.post(f"/api/v1/offers/{first.json()['id']}/send")
    assert (sent.status_code, sent.json()["error"]["code"]) == (409, "application_closed")


def test_offer_list_filters(application, recruiter):
    offer = offer_create(
        application=application, salary=Decimal(1), currency="EUR", actor=recruiter
    )
    client = _as(recruiter)
    assert _ids(client.get("/api/v1/offers", {"status": "draft"})) == [offer.pk]
    assert _ids(client.get("/api/v1/offers", {"status": "sent"})) == []
    assert _ids(client.get("/api/v1/offers", {"application": application.pk})) == [offer.pk]
    assert client.get("/api/v1/offers", {"status": "pending"}).status_code == 400


# --- Notes ---------------------------------------------------------------------------------


def test_notes_are_written_read_edited_and_deleted_by_their_author(
    application, hiring_manager, recruiter
):
    client = _as(hiring_manager)
    response = client.post(
        "/api/v1/notes", {"application": application.pk, "body": "Strong on SQL."}, format="json"
    )
    assert response.status_code == 201, response.content
    note = response.json()
    assert (note["author"]["id"], note["api_key"]) == (hiring_manager.pk, None)
    url = f"/api/v1/notes/{note['id']}"
    assert _ids(_as(recruiter).get("/api/v1/notes", {"application": application.pk})) == [
        note["id"]
    ]
    assert _as(recruiter).patch(url, {"body": "Mine."}, format="json").status_code == 403
    assert _as(recruiter).delete(url).status_code == 403
    edited = client.patch(url, {"body": "Great on SQL."}, format="json")
    assert (edited.status_code, edited.json()["body"]) == (200, "Great on SQL.")
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404


def test_a_key_writes_and_edits_its_own_notes(application, hiring_manager, company, key_client):
    key = key_client(company, "applications:write")
    response = key.post(
        "/api/v1/notes", {"application": application.pk, "body": "From the HRIS."}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["author"], response.json()["api_key"]) == (None, key.api_key.pk)
    url = f"/api/v1/notes/{response.json()['id']}"
    assert key.patch(url, {"body": "Fixed."}, format="json").status_code == 200
    another = key_client(company, "applications:write")
    assert another.patch(url, {"body": "Not mine."}, format="json").status_code == 403
    assert _as(hiring_manager).delete(url).status_code == 403
    assert key.delete(url).status_code == 204


def test_who_may_see_and_write_notes(
    application,
    other_application,
    hiring_manager,
    interviewer,
    other_recruiter,
    company,
    other_company,
    key_client,
):
    note = note_create(application=application, body="Ours.", actor=hiring_manager)
    theirs = note_create(application=other_application, body="Theirs.", actor=other_recruiter)
    url = f"/api/v1/notes/{note.pk}"
    reader = key_client(company, "applications:read")
    assert _ids(reader.get("/api/v1/notes")) == [note.pk]
    assert reader.get(url).status_code == 200
    new = {"application": application.pk, "body": "Hi."}
    assert reader.post("/api/v1/notes", new, format="json").status_code == 403
    assert reader.patch(url, {"body": "x"}, format="json").status_code == 403
    assert _ids(_as(other_recruiter).get("/api/v1/notes")) == [theirs.pk]
    for client in (_as(other_recruiter), key_client(other_company, "applications:write")):
        assert client.get(url).status_code == 404
        assert client.patch(url, {"body": "x"}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
        response = client.post("/api/v1/notes", new, format="json")
        assert response.status_code == 400
        assert "application" in response.json()["error"]["fields"]
    for client in (_as(interviewer), key_client(company, "interviews:write")):
        assert client.get("/api/v1/notes").status_code == 403
        assert client.get(url).status_code == 403
        assert client.post("/api/v1/notes", new, format="json").status_code == 403
    assert APIClient().get(url).status_code == 401
    assert APIClient().delete(url).status_code == 401
    assert Note.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [{"body": ""}, {"body": "   "}, {"body": "x" * 20_001}, {"body": "nul\x00"}, {}],
)
def test_note_bad_input_is_400(application, hiring_manager, body):
    response = _as(hiring_manager).post(
        "/api/v1/notes", {"application": application.pk, **body}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "body" in response.json()["error"]["fields"]


# --- No N+1 --------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_lists_take_as_many_queries_for_one_row_as_for_six(
    company, recruiter, hiring_manager, interviewer, key_client
):
    def add_rows():
        application = ApplicationFactory(job=JobFactory(company=company))
        colleague = MembershipFactory(company=company, role=Role.INTERVIEWER).user
        interview = _schedule(application, recruiter, [interviewer, colleague])
        scorecard_submit(interview=interview, actor=interviewer, recommendation="yes")
        offer_create(application=application, salary=Decimal(1), currency="EUR", actor=recruiter)
        note_create(application=application, body="Note.", actor=hiring_manager)
        return interview

    first = add_rows()
    urls = [
        "/api/v1/interviews",
        "/api/v1/scorecards",
        f"/api/v1/interviews/{first.pk}/scorecards",
        "/api/v1/offers",
        "/api/v1/notes",
    ]
    callers = {
        "interviewer": _as(interviewer),
        "recruiter": _as(recruiter),
        "key": key_client(company, "interviews:read", "offers:read", "applications:read"),
    }
    allowed = {"interviewer": urls[:3]}
    for client in callers.values():  # a key's first request also notes when it was used
        client.get("/api/v1/interviews")
    one = {
        (name, url): _queries(client, url)
        for name, client in callers.items()
        for url in allowed.get(name, urls)
    }
    for _ in range(5):
        add_rows()
    six = {(name, url): _queries(callers[name], url) for name, url in one}
    assert six == one
    assert len(_ids(callers["recruiter"].get("/api/v1/interviews"))) == 6
    assert len(_ids(callers["interviewer"].get("/api/v1/scorecards"))) == 6
