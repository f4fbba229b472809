"""Outbound webhooks: the outbox, signing (checked by svix's own verifier), retries, SSRF."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from svix.webhooks import Webhook, WebhookVerificationError

from accounts.models import WebhookDelivery, WebhookEndpoint
from accounts.tasks import webhooks_send_due
from accounts.tests.factories import CompanyFactory
from accounts.webhooks import (
    SUBSCRIBABLE_EVENTS,
    WEBHOOK_EVENTS,
    webhook_deliveries_send_due,
    webhook_delivery_claim,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_event_emit,
    webhook_ping,
    webhook_redeliver,
    webhook_retry_delay,
    webhook_url_check,
)
from recruitment.celery import app
from recruitment.database import database_url
from recruitment.tests.admin_helpers import _messages, _url

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=7)  # past any retry wait of the default schedule


# --- A receiver on 127.0.0.1 that checks signatures with svix's verifier ---------------------


class Receiver:
    """Answers POSTs with the queued statuses (then 200), verifying each with svix."""

    def __init__(self):
        self.secret = ""
        self.answers: list[int | tuple[int, dict]] = []
        self.delay = 0.0
        self.requests: list[dict] = []
        self.url = ""

    def answer(self):
        answer = self.answers.pop(0) if self.answers else 200
        return answer if isinstance(answer, tuple) else (answer, {})

    def record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        self.requests.append({"path": path, "headers": headers, "body": body, "verified": verified})


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.record(self.path, dict(self.headers.items()), body)
            if state.delay:
                time.sleep(state.delay)
            status, headers = state.answer()
            payload = b"thanks" if status < 300 else b"nope"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _private_targets_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on 127.0.0.1


def _endpoint(company, receiver=None, events=("*",), **kwargs) -> WebhookEndpoint:
    url = receiver.url if receiver is not None else "http://127.0.0.1:9/hooks"
    endpoint = webhook_endpoint_create(
        company=company, url=url, events=list(events), actor=None, **kwargs
    )
    if receiver is not None:
        receiver.secret = endpoint.secret
    return endpoint


def _emit(company, event="application.created", data=None) -> int:
    return webhook_event_emit(
        company_id=company.pk, event=event, data=data or {"application": {"id": 1}}
    )


def _without_pings():
    return WebhookDelivery.objects.exclude(event_type="ping")


# --- Emitting: the outbox ---------------------------------------------------------------------


def test_emit_writes_one_delivery_per_subscribed_active_endpoint(company, other_company):
    everything = _endpoint(company, events=["*"])
    subscribed = _endpoint(company, events=["application.created", "job.published"])
    _endpoint(company, events=["job.published"])
    paused = _endpoint(company, events=["*"])
    webhook_endpoint_update(endpoint=paused, actor=None, is_active=False)
    _endpoint(other_company, events=["*"])

    assert _emit(company) == 2

    rows = _without_pings()
    assert {row.endpoint_id for row in rows} == {everything.pk, subscribed.pk}
    assert len({row.event_id for row in rows}) == 2
    row = rows.first()
    assert row.event_id.startswith("msg_")
    assert (row.status, row.attempts, row.event_type) == ("pending", 0, "application.created")
    assert row.payload["type"] == "application.created"
    assert row.payload["data"] == {"application": {"id": 1}}
    assert row.payload["timestamp"].endswith("Z")


def test_emit_costs_one_query_for_a_company_without_endpoints(company, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert _emit(company) == 0


def test_emit_stores_dates_and_decimals_as_json(company):
    from decimal import Decimal

    _endpoint(company)
    when = timezone.now()
    _emit(company, "offer.sent", {"offer": {"salary": Decimal("85000.00"), "sent_at": when}})
    payload = _without_pings().get().payload
    assert payload["data"]["offer"]["salary"] == "85000.00"
    assert payload["data"]["offer"]["sent_at"].startswith(str(when.date()))


def test_emit_refuses_unknown_events_and_ping(company):
    with pytest.raises(ValueError):
        _emit(company, "application.exploded")
    with pytest.raises(ValueError):
        _emit(company, "ping")


def test_nothing_is_written_when_the_transaction_rolls_back(
    company, receiver, django_capture_on_commit_callbacks
):
    _endpoint(company, receiver)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                assert _emit(company) == 1
                raise RuntimeError("the business write failed")
    assert not _without_pings().exists()
    assert callbacks == []
    assert receiver.requests == []


def test_the_send_is_queued_only_when_the_write_commits(
    company, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(company, receiver)
    with django_capture_on_commit_callbacks() as callbacks:
        _emit(company)
        assert receiver.requests == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["application.created"]
    assert endpoint.deliveries.get(event_type="application.created").status == "succeeded"


# --- Sending and signing ----------------------------------------------------------------------


def test_a_delivery_is_signed_so_that_svixs_own_verifier_accepts_it(
    company, receiver, django_capture_on_commit_callbacks
):
    _endpoint(company, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        _emit(company, "job.published", {"job": {"id": 7, "title": "Engineer – Zürich"}})

    request = receiver.requests[-1]
    assert request["verified"]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    delivery = _without_pings().get()
    assert headers["webhook-id"] == delivery.event_id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("RecruitmentWebhooks/")
    body = json.loads(request["body"])
    assert body == {
        "type": "job.published",
        "timestamp": delivery.payload["timestamp"],
        "data": {"job": {"id": 7, "title": "Engineer – Zürich"}},
    }
    assert request["path"] == "/hooks"
    # Another secret does not verify: the signature really depends on it.
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request["body"], request["headers"])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None
    assert delivery.response_excerpt == "thanks"
    assert delivery.last_error == ""


def test_a_500_is_retried_with_backoff_then_succeeds(company, receiver):
    receiver.answers = [500]
    endpoint = _endpoint(company, receiver, events=["application.created"])
    endpoint.deliveries.all().delete()  # leave the ping out of it
    _emit(company)
    start = timezone.now()

    first = webhook_deliveries_send_due(now=start)
    assert (first["retried"], first["succeeded"]) == (1, 0)
    delivery = endpoint.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert delivery.response_excerpt == "nope"
    wait = (delivery.next_attempt_at - start).total_seconds()
    assert 30 <= wait <= 33  # WEBHOOK_RETRY_SECONDS, plus up to 10 % jitter

    assert webhook_deliveries_send_due(now=start + timedelta(seconds=10))["claimed"] == 0
    second = webhook_deliveries_send_due(now=start + timedelta(seconds=40))
    assert second["succeeded"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 200)
    assert delivery.last_error == ""
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert ids == [delivery.event_id, delivery.event_id]  # the same message, twice
    assert all(r["verified"] for r in receiver.requests)


def test_a_delivery_fails_after_the_last_attempt(company, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.answers = [503, 500, 502, 500]
    endpoint = _endpoint(company, receiver)
    endpoint.deliveries.all().delete()
    _emit(company)
    now = timezone.now()
    outcomes = []
    for step in range(5):
        result = webhook_deliveries_send_due(now=now + step * LATER)
        outcomes.append((result["retried"], result["failed"]))
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    delivery = endpoint.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 502)
    assert len(receiver.requests) == 3


def test_timeouts_and_refused_connections_are_retried(company, receiver, settings):
    settings.WEBHOOK_TIMEOUT = 0.3
    receiver.delay = 1.0
    slow = _endpoint(company, receiver)
    slow.deliveries.all().delete()
    closed = _endpoint(company)  # port 9 on 127.0.0.1: nobody listens
    closed.deliveries.all().delete()
    _emit(company)

    assert webhook_deliveries_send_due()["retried"] == 2
    slow_row, closed_row = slow.deliveries.get(), closed.deliveries.get()
    assert slow_row.last_error.startswith("TimeoutError")
    assert closed_row.last_error.startswith("ConnectionRefusedError")
    assert slow_row.last_status_code is None
    assert (slow_row.status, closed_row.status) == ("pending", "pending")


def test_redirects_are_not_followed(company, receiver):
    receiver.answers = [(302, {"Location": "http://169.254.169.254/latest/meta-data"})]
    endpoint = _endpoint(company, receiver)
    endpoint.deliveries.all().delete()
    _emit(company)
    webhook_deliveries_send_due()
    delivery = endpoint.deliveries.get()
    assert delivery.status == "pending"
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_the_retry_wait_doubles_with_jitter_up_to_the_cap(settings):
    settings.WEBHOOK_RETRY_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 600
    for attempts, base in [(1, 30), (2, 60), (3, 120), (4, 240)]:
        wait = webhook_retry_delay(attempts=attempts).total_seconds()
        assert base <= wait <= base * 1.1
    assert webhook_retry_delay(attempts=12).total_seconds() == 600
    assert webhook_retry_delay(attempts=1, retry_after="300").total_seconds() == 300
    assert webhook_retry_delay(attempts=1, retry_after="soon").total_seconds() < 40


def test_a_429_waits_as_long_as_retry_after_says(company, receiver):
    receiver.answers = [(429, {"Retry-After": "120"})]
    endpoint = _endpoint(company, receiver)
    endpoint.deliveries.all().delete()
    _emit(company)
    now = timezone.now()
    webhook_deliveries_send_due(now=now)
    delivery = endpoint.deliveries.get()
    assert (delivery.next_attempt_at - now).total_seconds() >= 120


def test_a_disabled_endpoint_gets_nothing_more(company, receiver):
    endpoint = _endpoint(company, receiver)
    _emit(company)
    webhook_endpoint_update(endpoint=endpoint, actor=None, is_active=False)
    result = webhook_deliveries_send_due()
    assert result["failed"] == 2  # the ping and the event
    assert receiver.requests == []
    assert set(endpoint.deliveries.values_list("last_error", flat=True)) == {"endpoint disabled"}
    assert _emit(company) == 0


# --- Ping and redelivery ----------------------------------------------------------------------


def test_creating_an_endpoint_sends_it_a_ping(
    company, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        endpoint = webhook_endpoint_create(
            company=company, url=receiver.url, events=["job.closed"], actor=None
        )
        receiver.secret = endpoint.secret
    ping = endpoint.deliveries.get()
    assert (ping.event_type, ping.status) == ("ping", "succeeded")
    body = json.loads(receiver.requests[0]["body"])
    assert body["type"] == "ping"
    assert body["data"]["endpoint_id"] == endpoint.pk
    assert receiver.requests[0]["verified"]


def test_redeliver_sends_the_same_message_again(company, receiver):
    endpoint = _endpoint(company, receiver)
    endpoint.deliveries.all().delete()
    _emit(company)
    webhook_deliveries_send_due()
    delivery = endpoint.deliveries.get()
    assert delivery.status == "succeeded"

    redelivered = webhook_redeliver(delivery=delivery, actor=None)
    assert (redelivered.status, redelivered.attempts, redelivered.delivered_at) == (
        "pending",
        0,
        None,
    )
    assert webhook_deliveries_send_due()["succeeded"] == 1
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.event_id] * 2
    assert all(r["verified"] for r in receiver.requests)
    assert endpoint.deliveries.count() == 1


def test_redeliver_after_failure_starts_a_new_cycle(company, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answers = [500]
    endpoint = _endpoint(company, receiver)
    endpoint.deliveries.all().delete()
    _emit(company)
    webhook_deliveries_send_due()
    delivery = endpoint.deliveries.get()
    assert delivery.status == "failed"
    webhook_redeliver(delivery=delivery, actor=None)
    webhook_deliveries_send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


# --- Claims -----------------------------------------------------------------------------------


def _pending_delivery(company) -> WebhookDelivery:
    endpoint = _endpoint(company)
    return endpoint.deliveries.get()  # the ping


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(company):
    delivery = _pending_delivery(company)
    now = timezone.now()
    assert webhook_delivery_claim(delivery_id=delivery.pk, now=now) is not None
    assert webhook_delivery_claim(delivery_id=delivery.pk, now=now) is None
    # The worker was lost: after the lease the row is due again, as a second attempt.
    again = webhook_delivery_claim(delivery_id=delivery.pk, now=now + timedelta(hours=1))
    assert again is not None and again.attempts == 2


def test_a_lost_last_attempt_gives_up(company, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    delivery = _pending_delivery(company)
    now = timezone.now()
    assert webhook_delivery_claim(delivery_id=delivery.pk, now=now) is not None
    result = webhook_deliveries_send_due(now=now + timedelta(hours=1))
    assert result["gave_up"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "never finished" in delivery.last_error


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_one_wins():
    company = CompanyFactory()
    endpoint = webhook_endpoint_create(
        company=company, url="http://127.0.0.1:9/hooks", events=["*"], actor=None
    )
    for _ in range(5):
        delivery = endpoint.deliveries.create(
            event_id=f"msg_{time.time_ns()}", event_type="ping", payload={}
        )
        barrier = threading.Barrier(2)
        results = []

        def claim(delivery_id=delivery.pk, barrier=barrier, results=results):
            try:
                barrier.wait()
                results.append(webhook_delivery_claim(delivery_id=delivery_id))
            finally:
                connection.close()

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(result is not None for result in results) == [False, True]
        delivery.refresh_from_db()
        assert delivery.attempts == 1


# --- Targets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://localhost:8000/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/",
    ],
)
def test_private_targets_are_refused_unless_allowed(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError):
        webhook_url_check(url)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook_url_check(url)


def test_a_public_address_is_accepted(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    webhook_url_check("https://93.184.215.14/hooks")


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "http://user:pw@example.org/x", "not a url", "http:///x"]
)
def test_only_http_urls_without_credentials(url):
    with pytest.raises(ValidationError):
        webhook_url_check(url)


def test_a_target_that_turned_private_is_refused_at_send_time(company, receiver, settings):
    endpoint = _endpoint(company, receiver)  # allowed when saved
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    webhook_deliveries_send_due()
    ping = endpoint.deliveries.get()
    assert ping.status == "pending"
    assert "non-public address" in ping.last_error
    assert receiver.requests == []


# --- Endpoints --------------------------------------------------------------------------------


def test_endpoint_secret_is_a_svix_secret(company):
    endpoint = _endpoint(company)
    assert endpoint.secret.startswith("whsec_")
    assert len(base64.b64decode(endpoint.secret.removeprefix("whsec_"))) == 32
    assert _endpoint(company).secret != endpoint.secret


def test_endpoint_events_are_checked_and_tidied(company):
    endpoint = _endpoint(company, events=["job.closed", "application.created", "job.closed"])
    assert endpoint.events == ["application.created", "job.closed"]
    assert _endpoint(company, events=["job.closed", "*"]).events == ["*"]
    for events in ([], ["application.exploded"], ["ping"]):
        with pytest.raises(ValidationError):
            _endpoint(company, events=events)


def test_the_catalogue_holds_the_issue_events():
    assert set(SUBSCRIBABLE_EVENTS) == {
        "application.created",
        "application.stage_changed",
        "application.rejected",
        "application.hired",
        "application.withdrawn",
        "job.published",
        "job.closed",
        "interview.scheduled",
        "interview.cancelled",
        "offer.sent",
        "offer.accepted",
        "offer.declined",
    }
    assert "ping" in WEBHOOK_EVENTS


def test_a_ping_reaches_an_endpoint_whatever_it_subscribed_to(company):
    endpoint = _endpoint(company, events=["job.closed"])
    webhook_ping(endpoint=endpoint, actor=None)
    assert endpoint.deliveries.filter(event_type="ping").count() == 2


# --- Tasks and admin --------------------------------------------------------------------------


@pytest.fixture
def worker_queue(transactional_db, celery_worker_process):
    """A real worker on a private queue, on this test's database; tasks go through Redis."""
    queue = f"webhooks-{uuid.uuid4().hex[:8]}"
    worker = celery_worker_process(
        queue,
        DATABASE_URL=database_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
    )
    conf = app.conf
    saved = conf.task_always_eager, conf.task_default_queue, conf.broker_url
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    conf.task_always_eager, conf.task_default_queue, conf.broker_url = False, queue, redis_url
    try:
        yield worker
    finally:
        conf.task_always_eager, conf.task_default_queue, conf.broker_url = saved


