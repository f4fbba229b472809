"""Fault tests of the message broker (issue 9), on the real stack: gunicorn, a Celery worker and
celery-beat, a Redis server of the test's own, and a real SMTP server (aiosmtpd) behind Django's
SMTP backend.

- Broker outage: 1,000 applications through the partner API at concurrency 10, Redis killed
  (kill -9, nothing kept on disk) at about 30% of the run and started again 20 s later. Each
  application's confirmation (the company's automatic email for the first stage) must reach the
  SMTP server exactly once, and its `application.created` webhook the partner's endpoint, all
  within 120 s of Redis returning; no request may take over 5 s. The emails and deliveries
  queued during the outage, and the tasks Redis forgot, are the sweepers' to send: with
  FAULTS_WITHOUT_SWEEPER=1 the test runs without them and fails.
- Worker killed mid-send: the worker is killed (kill -9) while its SMTP conversation is stalled;
  the unacknowledged task is delivered again (acks_late, a short visibility timeout), and the
  email still arrives once.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from celery import Celery
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.mail import email_build
from accounts.models import OutboundEmail
from accounts.services import api_key_create
from accounts.webhooks import webhook_endpoint_create
from applications.models import Application, EmailTemplate, Stage
from applications.services import stage_template_create
from jobs.tests.factories import JobFactory
from recruitment.database import database_url
from recruitment.tests.stack import (
    Gunicorn,
    RedisServer,
    celery_beat,
    celery_worker,
    smtp_server,
    stack_env,
    tail,
    wait_for,
    webhook_receiver,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

APPLICATIONS = 1000
CONCURRENCY = 10
KILL_AT = 0.3  # of the applications answered
OUTAGE_SECONDS = 20
SWEEP_SECONDS = 5  # the sweeper's interval in this test (production: every minute)
SWEEPER = os.environ.get("FAULTS_WITHOUT_SWEEPER") != "1"
SUBJECT = "Thanks for applying"


@dataclass
class Answer:
    index: int
    status: int
    started: float
    seconds: float
    body: bytes


def _company_with_confirmation(hook_url: str):
    job = JobFactory(title="Site Reliability Engineer")
    webhook_endpoint_create(
        company=job.company, url=hook_url, events=["application.created"], actor=None
    )
    stage_template_create(company=job.company)
    EmailTemplate.objects.create(
        company=job.company,
        name="Confirmation",
        subject=SUBJECT + ": {{ job_title }}",
        body="Hello {{ candidate_name }}, we have your application.",
        send_on_stage=job.company.stages.get(kind=Stage.Kind.APPLIED),
    )
    _, token = api_key_create(
        company=job.company, name="load", scopes=["applications:write"], actor=None
    )
    return job, token


def _install_sweepers(enabled: bool) -> None:
    """The outbox's and the webhooks' sweepers as celery-beat runs them, every SWEEP_SECONDS;
    every other periodic task off, so that nothing else runs during the test."""
    PeriodicTask.objects.update(enabled=False)
    every, _ = IntervalSchedule.objects.get_or_create(
        every=SWEEP_SECONDS, period=IntervalSchedule.SECONDS
    )
    for task in ("accounts.outbox_send", "accounts.webhooks_send_due"):
        PeriodicTask.objects.update_or_create(
            name=f"sweeper {task}",
            defaults={"task": task, "interval": every, "crontab": None, "enabled": enabled},
        )


def _apply(web: Gunicorn, job_id: int, token: str, index: int) -> Answer:
    body = json.dumps(
        {
            "job": job_id,
            "email": f"applicant-{index}@example.org",
            "full_name": f"Applicant {index}",
            "consent_processing": True,
        }
    ).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = time.monotonic()
    status, answer = web.request("POST", "/api/v1/applications", body, headers)
    return Answer(index, status, started, time.monotonic() - started, answer)


def _load(web: Gunicorn, job_id: int, token: str, on_answer) -> list[Answer]:
    """APPLICATIONS submits from CONCURRENCY threads; `on_answer(count)` after each."""
    answers: list[Answer] = []
    lock = threading.Lock()
    todo = iter(range(APPLICATIONS))

    def client() -> None:
        while True:
            with lock:
                index = next(todo, None)
            if index is None:
                return
            answer = _apply(web, job_id, token, index)
            with lock:
                answers.append(answer)
                count = len(answers)
            on_answer(count)

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_broker_outage_loses_no_application_and_no_email(tmp_path):
    redis = RedisServer(tmp_path)
    parts = []
    with smtp_server() as (smtp_port, received, _), webhook_receiver() as (hook_url, hooks):
        job, token = _company_with_confirmation(hook_url)
        _install_sweepers(enabled=SWEEPER)
        env = stack_env(
            DATABASE_URL=database_url(),
            REDIS_URL=redis.url,
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        )
        try:
            parts.append(web := Gunicorn(tmp_path, env))
            parts.append(celery_worker(tmp_path, env))
            parts.append(beat := celery_beat(tmp_path, env))
            outage: dict[str, float] = {}

            def fault() -> None:
                outage["killed"] = time.monotonic()
                redis.kill()
                time.sleep(OUTAGE_SECONDS)
                redis.start()
                outage["back"] = time.monotonic()

            fault_thread = threading.Thread(target=fault)

            def on_answer(count: int) -> None:
                if count == int(APPLICATIONS * KILL_AT):
                    fault_thread.start()

            began = time.monotonic()
            answers = _load(web, job.pk, token, on_answer)
            load_seconds = time.monotonic() - began
            fault_thread.join()
            expected = {f"applicant-{index}@example.org" for index in range(APPLICATIONS)}

            def all_delivered() -> bool:
                hooked = _hooked(hooks)
                return expected <= set(received.by_recipient()) and len(hooked) == APPLICATIONS

            delivered = wait_for(
                lambda: all_delivered() and time.monotonic(),
                lambda: (
                    f"all {APPLICATIONS} confirmations and webhooks delivered (missing "
                    f"{len(expected - set(received.by_recipient()))} confirmations and "
                    f"{APPLICATIONS - len(_hooked(hooks))} webhooks; outbox "
                    f"{dict(_outbox_statuses())}; worker log: {tail(tmp_path / 'worker.log', 5)}; "
                    f"beat log: {tail(tmp_path / 'beat.log', 5)})"
                ),
                seconds=OUTAGE_SECONDS + 180,
                every=0.5,
            )
            time.sleep(2 * SWEEP_SECONDS)  # a duplicate would arrive now, from a later sweep
            assert beat.alive()
        finally:
            for part in reversed(parts):
                part.stop()
            redis.stop()
        confirmations = [
            rcpts for rcpts, subject in list(received.messages) if subject.startswith(SUBJECT)
        ]

    statuses = sorted({answer.status for answer in answers})
    slowest = max(answers, key=lambda answer: answer.seconds)
    during = [a for a in answers if outage["killed"] <= a.started <= outage["back"]]
    per_recipient = received.by_recipient()
    duplicates = sum(1 for count in per_recipient.values() if count > 1)
    stored = set(Application.objects.filter(job=job).values_list("pk", flat=True))
    hooked = _hooked(hooks)
    redelivered = sum(count - 1 for count in hooks.ids().values())
    print(
        f"\nbroker outage: {len(answers)} applications in {load_seconds:.1f} s "
        f"({len(during)} while Redis was down for {outage['back'] - outage['killed']:.1f} s); "
        f"statuses {statuses}; request p95 {_p95(answers):.2f} s (while Redis was down "
        f"{_p95(during):.2f} s), slowest {slowest.seconds:.2f} s; stored {len(stored)}; "
        f"confirmations {len(confirmations)} to {len(per_recipient)} addresses, "
        f"{duplicates} duplicates; webhooks for {len(hooked)} applications "
        f"({redelivered} delivered twice); all delivered {delivered - outage['back']:.1f} s after "
        f"Redis returned; outbox {dict(_outbox_statuses())}",
        flush=True,
    )
    failed = [a for a in answers if a.status != 201]
    assert not failed, [(a.index, a.status, a.body[:200]) for a in failed[:5]]
    assert stored == {json.loads(a.body)["id"] for a in answers}  # none lost
    assert len(confirmations) == APPLICATIONS and duplicates == 0
    assert hooked == stored
    assert delivered - outage["back"] <= 120
    assert slowest.seconds <= 5, slowest
    assert during, "the outage began after the load had ended: nothing was tested"


def _p95(answers: list[Answer]) -> float:
    seconds = sorted(answer.seconds for answer in answers) or [0.0]
    return seconds[int(0.95 * (len(seconds) - 1))]


def _hooked(hooks) -> set[int]:
    """The applications whose `application.created` webhook arrived."""
    with hooks.lock:
        bodies = [body for _, body in hooks.received]
    return {
        body["data"]["application"]["id"]
        for body in bodies
        if body["type"] == "application.created"
    }


def _outbox_statuses() -> Counter[str]:
    return Counter(OutboundEmail.objects.values_list("status", flat=True))


def test_a_worker_killed_mid_send_sends_the_email_once(tmp_path):
    email = email_build(
        to="killed-worker@example.org",
        kind="test.fault",
        subject="Sent once",
        body_text="Exactly once, whatever happens to the worker.\n",
        dedupe_key="fault:worker-killed",
    )
    email.save()  # no task queued on commit: this test sends the one the worker will lose
    redis = RedisServer(tmp_path)
    broker = Celery(broker=redis.url, set_as_current=False)  # the suite's app stays current
    with smtp_server() as (smtp_port, received, hold):
        env = stack_env(
            DATABASE_URL=database_url(),
            REDIS_URL=redis.url,
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            CELERY_VISIBILITY_TIMEOUT="5",  # production: an hour
            EMAIL_OUTBOX_SENDING_TIMEOUT="3",  # the lease of a row being sent; production: 15 min
        )
        hold.clear()  # the SMTP server stalls after MAIL FROM: the worker is mid-send
        first = celery_worker(tmp_path, env, "first")
        second = None
        try:
            broker.send_task("accounts.outbox_send")
            wait_for(lambda: received.sessions, f"a send begun ({tail(first.log, 10)})")
            first.kill()
            email.refresh_from_db()
            assert (email.status, email.attempts) == (OutboundEmail.Status.SENDING, 1)
            hold.set()
            second = celery_worker(tmp_path, env, "second")
            wait_for(
                lambda: received.messages,
                f"the email sent again ({tail(second.log, 10)})",
                seconds=120,
            )
            time.sleep(10)  # another visibility timeout and lease: a duplicate would come now
        finally:
            for worker in (first, second):
                if worker is not None:
                    worker.stop()
            redis.stop()
            broker.close()
    email.refresh_from_db()
    print(
        f"\nworker killed mid-send: {received.sessions} sends begun, {len(received.messages)} "
        f"received; the row {email.status} after {email.attempts} attempts",
        flush=True,
    )
    assert received.messages == [(("killed-worker@example.org",), "Sent once")]
    assert (email.status, email.attempts) == (OutboundEmail.Status.SENT, 2)
    assert "outbox_send" in second.log.read_text()  # the second worker ran the lost task
