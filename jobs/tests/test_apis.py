"""Jobs in the partner API: a company's jobs, the public board and job search."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from requests.utils import parse_header_links
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from accounts.tests.factories import MembershipFactory
from applications.tests.factories import ApplicationFactory
from jobs.models import Job, JobSkill
from jobs.tests.factories import JobFactory, SkillFactory

pytestmark = pytest.mark.django_db

NEW_JOB = {
    "title": "Backend Engineer",
    "description_html": '<p>Build it <script>alert("x")</script><b>well</b>.</p>',
    "city": "Berlin",
    "country": "DE",
    "remote": "hybrid",
    "seniority": "senior",
    "salary_min": 70000,
    "salary_max": 90000,
    "salary_currency": "EUR",
    "external_id": "HR-2291",
    "questions": [
        {"key": "work_permit", "label": "May you work here?", "type": "boolean", "required": True}
    ],
}


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _draft(company, **fields) -> Job:
    return JobFactory(company=company, status=Job.Status.DRAFT, published_at=None, **fields)


# --- GET jobs ------------------------------------------------------------------------------


def test_a_key_lists_its_companys_jobs_newest_first_and_no_others(
    company, other_company, key_client
):
    older, newer = JobFactory(company=company), _draft(company)
    JobFactory(company=other_company)
    response = key_client(company, "jobs:read").get("/api/v1/jobs")
    assert response.status_code == 200, response.json()
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]
    row = rows[1]
    assert row["company"] == {"id": company.pk, "slug": company.slug, "name": company.name}
    assert row["status"] == "open" and row["skills"] == []
    assert "description_html" not in row and "questions" not in row
    assert "X-RateLimit-Limit" in response


def test_members_of_every_role_list_their_companys_jobs(
    company, other_company, interviewer, hiring_manager, recruiter
):
    mine = JobFactory(company=company)
    mine.hiring_team.add(hiring_manager)
    JobFactory(company=company)  # a colleague's: only the recruiter sees it
    JobFactory(company=other_company)
    for user in (hiring_manager, recruiter):
        response = _as(user).get("/api/v1/jobs")
        assert response.status_code == 200
        assert mine.pk in [row["id"] for row in response.json()["results"]]
    seen = {
        user: {row["id"] for row in _as(user).get("/api/v1/jobs").json()["results"]}
        for user in (interviewer, hiring_manager, recruiter)
    }
    # A hiring manager sees their hiring teams' jobs, an interviewer those they interview
    # for (none here; applications/tests/test_api_role_limits.py has one).
    assert seen[hiring_manager] == {mine.pk}
    assert seen[interviewer] == set()
    assert len(seen[recruiter]) == 2


def test_job_list_refuses_anonymous_keys_without_the_scope_and_candidates(
    company, candidate, key_client
):
    assert APIClient().get("/api/v1/jobs").status_code == 401
    assert key_client(company, "applications:read").get("/api/v1/jobs").status_code == 403
    assert _as(candidate).get("/api/v1/jobs").status_code == 403


def test_job_list_filters_by_status_remote_company_and_updated_after(
    company, other_company, superuser
):
    remote = JobFactory(company=company, remote=Job.Remote.REMOTE)
    draft = _draft(company)
    elsewhere = JobFactory(company=other_company)
    Job.objects.filter(pk=remote.pk).update(updated_at=timezone.now() - timedelta(days=3))
    client = _as(superuser)

    def ids(**params):
        response = client.get("/api/v1/jobs", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(status="draft") == [draft.pk]
    assert ids(remote="remote") == [remote.pk]
    assert ids(company=other_company.pk) == [elsewhere.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(updated_after=since) == [elsewhere.pk, draft.pk]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "deleted"}, "status"),
        ({"remote": "moon"}, "remote"),
        ({"updated_after": "yesterday"}, "updated_after"),
        ({"company": "acme"}, "company"),
        ({"company": "0"}, "company"),
        ({"page_size": "100000"}, "page_size"),
        ({"cursor": "cD1hYmM="}, "cursor"),
    ],
)
def test_job_list_answers_400_for_bad_filters(company, key_client, params, field):
    response = key_client(company, "jobs:read").get("/api/v1/jobs", params)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_job_list_company_filter_treats_another_company_as_unknown(
    company, other_company, recruiter
):
    JobFactory(company=other_company)
    response = _as(recruiter).get("/api/v1/jobs", {"company": other_company.pk})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"company": ["Unknown company."]}
    assert _as(recruiter).get("/api/v1/jobs", {"company": 999999}).status_code == 400


def test_job_list_pages_with_a_cursor_and_a_link_header(company, key_client):
    jobs = [JobFactory(company=company) for _ in range(3)]
    client = key_client(company, "jobs:read")
    first = client.get("/api/v1/jobs", {"page_size": 2})
    assert [row["id"] for row in first.json()["results"]] == [jobs[2].pk, jobs[1].pk]
    (link,) = parse_header_links(first["Link"])
    assert link["rel"] == "next" and link["url"] == first.json()["next"]
    second = client.get(link["url"])
    assert [row["id"] for row in second.json()["results"]] == [jobs[0].pk]
    assert second.json()["next"] is None


def test_job_list_queries_do_not_grow_with_rows(company, key_client):
    client = key_client(company, "jobs:read")
    JobFactory(company=company, created_by=MembershipFactory(company=company).user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/jobs").status_code == 200
        return len(queries)

    count()  # the key's first use records its last-used time
    one = count()
    for _ in range(5):
        job = JobFactory(company=company)
        JobSkill.objects.create(job=job, skill=SkillFactory())
    assert count() == one


def test_job_list_reads_no_heavy_column(company, key_client):
    JobFactory(company=company)
    client = key_client(company, "jobs:read")
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/jobs")
    (select,) = [q["sql"] for q in queries if 'FROM "jobs_job"' in q["sql"]]
    for column in ("embedding", "search_vector", "skills_text", "description_html"):
        assert f'"jobs_job"."{column}"' not in select
    assert 'ORDER BY "jobs_job"."id" DESC' in select


# --- POST jobs -----------------------------------------------------------------------------


def test_a_recruiter_creates_a_draft_job_with_sanitised_html(company, recruiter):
    response = _as(recruiter).post("/api/v1/jobs", NEW_JOB, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    job = Job.objects.get(pk=body["id"])
    assert job.company == company and job.status == Job.Status.DRAFT
    assert job.created_by == recruiter and body["created_by"] == recruiter.pk
    assert "<script" not in job.description_html and "<b>well</b>" in job.description_html
    assert job.description_text.startswith("Build it")
    assert body["questions"][0]["key"] == "work_permit"
    assert response["Location"] == f"/api/v1/jobs/{job.pk}"
    assert response["ETag"]


def test_a_key_with_jobs_write_creates_in_its_own_company_with_no_creator(
    company, other_company, key_client
):
    client = key_client(company, "jobs:write")
    response = client.post("/api/v1/jobs", {"title": "Data Engineer"}, format="json")
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.company == company and job.created_by is None
    assert AuditEvent.objects.get(action="job.created", target_id=str(job.pk)).actor is None

    elsewhere = client.post(
        "/api/v1/jobs", {"title": "Data Engineer", "company": other_company.pk}, format="json"
    )
    assert elsewhere.status_code == 400
    assert "company" in elsewhere.json()["error"]["fields"]


def test_job_create_refuses_readers_keys_without_write_and_anonymous(
    company, interviewer, hiring_manager, key_client
):
    body = {"title": "Data Engineer"}
    assert _as(interviewer).post("/api/v1/jobs", body, format="json").status_code == 403
    assert _as(hiring_manager).post("/api/v1/jobs", body, format="json").status_code == 403
    assert (
        key_client(company, "jobs:read").post("/api/v1/jobs", body, format="json").status_code
        == 403
    )
    assert APIClient().post("/api/v1/jobs", body, format="json").status_code == 401
    assert not Job.objects.exists()


def test_a_member_of_several_companies_names_the_company(company, other_company, recruiter):
    MembershipFactory(company=other_company, user=recruiter, role=Role.RECRUITER)
    client = _as(recruiter)
    unnamed = client.post("/api/v1/jobs", {"title": "Data Engineer"}, format="json")
    assert unnamed.status_code == 400
    assert "company" in unnamed.json()["error"]["fields"]
    named = client.post(
        "/api/v1/jobs", {"title": "Data Engineer", "company": other_company.pk}, format="json"
    )
    assert named.status_code == 201
    assert Job.objects.get(pk=named.json()["id"]).company == other_company


def test_job_create_in_a_company_where_the_role_may_not_create_is_403(
    company, other_company, recruiter
):
    MembershipFactory(company=other_company, user=recruiter, role=Role.INTERVIEWER)
    response = _as(recruiter).post(
        "/api/v1/jobs", {"title": "Data Engineer", "company": other_company.pk}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Dev", "company": 999999}, "company"),
        ({"title": "Dev", "remote": "moon"}, "remote"),
        ({"title": "Dev", "salary_min": -1}, "salary_min"),
        ({"title": "Dev", "salary_min": "lots"}, "salary_min"),
        ({"title": "Dev", "salary_min": 90000, "salary_max": 50000, "salary_currency": "EUR"},
         "salary_max"),
        ({"title": "Dev", "salary_min": 50000}, "salary_currency"),
        ({"title": "Dev", "country": "Germany"}, "country"),
        ({"title": "Dev", "closes_at": "soon"}, "closes_at"),
        ({"title": "Dev", "questions": [{"key": "a", "label": "A", "type": "choice"}]},
         "questions"),
        ({"title": "Dev", "questions": "none"}, "questions"),
        ({"title": "Dev", "questions": [{"key": f"q{i}", "label": "Q", "type": "text"}
                                        for i in range(51)]}, "questions"),
        ({"title": "Dev", "questions": [{"key": "a", "label": "A", "type": "text"}] * 2},
         "questions"),
    ],
)  # fmt: skip
def test_job_create_answers_400_for_bad_input(company, recruiter, body, field):
    response = _as(recruiter).post("/api/v1/jobs", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


def test_job_create_answers_400_for_a_body_that_is_not_json(recruiter):
    response = _as(recruiter).post("/api/v1/jobs", b"{not json", content_type="application/json")
    assert response.status_code == 400


def test_job_create_with_the_same_idempotency_key_creates_one_job(company, key_client):
    client = key_client(company, "jobs:write")
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-backend-1"}
    first = client.post("/api/v1/jobs", {"title": "Backend"}, format="json", **headers)
    again = client.post("/api/v1/jobs", {"title": "Backend"}, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Job.objects.count() == 1


# --- GET/PATCH/DELETE jobs/<id> ------------------------------------------------------------


def test_job_detail_for_readers_with_its_etag(company, interviewer, hiring_manager, key_client):
    job = JobFactory(company=company, questions=[{"key": "a", "label": "A?", "type": "text"}])
    job.hiring_team.add(hiring_manager)
    assert _as(interviewer).get(f"/api/v1/jobs/{job.pk}").status_code == 404  # not theirs
    for client in (_as(hiring_manager), key_client(company, "jobs:read")):
        response = client.get(f"/api/v1/jobs/{job.pk}")
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == job.pk and body["description_text"] == job.description_text
        assert body["questions"] == [{"key": "a", "label": "A?", "type": "text"}]
        assert response["ETag"] == f'"{job.pk}-{int(job.updated_at.timestamp() * 1_000_000)}"'


def test_another_companys_job_is_404_like_a_missing_one(
    company, other_company, recruiter, key_client
):
    theirs = JobFactory(company=other_company)
    for client in (_as(recruiter), key_client(company, "jobs:write")):
        for method, path in (
            ("get", f"/api/v1/jobs/{theirs.pk}"),
            ("patch", f"/api/v1/jobs/{theirs.pk}"),
            ("delete", f"/api/v1/jobs/{theirs.pk}"),
            ("post", f"/api/v1/jobs/{theirs.pk}/publish"),
            ("post", f"/api/v1/jobs/{theirs.pk}/close"),
            ("get", "/api/v1/jobs/999999"),
        ):
            response = getattr(client, method)(path, {"title": "Mine now"}, format="json")
            assert response.status_code == 404, (method, path, response.status_code)
    theirs.refresh_from_db()
    assert theirs.title != "Mine now" and theirs.status == Job.Status.OPEN


def test_job_detail_refuses_anonymous_and_keys_without_the_scope(company, key_client):
    job = JobFactory(company=company)
    assert APIClient().get(f"/api/v1/jobs/{job.pk}").status_code == 401
    assert APIClient().patch(f"/api/v1/jobs/{job.pk}", {}).status_code == 401
    assert APIClient().delete(f"/api/v1/jobs/{job.pk}").status_code == 401
    assert key_client(company, "matches:read").get(f"/api/v1/jobs/{job.pk}").status_code == 403


def test_a_recruiter_and_a_write_key_change_a_job(company, recruiter, key_client):
    job = JobFactory(company=company)
    for client, title in (
        (_as(recruiter), "Staff Engineer"),
        (key_client(company, "jobs:write"), "Lead"),
    ):
        response = client.patch(
            f"/api/v1/jobs/{job.pk}", {"title": title, "company": company.pk}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["title"] == title
        job.refresh_from_db()
        assert job.title == title and job.company == company
        assert response["ETag"] == f'"{job.pk}-{int(job.updated_at.timestamp() * 1_000_000)}"'


def test_interviewers_hiring_managers_and_read_keys_may_not_change_a_job(
    company, interviewer, hiring_manager, key_client
):
    job = JobFactory(company=company)
    for client in (_as(interviewer), _as(hiring_manager), key_client(company, "jobs:read")):
        assert (
            client.patch(f"/api/v1/jobs/{job.pk}", {"title": "No"}, format="json").status_code
            == 403
        )
        assert client.delete(f"/api/v1/jobs/{job.pk}").status_code == 403
        assert client.post(f"/api/v1/jobs/{job.pk}/close").status_code == 403
    job.refresh_from_db()
    assert job.title != "No" and job.status == Job.Status.OPEN


def test_patch_with_a_stale_if_match_is_412_and_the_current_one_succeeds(company, recruiter):
    job = JobFactory(company=company)
    client = _session(recruiter)
    etag = client.get(f"/api/v1/jobs/{job.pk}")["ETag"]
    first = client.patch(
        f"/api/v1/jobs/{job.pk}", {"city": "Hamburg"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200 and first["ETag"] != etag
    stale = client.patch(
        f"/api/v1/jobs/{job.pk}", {"city": "Munich"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    job.refresh_from_db()
    assert job.city == "Hamburg"
    fresh = client.patch(
        f"/api/v1/jobs/{job.pk}", {"city": "Munich"}, format="json", HTTP_IF_MATCH=first["ETag"]
    )
    assert fresh.status_code == 200 and fresh.json()["city"] == "Munich"


def test_patch_answers_400_for_bad_input(company, recruiter):
    job = JobFactory(company=company)
    client = _as(recruiter)
    for body, field in (
        ({"title": ""}, "title"),
        ({"salary_max": 100}, "salary_max"),  # below the job's salary_min
        ({"status": "open", "remote": "moon"}, "remote"),
        ({"company": job.company_id + 1}, "company"),
    ):
        response = client.patch(f"/api/v1/jobs/{job.pk}", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], response.json()


def test_delete_removes_a_job_nobody_applied_to(company, recruiter):
    job = _draft(company)
    response = _as(recruiter).delete(f"/api/v1/jobs/{job.pk}")
    assert response.status_code == 204
    assert not Job.objects.filter(pk=job.pk).exists()
    assert AuditEvent.objects.filter(action="job.deleted", target_id=str(job.pk)).exists()
    assert _as(recruiter).get(f"/api/v1/jobs/{job.pk}").status_code == 404


def test_delete_archives_an_open_job_with_applications_and_keeps_them(company, key_client):
    application = ApplicationFactory(job=JobFactory(company=company))
    job = application.job
    client = key_client(company, "jobs:write")
    assert client.delete(f"/api/v1/jobs/{job.pk}").status_code == 204
    job.refresh_from_db()
    assert job.status == Job.Status.ARCHIVED
    assert job.applications.get() == application
    assert client.delete(f"/api/v1/jobs/{job.pk}").status_code == 204  # again: no change
    assert client.get(f"/api/v1/jobs/{job.pk}").json()["status"] == "archived"


def test_delete_with_a_stale_if_match_is_412(company, recruiter):
    job = _draft(company)
    response = _as(recruiter).delete(f"/api/v1/jobs/{job.pk}", HTTP_IF_MATCH='"1-2"')
    assert response.status_code == 412
    assert Job.objects.filter(pk=job.pk).exists()


# --- publish and close -----------------------------------------------------------------------


def test_a_recruiter_publishes_and_closes_a_job(company, recruiter):
    job = _draft(company)
    client = _as(recruiter)
    published = client.post(f"/api/v1/jobs/{job.pk}/publish")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "open" and published.json()["published_at"]
    assert published["ETag"]
    closed = client.post(f"/api/v1/jobs/{job.pk}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_a_write_key_publishes_and_a_bad_transition_is_409(company, key_client):
    job = _draft(company)
    client = key_client(company, "jobs:write")
    assert client.post(f"/api/v1/jobs/{job.pk}/publish").status_code == 200
    again = client.post(f"/api/v1/jobs/{job.pk}/publish")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"
    draft = _draft(company)
    assert client.post(f"/api/v1/jobs/{draft.pk}/close").status_code == 409


def test_publish_refuses_readers_and_anonymous(company, hiring_manager, key_client):
    job = _draft(company)
    assert _as(hiring_manager).post(f"/api/v1/jobs/{job.pk}/publish").status_code == 403
    assert (
        key_client(company, "jobs:read").post(f"/api/v1/jobs/{job.pk}/publish").status_code == 403
    )
    assert APIClient().post(f"/api/v1/jobs/{job.pk}/publish").status_code == 401
    job.refresh_from_db()
    assert job.status == Job.Status.DRAFT


def test_publish_with_a_stale_if_match_is_412(company, recruiter):
    job = _draft(company)
    response = _as(recruiter).post(f"/api/v1/jobs/{job.pk}/publish", HTTP_IF_MATCH='"1-2"')
    assert response.status_code == 412


# --- The public board ------------------------------------------------------------------------


def test_anyone_lists_open_jobs_without_internal_fields(company, recruiter):
    shown = JobFactory(company=company, created_by=recruiter, external_id="HR-1")
    _draft(company)
    JobFactory(company=company, status=Job.Status.CLOSED)
    JobFactory(
        company=company,
        published_at=timezone.now() - timedelta(days=3),
        closes_at=timezone.now() - timedelta(days=1),
    )
    response = APIClient().get("/api/v1/public/jobs")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == shown.pk
    for internal in ("created_by", "external_id", "status", "created_at", "updated_at"):
        assert internal not in row


def test_public_list_filters_and_pages_newest_published_first(company, other_company):
    old = JobFactory(company=company, published_at=timezone.now() - timedelta(days=2))
    new = JobFactory(company=other_company, remote=Job.Remote.REMOTE, country="FR")
    client = APIClient()
    first = client.get("/api/v1/public/jobs", {"page_size": 1})
    assert [row["id"] for row in first.json()["results"]] == [new.pk]
    second = client.get(first.json()["next"])
    assert [row["id"] for row in second.json()["results"]] == [old.pk]
    for params, expected in (
        ({"remote": "remote"}, [new.pk]),
        ({"country": "fr"}, [new.pk]),
        ({"company": company.slug}, [old.pk]),
    ):
        response = client.get("/api/v1/public/jobs", params)
        assert [row["id"] for row in response.json()["results"]] == expected, params


def test_public_list_answers_400_for_bad_filters():
    for params in ({"remote": "moon"}, {"updated_after": "2024-13-45"}, {"country": "FRA"},
                   {"company": "no-such-company"}, {"cursor": "cD1ub3QtYS1kYXRl"}):  # fmt: skip
        assert APIClient().get("/api/v1/public/jobs", params).status_code == 400, params


def test_public_list_is_read_only():
    assert APIClient().post("/api/v1/public/jobs", {}, format="json").status_code == 401


def test_anyone_reads_an_open_job_but_not_a_draft(company, recruiter, key_client):
    job = JobFactory(company=company, created_by=recruiter, questions=[
        {"key": "a", "label": "A?", "type": "text"}])  # fmt: skip
    response = APIClient().get(f"/api/v1/public/jobs/{job.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["description_html"] == job.description_html and body["questions"]
    assert "created_by" not in body and "external_id" not in body
    assert key_client(company, "jobs:read").get(f"/api/v1/public/jobs/{job.pk}").status_code == 200
    draft = _draft(company)
    assert APIClient().get(f"/api/v1/public/jobs/{draft.pk}").status_code == 404
    assert APIClient().get("/api/v1/public/jobs/999999").status_code == 404


def test_public_list_queries_do_not_grow_with_rows(company):
    JobFactory(company=company)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert APIClient().get("/api/v1/public/jobs").status_code == 200
        return len(queries)

    one = count()
    for _ in range(5):
        JobFactory()
    assert count() == one


# --- Search ----------------------------------------------------------------------------------


def test_anyone_searches_open_jobs_with_facets(company, other_company):
    python = SkillFactory(name="Python", slug="python")
    hit = JobFactory(company=company, title="Python Developer", remote=Job.Remote.REMOTE)
    JobSkill.objects.create(job=hit, skill=python)
    JobFactory(company=other_company, title="Python Engineer", remote=Job.Remote.ONSITE)
    JobFactory(company=company, title="Java Developer", description_text="Java and Spring.")
    _draft(company, title="Python Draft")

    response = APIClient().get("/api/v1/search/jobs", {"q": "python"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == 2 and body["total_is_exact"]
    assert {row["job"]["id"] for row in body["results"]} == {
        hit.pk,
        Job.objects.get(title="Python Engineer").pk,
    }
    row = next(row for row in body["results"] if row["job"]["id"] == hit.pk)
    assert "<mark>Python</mark>" in row["title_html"]
    assert row["job"]["skills"] == ["python"] and "created_by" not in row["job"]
    remote = {v["value"]: v["count"] for v in body["facets"]["remote"]["values"]}
    assert remote == {"remote": 1, "onsite": 1}
    assert {v["value"] for v in body["facets"]["company"]["values"]} == {
        company.slug,
        other_company.slug,
    }


def test_search_filters_narrow_and_facets_count_the_other_filters(company):
    JobFactory(company=company, title="Python Developer", remote=Job.Remote.REMOTE,
               seniority="senior", salary_min=90000, salary_max=120000)  # fmt: skip
    JobFactory(company=company, title="Python Developer", remote=Job.Remote.ONSITE,
               seniority="junior", salary_min=30000, salary_max=40000)  # fmt: skip
    response = APIClient().get(
        "/api/v1/search/jobs",
        {"q": "python", "remote": ["remote", "hybrid"], "salary_min": 50000, "seniority": "senior"},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == 1
    assert body["results"][0]["job"]["remote"] == "remote"
    remote = {v["value"]: (v["count"], v["selected"]) for v in body["facets"]["remote"]["values"]}
    assert remote["remote"] == (1, True) and remote["hybrid"] == (0, True)


def test_search_pages_by_number_with_links(company):
    for _ in range(3):
        JobFactory(company=company, title="Python Developer")
    client = APIClient()
    first = client.get("/api/v1/search/jobs", {"q": "python", "page_size": 2, "facets": "false"})
    body = first.json()
    assert len(body["results"]) == 2 and body["num_pages"] == 2 and body["facets"] == {}
    assert body["previous"] is None
    (link,) = parse_header_links(first["Link"])
    assert link["rel"] == "next" and "page=2" in link["url"]
    second = client.get(link["url"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["results"][0]["position"] == 3
    assert second["previous"] and "page=" not in second["previous"]


def test_keys_and_sessions_search_too(company, recruiter, key_client):
    JobFactory(company=company, title="Python Developer")
    assert (
        key_client(company, "applications:read")
        .get("/api/v1/search/jobs", {"q": "python"})
        .json()["total"]
        == 1
    )
    assert _session(recruiter).get("/api/v1/search/jobs", {"q": "python"}).json()["total"] == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({"salary_min": "lots"}, "salary_min"),
        ({"salary_min": "-5"}, "salary_min"),
        ({"salary_min": "90000", "salary_max": "50000"}, "salary_max"),
        ({"remote": "moon"}, "remote"),
        ({"seniority": "god"}, "seniority"),
        ({"company": "no-such-company"}, "company"),
        ({"skills": "no-such-skill"}, "skills"),
        ({"country": "Germany"}, "country"),
        ({"sort": "cheapest"}, "sort"),
        ({"mode": "magic"}, "mode"),
        ({"page": "0"}, "page"),
        ({"page": "600", "page_size": "20"}, "page"),
        ({"page_size": "1000"}, "page_size"),
        ({"q": "x" * 501}, "q"),
        ({"posted_within_days": "9999"}, "posted_within_days"),
    ],
)
def test_search_answers_400_for_bad_input(params, field):
    response = APIClient().get("/api/v1/search/jobs", params)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


def test_search_is_read_only():
    assert APIClient().post("/api/v1/search/jobs", {}, format="json").status_code == 401


def test_search_queries_do_not_grow_with_rows(company):
    # Three matches at least: fewer make the engine try a spelling correction too.
    for _ in range(3):
        JobFactory(company=company, title="Python Developer")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = APIClient().get("/api/v1/search/jobs", {"q": "python"})
        assert response.status_code == 200
        return len(queries)

    count()  # per-process caches of the engine fill at the first search
    one = count()
    for _ in range(5):
        JobFactory(title="Python Developer")
    assert count() == one