def test_an_event_reaches_the_receiver_through_redis_and_a_real_worker(worker_queue, receiver):
    company = CompanyFactory()
    with transaction.atomic():
        endpoint = _endpoint(company, receiver, events=["application.hired"])
        webhook_event_emit(
            company_id=company.pk, event="application.hired", data={"application": {"id": 3}}
        )
    deadline = time.monotonic() + 120  # a bound so that a broken worker fails the test
    while len(receiver.requests) < 2 and time.monotonic() < deadline:
        if worker_queue.poll() is not None:
            pytest.fail(f"the worker died:\n{worker_queue.communicate()[0]}")
        time.sleep(0.2)
    types = sorted(json.loads(r["body"])["type"] for r in receiver.requests)
    assert types == ["application.hired", "ping"]
    assert all(r["verified"] for r in receiver.requests)
    deadline = time.monotonic() + 30
    while endpoint.deliveries.filter(status="pending").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(endpoint.deliveries.values_list("status", flat=True)) == {"succeeded"}


def test_the_sweeper_is_installed_in_the_beat_schedule():
    task = PeriodicTask.objects.get(task="accounts.webhooks_send_due")
    assert task.enabled
    assert task.crontab.minute == "*"


def test_the_sweeper_task_sends_due_deliveries(company, receiver):
    endpoint = _endpoint(company, receiver)
    result = webhooks_send_due.delay().get()
    assert result["succeeded"] == 1
    assert endpoint.deliveries.get().status == "succeeded"


def test_admin_redelivers_selected_deliveries(admin_client_, company, receiver):
    endpoint = _endpoint(company, receiver)
    webhook_deliveries_send_due()
    delivery = endpoint.deliveries.get()
    response = admin_client_.post(
        _url(WebhookDelivery, "changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "Queued 1 delivery(ies) again." in _messages(response)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_admin_endpoint_page_never_shows_the_secret(admin_client_, company):
    endpoint = _endpoint(company)
    response = admin_client_.get(_url(WebhookEndpoint, "change", endpoint.pk))
    assert response.status_code == 200
    assert endpoint.secret not in response.content.decode()

    response = admin_client_.post(
        _url(WebhookEndpoint, "change", endpoint.pk),
        {"description": "paused by staff", "is_active": ""},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.is_active) == ("paused by staff", False)
