"""The nightly chain end to end: a real Redis broker, a real Celery worker, a real crawl process
against a board served on 127.0.0.1, the real model, and the outbox written exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import CandidateProfile, DigestFrequency, NotificationPreference, OutboundEmail
from accounts.tests.factories import UserFactory
from jobs.models import Job
from pipeline.models import Match, PipelineRun, ScrapedPosting, Source
from pipeline.orchestration import pipeline_queue
from recruitment.celery import app
from recruitment.database import database_url

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
Status = PipelineRun.Status

BOARD = {
    "jobs": [
        {
            "id": 7001,
            "title": "Senior Python Backend Engineer",
            "updated_at": "2026-11-20T09:00:00-05:00",
            "location": {"name": "Berlin, Germany"},
            "absolute_url": "https://boards.example.com/nightlyco/jobs/7001?gh_src=feed",
            "content": (
                "&lt;p&gt;We build our payments platform in Python with Django and "
                "PostgreSQL.&lt;/p&gt;&lt;h3&gt;Must have&lt;/h3&gt;&lt;ul&gt;&lt;li&gt;5+ years "
                "of Python&lt;/li&gt;&lt;li&gt;Django&lt;/li&gt;&lt;li&gt;PostgreSQL&lt;/li&gt;"
                "&lt;/ul&gt;&lt;p&gt;Hybrid in Berlin, Germany. Salary EUR 75,000-90,000."
                "&lt;/p&gt;"
            ),
            "departments": [{"id": 1, "name": "Engineering"}],
            "offices": [{"id": 1, "name": "Berlin", "location": "Berlin, Germany"}],
            "metadata": None,
        },
        {
            "id": 7002,
            "title": "Registered Nurse, Intensive Care",
            "updated_at": "2026-11-21T09:00:00-05:00",
            "location": {"name": "Boston, MA, United States"},
            "absolute_url": "https://boards.example.com/nightlyco/jobs/7002",
            "content": (
                "&lt;p&gt;Our ICU in Boston needs a registered nurse for night shifts. "
                "Must have: an active RN license, ICU experience, BLS and ACLS.&lt;/p&gt;"
            ),
            "departments": [{"id": 2, "name": "Nursing"}],
            "offices": [{"id": 2, "name": "Boston", "location": "Boston, MA, United States"}],
            "metadata": None,
        },
    ],
    "meta": {"total": 2},
}


class _Board(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
        elif path == "/v1/boards/nightlyco/jobs":
            body = json.dumps(BOARD).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def board_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Board)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def worker_queue(transactional_db, celery_worker_process):
    """A real worker on a private queue, using this test's database; tasks sent from here go
    through Redis to it."""
    queue = f"nightly-{uuid.uuid4().hex[:8]}"
    worker = celery_worker_process(
        queue, DATABASE_URL=database_url(), CELERY_TASK_DEFAULT_QUEUE=queue
    )
    conf = app.conf
    saved = conf.task_always_eager, conf.task_default_queue, conf.broker_url
    conf.task_always_eager, conf.task_default_queue, conf.broker_url = False, queue, REDIS_URL
    try:
        yield worker
    finally:
        conf.task_always_eager, conf.task_default_queue, conf.broker_url = saved


def _wait_until_finished(run: PipelineRun, worker: subprocess.Popen) -> PipelineRun:
    # Not a time limit on the work: a bound so that a broken worker fails the test, not CI.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED):
            return run
        if worker.poll() is not None:
            output, _ = worker.communicate()
            pytest.fail(f"the worker died:\n{output}")
        time.sleep(0.5)
    pytest.fail(f"nightly run #{run.pk} still {run.status} with children {_children(run)}")


def _children(run: PipelineRun) -> list[tuple[str, str, str]]:
    return [(c.kind, c.status, c.error) for c in run.children.order_by("pk")]


def _candidate(email: str, headline: str, resume: str, city: str, country: str):
    user = UserFactory(email=email)
    profile, _ = CandidateProfile.objects.update_or_create(
        user=user,
        defaults={
            "headline": headline,
            "resume_text": resume,
            "city": city,
            "country": country,
        },
    )
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"match_digest": DigestFrequency.DAILY}
    )
    return profile


def test_the_nightly_chain_runs_through_a_real_worker_and_mails_each_match_once(
    worker_queue, board_url
):
    call_command("load_skills", verbosity=0)
    Source.objects.create(
        name="Nightly Co on Greenhouse",
        kind=Source.Kind.GREENHOUSE,
        config={"board": "nightlyco", "base_url": board_url},
        schedule=Source.Schedule.DAILY,
    )
    python_dev = _candidate(
        "ada@example.com",
        "Senior Python Backend Engineer",
        "Ada Example, Berlin, Germany. Senior backend engineer, 8 years of Python, Django and "
        "PostgreSQL; built payment services and REST APIs; mentors two engineers.",
        "Berlin",
        "DE",
    )
    nurse = _candidate(
        "grace@example.com",
        "ICU Registered Nurse",
        "Grace Example, Boston, MA, United States. Registered nurse (RN), six years in a "
        "medical ICU, BLS and ACLS certified, happy to work night shifts.",
        "Boston",
        "US",
    )

    first = _wait_until_finished(pipeline_queue(kind=PipelineRun.Kind.NIGHTLY), worker_queue)
    assert first.status == Status.SUCCEEDED, _children(first)
    assert [(kind, status) for kind, status, _ in _children(first)] == [
        ("scrape", Status.SUCCEEDED),
        ("enrich", Status.SUCCEEDED),
        ("match", Status.SUCCEEDED),
        ("send", Status.SUCCEEDED),
    ]
    assert first.progress_done == first.progress_total == 4
    scrape = first.children.get(kind="scrape")
    assert scrape.children.get().source.name == "Nightly Co on Greenhouse"

    jobs = {job.external_id: job for job in Job.objects.filter(status=Job.Status.OPEN)}
    assert set(jobs) == {"7001", "7002"}
    assert ScrapedPosting.objects.filter(gone_at__isnull=True).count() == 2
    assert jobs["7001"].embedding is not None
    python_job = Match.objects.filter(candidate=python_dev).order_by("-score").first()
    nurse_job = Match.objects.filter(candidate=nurse).order_by("-score").first()
    assert python_job.job.external_id == "7001"
    assert nurse_job.job.external_id == "7002"
    assert python_job.explanation and python_job.score_parts

    digests = OutboundEmail.objects.filter(user__in=[python_dev.user, nurse.user])
    assert sorted(digests.values_list("to", flat=True)) == ["ada@example.com", "grace@example.com"]
    unsent = Match.objects.filter(notified_at__isnull=True, candidate__in=[python_dev, nurse])
    assert not unsent.exists()
    emails_after_first = OutboundEmail.objects.count()
    matches_after_first = set(Match.objects.values_list("pk", "candidate_id", "job_id"))

    # The same night again (a retried beat, a redelivered chain): nothing is mailed twice.
    second = _wait_until_finished(pipeline_queue(kind=PipelineRun.Kind.NIGHTLY), worker_queue)
    assert second.status == Status.SUCCEEDED, _children(second)
    assert OutboundEmail.objects.count() == emails_after_first
    assert set(Match.objects.values_list("pk", "candidate_id", "job_id")) == matches_after_first
    assert Job.objects.filter(status=Job.Status.OPEN).count() == 2
    # The board was crawled an hour ago at most: a daily source is not due again tonight.
    assert not second.children.get(kind="scrape").children.exists()
