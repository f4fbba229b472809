"""The pipeline in the partner API: who may queue and watch runs, and what bad input gets."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from requests.utils import parse_header_links
from rest_framework.test import APIClient

from accounts.services import api_key_create, api_key_revoke
from accounts.tests.factories import UserFactory
from pipeline.models import PipelineRun, Source
from pipeline.runs import run_create

pytestmark = pytest.mark.django_db


def _key(company, *scopes):
    api_key, token = api_key_create(
        company=company, name=f"key {'/'.join(scopes) or 'none'}", scopes=list(scopes), actor=None
    )
    return api_key, token


def _client(token=None):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_key_with_the_write_scope_queues_a_stage_and_watches_it(
    company, django_capture_on_commit_callbacks
):
    _, token = _key(company, "pipeline:write")
    with django_capture_on_commit_callbacks() as callbacks:  # the worker's task is not run here
        response = _client(token).post("/api/v1/pipeline/enrich", {}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["kind"], body["status"]) == ("enrich", "queued")
    assert len(callbacks) == 1
    run = PipelineRun.objects.get(pk=body["id"])
    assert run.triggered_by is None

    detail = _client(token).get(f"/api/v1/pipeline/runs/{run.pk}")
    assert detail.status_code == 200
    assert detail.json()["progress_done"] == 0


def test_nightly_queues_a_parent_with_one_child_per_stage(company):
    _, token = _key(company, "pipeline:write")
    response = _client(token).post("/api/v1/pipeline/nightly", format="json")
    assert response.status_code == 202
    run = PipelineRun.objects.get(pk=response.json()["id"])
    assert sorted(run.children.values_list("kind", flat=True)) == [
        "enrich",
        "match",
        "scrape",
        "send",
    ]


def test_scrape_of_one_source_and_a_source_where_none_belongs(company):
    source = Source.objects.create(
        name="Acme board", kind=Source.Kind.GREENHOUSE, config={"board": "acme"}
    )
    _, token = _key(company, "pipeline:write")
    client = _client(token)
    response = client.post("/api/v1/pipeline/scrape", {"source": source.pk}, format="json")
    assert response.status_code == 202
    assert response.json()["source"] == source.pk

    wrong = client.post("/api/v1/pipeline/match", {"source": source.pk}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"] == {"source": ["Only a scrape run has a source."]}
    missing = client.post("/api/v1/pipeline/scrape", {"source": 999999}, format="json")
    assert missing.status_code == 400
    assert "source" in missing.json()["error"]["fields"]
    assert client.post("/api/v1/pipeline/reindex", format="json").status_code == 404
    assert PipelineRun.objects.count() == 1


def test_who_may_do_what(company, recruiter):
    _, read = _key(company, "pipeline:read")
    _, other = _key(company, "jobs:write")
    revoked_key, revoked = _key(company, "pipeline:write")
    api_key_revoke(api_key=revoked_key, actor=None)

    anonymous = _client().get("/api/v1/pipeline/runs")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.json()["error"]["code"] == "not_authenticated"

    for token in ("rk_unknown.secret", revoked, "no-dot", "two parts"):
        response = _client(token).get("/api/v1/pipeline/runs")
        assert response.status_code == 401, token
        assert response.json()["error"]["message"]

    assert _client(read).get("/api/v1/pipeline/runs").status_code == 200
    assert _client(read).post("/api/v1/pipeline/match").status_code == 403
    assert _client(other).get("/api/v1/pipeline/runs").status_code == 403

    member = APIClient()
    member.force_login(recruiter)
    assert member.get("/api/v1/pipeline/runs").status_code == 403
    assert member.post("/api/v1/pipeline/match").status_code == 403

    staff = APIClient()
    staff_user = UserFactory(is_staff=True, is_superuser=True)
    staff.force_login(staff_user)
    response = staff.post("/api/v1/pipeline/match", format="json")
    assert response.status_code == 202
    assert PipelineRun.objects.get(pk=response.json()["id"]).triggered_by == staff_user
    assert PipelineRun.objects.count() == 1


def test_runs_list_filters_and_paginates_with_a_link_header(company):
    _, token = _key(company, "pipeline:read")
    old = run_create(kind=PipelineRun.Kind.MATCH)
    PipelineRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    runs = [run_create(kind=PipelineRun.Kind.ENRICH) for _ in range(3)]
    client = _client(token)

    page = client.get("/api/v1/pipeline/runs", {"page_size": 2, "kind": "enrich"})
    assert page.status_code == 200
    assert [r["id"] for r in page.json()["results"]] == [runs[2].pk, runs[1].pk]
    # requests' own parser of RFC 8288 headers, as a generic client reads them.
    links = {link["rel"]: link["url"] for link in parse_header_links(page["Link"])}
    assert set(links) == {"next"}
    assert links["next"] == page.json()["next"]
    rest = client.get(urlsplit(links["next"]).path + "?" + urlsplit(links["next"]).query)
    assert [r["id"] for r in rest.json()["results"]] == [runs[0].pk]
    back = {link["rel"]: link["url"] for link in parse_header_links(rest["Link"])}
    assert set(back) == {"prev"}

    since = (timezone.now() - timedelta(days=1)).isoformat()
    recent = client.get("/api/v1/pipeline/runs", {"updated_after": since})
    assert {r["id"] for r in recent.json()["results"]} == {run.pk for run in runs}

    for bad in ({"kind": "reindex"}, {"status": "nope"}, {"updated_after": "yesterday"}):
        response = client.get("/api/v1/pipeline/runs", bad)
        assert response.status_code == 400, bad
        assert set(response.json()["error"]["fields"]) == set(bad)
    assert client.get("/api/v1/pipeline/runs/999999").status_code == 404


def test_staff_read_and_write_follow_the_admin_permissions():
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_pipelinerun"))
    client = APIClient()
    client.force_login(viewer)
    assert client.get("/api/v1/pipeline/runs").status_code == 200
    assert client.post("/api/v1/pipeline/send", format="json").status_code == 403
    assert not PipelineRun.objects.exists()


def test_the_schema_documents_the_pipeline_api_without_warnings():
    from django.core.management import call_command

    out = __import__("io").StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in (
        "/api/v1/pipeline/runs:",
        "/api/v1/pipeline/runs/{id}:",
        "/api/v1/pipeline/{stage}:",
    ):
        assert path in schema
    assert "bearerFormat: <prefix>.<secret>" in schema


def test_each_key_has_its_own_rate_limit_announced_in_headers(company, settings):
    settings.API_RATE_LIMIT = "3/hour"
    _, first = _key(company, "pipeline:read")
    _, second = _key(company, "pipeline:write")
    client = _client(first)
    remaining = []
    for _ in range(3):
        response = client.get("/api/v1/pipeline/runs")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        remaining.append(response["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    reset = int(response["X-RateLimit-Reset"])
    assert 0 < reset - timezone.now().timestamp() <= 3600

    refused = client.get("/api/v1/pipeline/runs")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert refused["X-RateLimit-Remaining"] == "0"

    assert _client(second).get("/api/v1/pipeline/runs")["X-RateLimit-Remaining"] == "2"


def test_a_rate_counter_lives_one_window_whatever_the_cache(settings):
    """Counted on Redis in one pipelined round trip, or through the cache API elsewhere:
    the same counts, and the counter expires with its window."""
    from django.core.cache import cache, caches
    from django.core.cache.backends.redis import RedisCache

    from accounts.throttling import _count

    assert isinstance(caches["default"], RedisCache)  # the tests run on Redis
    key = f"ratelimit:test:{time.time_ns()}"
    assert [_count(key, 61) for _ in range(3)] == [1, 2, 3]
    assert cache.get(key) == 3
    client = caches["default"]._cache.get_client(write=False)
    assert 0 < client.ttl(caches["default"].make_and_validate_key(key)) <= 61
    assert _count(key, 5) == 4  # a later request never moves the expiry on
    assert client.ttl(caches["default"].make_and_validate_key(key)) > 5

    # Django's setting_changed handler gives `caches` the new backend.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not isinstance(caches["default"], RedisCache)
    assert [_count(key, 61) for _ in range(2)] == [1, 2]


def test_a_bad_rate_setting_is_a_clear_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    from accounts.throttling import rate_parse

    assert rate_parse("600/minute") == (600, 60)
    assert rate_parse(" 5 / day ") == (5, 86400)
    for bad in ("600", "0/minute", "10/fortnight", ""):
        with pytest.raises(ImproperlyConfigured, match="API_RATE_LIMIT"):
            rate_parse(bad)


DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_without_the_cache_reads_still_answer_and_an_idempotent_post_gets_503(company, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }
    _, token = _key(company, "pipeline:write")
    read = _client(token).get("/api/v1/pipeline/runs")
    assert read.status_code == 200
    assert "X-RateLimit-Limit" not in read  # not counted, not refused

    post = _client(token).post(
        "/api/v1/pipeline/enrich", {}, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert post.status_code == 503
    assert post.json()["error"]["code"] == "service_unavailable"
    assert post["Retry-After"] == "30"
    assert not PipelineRun.objects.exists()


@pytest.fixture
def dead_broker():
    from recruitment.celery import app

    saved = {
        name: app.conf[name] for name in ("broker_url", "task_always_eager", "task_publish_retry")
    }
    pools = (app._pool, app.amqp._producer_pool)
    app.conf.update(broker_url=DEAD_REDIS, task_always_eager=False, task_publish_retry=False)
    app._pool = app.amqp._producer_pool = None  # connect anew, to the dead broker
    yield
    app.conf.update(saved)
    app._pool, app.amqp._producer_pool = pools


@pytest.mark.django_db(transaction=True)  # real commits: the task is sent inside the request
def test_when_the_task_queue_is_down_queueing_answers_503_and_the_run_says_why(
    company, dead_broker
):
    _, token = _key(company, "pipeline:write")
    response = _client(token).post("/api/v1/pipeline/enrich", {}, format="json")
    assert response.status_code == 503
    run = PipelineRun.objects.get()
    assert (run.status, run.error) == ("failed", "the task queue was unavailable")
