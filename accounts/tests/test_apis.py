"""The accounts part of the partner API: `users/me` and `webhooks`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from requests.utils import parse_header_links

from accounts.models import (
    AuditEvent,
    CandidateProfile,
    NotificationPreference,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
)
from accounts.tests.factories import CompanyFactory, MembershipFactory
from accounts.webhooks import (
    WEBHOOK_EVENTS,
    webhook_deliveries_send_due,
    webhook_endpoint_create,
    webhook_event_emit,
)

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"  # nobody listens; nothing is sent in these tests anyway


@pytest.fixture(autouse=True)
def _private_targets_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def _endpoint(company, **kwargs) -> WebhookEndpoint:
    return webhook_endpoint_create(
        company=company,
        url=kwargs.pop("url", URL),
        events=kwargs.pop("events", ["*"]),
        actor=None,
        **kwargs,
    )


def _signed_in(api_client, user):
    api_client.force_login(user)
    return api_client


# --- users/me ---------------------------------------------------------------------------------


def test_me_shows_a_candidates_profile_and_default_preferences(api_client, candidate):
    body = _signed_in(api_client, candidate).get("/api/v1/users/me").json()
    assert body["email"] == candidate.email
    assert body["is_candidate"] is True
    assert body["memberships"] == []
    profile = body["candidate_profile"]
    assert profile["headline"] == "Backend engineer"
    assert profile["skills"] == ["python", "django", "postgresql"]
    assert "embedding" not in profile and "resume_text" not in profile
    assert body["notification_preferences"] == {
        "application_updates": True,
        "interview_updates": True,
        "match_digest": "weekly",
        "recruiter_digest": "daily",
        "product_news": False,
    }
    assert not NotificationPreference.objects.filter(user=candidate).exists()


def test_me_shows_a_members_companies_and_no_profile(api_client, recruiter, company):
    other = CompanyFactory(name="Zeta")
    MembershipFactory(user=recruiter, company=other, role=Role.ADMIN)
    body = _signed_in(api_client, recruiter).get("/api/v1/users/me").json()
    assert body["is_candidate"] is False
    assert body["candidate_profile"] is None
    assert [(m["company_id"], m["role"]) for m in body["memberships"]] == [
        (company.pk, "recruiter"),
        (other.pk, "admin"),
    ]


def test_me_costs_the_same_queries_for_one_or_five_memberships(api_client, recruiter):
    client = _signed_in(api_client, recruiter)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/users/me").status_code == 200
    for _ in range(4):
        MembershipFactory(user=recruiter)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/users/me").json()["memberships"]) == 5
    assert len(one) == len(five)


def test_me_patch_changes_name_profile_and_preferences(api_client, candidate):
    response = _signed_in(api_client, candidate).patch(
        "/api/v1/users/me",
        {
            "full_name": "Ada Lovelace",
            "candidate_profile": {
                "headline": "Staff Engineer",
                "country": "GB",
                "skills": ["Python", "rust", "python"],
                "desired_salary_min": 90000,
                "desired_salary_currency": "GBP",
                "links": {"github": "https://github.com/ada"},
                "education": [{"degree": "BSc", "institution": "UCL", "start": "2008"}],
            },
            "notification_preferences": {"match_digest": "daily", "product_news": True},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["full_name"] == "Ada Lovelace"
    assert body["candidate_profile"]["skills"] == ["python", "rust"]
    assert body["notification_preferences"]["match_digest"] == "daily"

    profile = CandidateProfile.objects.get(user=candidate)
    assert (profile.headline, profile.country, profile.desired_salary_min) == (
        "Staff Engineer",
        "GB",
        90000,
    )
    assert profile.links == {"github": "https://github.com/ada"}
    # What the candidate set is confirmed: parsing a resume never overwrites it.
    assert {"headline", "country", "skills", "links", "education"} <= set(profile.confirmed_fields)
    preference = NotificationPreference.objects.get(user=candidate)
    assert (preference.match_digest, preference.product_news) == ("daily", True)
    actions = set(AuditEvent.objects.filter(actor=candidate).values_list("action", flat=True))
    assert {"user.name_changed", "profile.updated", "notifications.updated"} <= actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"candidate_profile": {"country": "Germany"}}, "candidate_profile"),
        ({"candidate_profile": {"seniority": "wizard"}}, "candidate_profile"),
        ({"candidate_profile": {"skills": ["c++ expert!"]}}, "candidate_profile"),
        ({"candidate_profile": {"phone": "030 123"}}, "candidate_profile"),
        ({"candidate_profile": {"years_experience": 200}}, "candidate_profile"),
        ({"candidate_profile": {"embedding": [0.1]}}, "candidate_profile"),
        ({"candidate_profile": "headline"}, "candidate_profile"),
        ({"notification_preferences": {"match_digest": "hourly"}}, "notification_preferences"),
        ({"email": "new@example.org"}, "email"),
        ({"full_name": "x" * 201}, "full_name"),
    ],
)
def test_me_patch_refuses_bad_input(api_client, candidate, body, field):
    response = _signed_in(api_client, candidate).patch("/api/v1/users/me", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_me_patch_is_all_or_nothing(api_client, candidate):
    before = candidate.full_name
    response = _signed_in(api_client, candidate).patch(
        "/api/v1/users/me",
        # A salary needs a currency: the model refuses, and the name is not changed either.
        {"full_name": "Someone Else", "candidate_profile": {"desired_salary_min": 50000}},
        format="json",
    )
    assert response.status_code == 400
    candidate.refresh_from_db()
    assert candidate.full_name == before


def test_me_patch_of_profile_fields_needs_a_candidate_profile(api_client, recruiter):
    client = _signed_in(api_client, recruiter)
    response = client.patch(
        "/api/v1/users/me", {"candidate_profile": {"headline": "x"}}, format="json"
    )
    assert response.status_code == 400
    assert "candidate_profile" in response.json()["error"]["fields"]
    preferences = {"notification_preferences": {"recruiter_digest": "never"}}
    response = client.patch("/api/v1/users/me", preferences, format="json")
    assert response.status_code == 200
    assert response.json()["notification_preferences"]["recruiter_digest"] == "never"


def test_me_refuses_keys_and_anonymous_callers(api_client, key_client, company):
    response = key_client(company, "jobs:write", "webhooks:write").get("/api/v1/users/me")
    assert response.status_code == 403
    assert "API key" in response.json()["error"]["message"]
    assert api_client.get("/api/v1/users/me").status_code == 401
    assert api_client.patch("/api/v1/users/me", {}, format="json").status_code == 401


def test_me_patch_refuses_a_body_that_is_not_json(api_client, candidate):
    response = _signed_in(api_client, candidate).generic(
        "PATCH", "/api/v1/users/me", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


# --- webhooks: who may --------------------------------------------------------------------------


def test_an_admin_creates_an_endpoint_and_sees_the_secret_only_then(
    api_client, company_admin, company
):
    client = _signed_in(api_client, company_admin)
    response = client.post(
        "/api/v1/webhooks",
        {"url": URL, "events": ["application.created"], "description": "HRIS"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret
    assert body["secret"].startswith("whsec_")
    assert (body["company_id"], body["events"]) == (company.pk, ["application.created"])
    assert response["Location"] == f"/api/v1/webhooks/{endpoint.pk}"
    assert endpoint.created_by == company_admin
    assert endpoint.deliveries.get().event_type == "ping"

    shown = client.get(f"/api/v1/webhooks/{endpoint.pk}").json()["secret"]
    assert shown == f"whsec_…{endpoint.secret[-4:]}"
    listed = client.get("/api/v1/webhooks").json()["results"]
    assert [row["secret"] for row in listed] == [shown]


def test_a_key_with_the_webhook_scope_does_everything(key_client, company):
    client = key_client(company, "webhooks:write")
    created = client.post("/api/v1/webhooks", {"url": URL, "events": ["*"]}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert WebhookEndpoint.objects.get(pk=pk).created_by is None
    assert client.get("/api/v1/webhooks").json()["results"][0]["id"] == pk
    patched = client.patch(f"/api/v1/webhooks/{pk}", {"is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert client.get(f"/api/v1/webhooks/{pk}/deliveries").status_code == 200
    assert client.delete(f"/api/v1/webhooks/{pk}").status_code == 204
    assert client.get(f"/api/v1/webhooks/{pk}").status_code == 404
    assert AuditEvent.objects.filter(action="webhook.deleted", target_id=str(pk)).exists()


@pytest.mark.parametrize("scopes", [("webhooks:read",), ("jobs:write", "applications:write"), ()])
def test_a_key_without_the_write_scope_gets_403(key_client, company, scopes):
    endpoint = _endpoint(company)
    client = key_client(company, *scopes)
    assert client.get("/api/v1/webhooks").status_code == 403
    assert client.get("/api/v1/webhooks/events").status_code == 403
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}").status_code == 403
    response = client.post("/api/v1/webhooks", {"url": URL, "events": ["*"]}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.RECRUITER, Role.HIRING_MANAGER, Role.INTERVIEWER])
def test_members_below_admin_get_403(api_client, company, role):
    endpoint = _endpoint(company)
    member = MembershipFactory(company=company, role=role).user
    client = _signed_in(api_client, member)
    assert client.get("/api/v1/webhooks").status_code == 403
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}").status_code == 403
    assert client.post(f"/api/v1/webhooks/{endpoint.pk}/ping").status_code == 403


def test_candidates_and_anonymous_callers_are_refused(api_client, candidate, company):
    endpoint = _endpoint(company)
    assert api_client.get("/api/v1/webhooks").status_code == 401
    assert api_client.get(f"/api/v1/webhooks/{endpoint.pk}").status_code == 401
    assert api_client.post("/api/v1/webhooks", {}, format="json").status_code == 401
    client = _signed_in(api_client, candidate)
    assert client.get("/api/v1/webhooks").status_code == 403
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}").status_code == 403


def test_another_companys_endpoint_answers_404_and_is_not_listed(
    key_client, company, other_company
):
    theirs = _endpoint(other_company)
    delivery = theirs.deliveries.get()
    mine = _endpoint(company)
    client = key_client(company, "webhooks:write")
    assert [row["id"] for row in client.get("/api/v1/webhooks").json()["results"]] == [mine.pk]
    paths = [
        f"/api/v1/webhooks/{theirs.pk}",
        f"/api/v1/webhooks/{theirs.pk}/deliveries",
        f"/api/v1/webhooks/{theirs.pk}/deliveries/{delivery.pk}",
        f"/api/v1/webhooks/{mine.pk}/deliveries/{delivery.pk}",  # not of this endpoint
    ]
    for path in paths:
        assert client.get(path).status_code == 404, path
    assert client.patch(paths[0], {"is_active": False}, format="json").status_code == 404
    assert client.delete(paths[0]).status_code == 404
    for action in ("ping", "rotate-secret", f"deliveries/{delivery.pk}/redeliver"):
        assert client.post(f"/api/v1/webhooks/{theirs.pk}/{action}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
    assert theirs.deliveries.count() == 1


def test_superusers_see_every_company(api_client, superuser, company, other_company):
    _endpoint(company), _endpoint(other_company)
    body = _signed_in(api_client, superuser).get("/api/v1/webhooks").json()
    assert len(body["results"]) == 2


# --- webhooks: creating and changing ----------------------------------------------------------


def test_a_member_of_several_companies_names_the_company(api_client, company_admin, company):
    second = CompanyFactory()
    MembershipFactory(user=company_admin, company=second, role=Role.OWNER)
    elsewhere = CompanyFactory()
    client = _signed_in(api_client, company_admin)
    body = {"url": URL, "events": ["*"]}

    response = client.post("/api/v1/webhooks", body, format="json")
    assert response.status_code == 400
    assert "company" in response.json()["error"]["fields"]
    response = client.post("/api/v1/webhooks", {**body, "company": second.pk}, format="json")
    assert response.status_code == 201 and response.json()["company_id"] == second.pk
    response = client.post("/api/v1/webhooks", {**body, "company": elsewhere.pk}, format="json")
    assert response.status_code == 400


def test_a_key_creates_endpoints_of_its_own_company_only(key_client, company, other_company):
    client = key_client(company, "webhooks:write")
    body = {"url": URL, "events": ["*"], "company": other_company.pk}
    assert client.post("/api/v1/webhooks", body, format="json").status_code == 400
    assert not WebhookEndpoint.objects.filter(company=other_company).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["*"]}, "url"),
        ({"url": "ftp://example.org/x", "events": ["*"]}, "url"),
        ({"url": "https://me:pw@example.org/x", "events": ["*"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": "job.closed"}, "events"),
        ({"url": URL, "events": ["job.exploded"]}, "events"),
        ({"url": URL, "events": ["ping"]}, "events"),
        ({"url": URL, "events": ["*"], "secret": "mine"}, "secret"),
        ({"url": URL, "events": ["*"], "company": "acme"}, "company"),
        ({"url": URL, "events": ["*"], "description": "x" * 201}, "description"),
    ],
)
def test_create_refuses_bad_input(key_client, company, body, field):
    response = key_client(company, "webhooks:write").post("/api/v1/webhooks", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_create_refuses_private_targets_in_production(key_client, company, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client = key_client(company, "webhooks:write")
    for url in (URL, "http://169.254.169.254/latest", "http://[::1]:8000/"):
        response = client.post("/api/v1/webhooks", {"url": url, "events": ["*"]}, format="json")
        assert response.status_code == 400
        assert "non-public" in response.json()["error"]["fields"]["url"][0]


def test_a_company_has_at_most_twenty_endpoints(key_client, company):
    for _ in range(20):
        _endpoint(company)
    response = key_client(company, "webhooks:write").post(
        "/api/v1/webhooks", {"url": URL, "events": ["*"]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_endpoint_limit"


def test_patch_changes_only_what_is_sent_and_refuses_bad_input(key_client, company):
    endpoint = _endpoint(company, description="keep me")
    client = key_client(company, "webhooks:write")
    response = client.patch(
        f"/api/v1/webhooks/{endpoint.pk}", {"events": ["job.closed"]}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["events"], response.json()["description"]) == (
        ["job.closed"],
        "keep me",
    )
    bad = [{"events": ["nope"]}, {"url": "gopher://x"}, {"is_active": "maybe"}, {"secret": "x"}]
    for body in bad:
        response = client.patch(f"/api/v1/webhooks/{endpoint.pk}", body, format="json")
        assert response.status_code == 400, body


def test_rotating_the_secret_shows_the_new_one_once(key_client, company):
    endpoint = _endpoint(company)
    client = key_client(company, "webhooks:write")
    response = client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new.startswith("whsec_") and new != endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret == new


def test_ping_queues_a_delivery(key_client, company):
    endpoint = _endpoint(company)
    response = key_client(company, "webhooks:write").post(f"/api/v1/webhooks/{endpoint.pk}/ping")
    assert response.status_code == 202
    assert response.json()["event_type"] == "ping"
    assert response.json()["status"] == "pending"
    assert endpoint.deliveries.filter(event_type="ping").count() == 2


def test_the_event_catalogue_lists_every_event_with_an_example(key_client, company):
    response = key_client(company, "webhooks:write").get("/api/v1/webhooks/events")
    assert response.status_code == 200
    rows = response.json()
    assert [row["type"] for row in rows] == list(WEBHOOK_EVENTS)
    assert all(row["description"] and row["example"] for row in rows)


# --- webhooks: deliveries -----------------------------------------------------------------------


def _events(company, count: int) -> None:
    for n in range(count):
        webhook_event_emit(company_id=company.pk, event="job.published", data={"job": {"id": n}})


def test_deliveries_list_filters_and_pages(key_client, company, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = _endpoint(company)  # nobody listens: every send fails
    _events(company, 4)
    webhook_deliveries_send_due()
    _events(company, 2)
    client = key_client(company, "webhooks:write")
    url = f"/api/v1/webhooks/{endpoint.pk}/deliveries"

    body = client.get(url).json()
    assert len(body["results"]) == 7
    assert body["results"][0]["id"] > body["results"][-1]["id"]  # newest first
    assert "payload" not in body["results"][0]
    assert len(client.get(url, {"status": "failed"}).json()["results"]) == 5
    assert len(client.get(url, {"status": "pending"}).json()["results"]) == 2
    assert len(client.get(url, {"event_type": "ping"}).json()["results"]) == 1

    page = client.get(url, {"page_size": 3})
    links = parse_header_links(page["Link"].replace(">,", ">, "))
    assert [link["rel"] for link in links] == ["next"]
    following = client.get(links[0]["url"]).json()["results"]
    assert len(following) == 3
    assert not {row["id"] for row in following} & {row["id"] for row in page.json()["results"]}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"event_type": "job.exploded"},
        {"created_after": "yesterday"},
        {"page_size": 1000},
        {"cursor": "not-a-cursor"},
    ],
)
def test_deliveries_list_refuses_bad_filters(key_client, company, params):
    endpoint = _endpoint(company)
    response = key_client(company, "webhooks:write").get(
        f"/api/v1/webhooks/{endpoint.pk}/deliveries", params
    )
    assert response.status_code == 400


@pytest.mark.parametrize("params", [{"is_active": "sometimes"}, {"updated_after": "soon"}])
def test_endpoint_list_refuses_bad_filters(key_client, company, params):
    assert key_client(company, "webhooks:write").get("/api/v1/webhooks", params).status_code == 400


def test_endpoint_list_filters_by_state_and_time(key_client, company):
    paused = _endpoint(company)
    client = key_client(company, "webhooks:write")
    client.patch(f"/api/v1/webhooks/{paused.pk}", {"is_active": False}, format="json")
    active = _endpoint(company)
    rows = client.get("/api/v1/webhooks", {"is_active": "false"}).json()["results"]
    assert [row["id"] for row in rows] == [paused.pk]
    assert len(client.get("/api/v1/webhooks").json()["results"]) == 2
    active.refresh_from_db()
    after = (active.updated_at).isoformat()
    assert client.get("/api/v1/webhooks", {"updated_after": after}).json()["results"] == []


def test_lists_cost_the_same_queries_for_one_or_six_rows(key_client, company):
    client = key_client(company, "webhooks:write")
    endpoint = _endpoint(company)
    client.get("/api/v1/webhooks")  # the key's first use writes its last-used time
    counts = {}
    for label, extra in (("one", 0), ("six", 5)):
        _events(company, extra)
        for _ in range(extra):
            _endpoint(company)
        with CaptureQueriesContext(connection) as endpoints:
            client.get("/api/v1/webhooks")
        with CaptureQueriesContext(connection) as deliveries:
            client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries")
        counts[label] = (len(endpoints), len(deliveries))
    assert counts["one"] == counts["six"]


def test_a_delivery_shows_its_body_and_can_be_redelivered(key_client, company, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = _endpoint(company)
    endpoint.deliveries.all().delete()
    _events(company, 1)
    webhook_deliveries_send_due()
    delivery = endpoint.deliveries.get()
    assert delivery.status == "failed"
    client = key_client(company, "webhooks:write")

    detail = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}").json()
    assert detail["payload"]["data"] == {"job": {"id": 0}}
    assert detail["event_id"] == delivery.event_id
    assert detail["last_error"].startswith("ConnectionRefusedError")

    response = client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    assert response.json()["event_id"] == delivery.event_id
    assert AuditEvent.objects.filter(action="webhook.redelivered").exists()


def test_redelivering_to_a_disabled_endpoint_answers_409(key_client, company):
    endpoint = _endpoint(company)
    client = key_client(company, "webhooks:write")
    client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"is_active": False}, format="json")
    delivery = endpoint.deliveries.get()
    response = client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_disabled"


def test_huge_and_unknown_ids_answer_404(key_client, company):
    endpoint = _endpoint(company)
    client = key_client(company, "webhooks:write")
    for path in (
        f"/api/v1/webhooks/{2**70}",
        "/api/v1/webhooks/999999999",
        f"/api/v1/webhooks/{endpoint.pk}/deliveries/{2**70}",
    ):
        assert client.get(path).status_code == 404, path


def test_create_is_idempotent_with_an_idempotency_key(key_client, company):
    client = key_client(company, "webhooks:write")
    body = {"url": URL, "events": ["*"]}
    first = client.post("/api/v1/webhooks", body, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
    again = client.post("/api/v1/webhooks", body, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
