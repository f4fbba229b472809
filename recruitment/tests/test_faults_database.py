"""Database faults under load (issue 9), on the real stack: gunicorn with threaded workers, a
Celery worker and a Redis of the test's own, against the test database on the embedded
PostgreSQL server. Nothing of ours is mocked.

The first test restarts that server in the middle of 60 s of traffic from 20 clients: requests
may fail while it is down, none may fail from 2 s after it is back, no process of the stack may
be restarted to get there, and no error answer may show how the site is built. The second sends
10,000 requests and 1,000 tasks and counts the server's connections: a request or a task that
leaves one behind shows up as a count above the warmed-up baseline.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psutil
import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from accounts.mail import email_build
from accounts.models import OutboundEmail
from accounts.services import api_key_create
from accounts.tests.factories import CompanyFactory
from jobs.tests.factories import JobFactory
from recruitment import embedded_db
from recruitment.celery import app
from recruitment.database import database_url
from recruitment.tests.stack import (
    ROOT,
    Gunicorn,
    Process,
    RedisServer,
    celery_worker,
    stack_env,
    tail,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

WORKERS, THREADS = 2, 5  # gunicorn's: 10 request threads, so up to 10 connections of the web
CLIENTS = 20  # concurrent HTTP clients, twice the threads: requests queue as under real load
LOAD_SECONDS = 60
RESTART_AFTER = 15  # seconds of load before the server stops
DOWN_SECONDS = 4  # how long it stays down
RECOVERY = 2.0  # seconds after the server accepts connections again that errors may go on
LEAK_REQUESTS = 10_000
LEAK_TASKS = 1_000
TASK = "accounts.outbox_send"  # reads and writes the outbox: a task that needs the database

# What an error answer must not show: a traceback, a source path, SQL, the driver, an
# exception's class name.
REVEALING = re.compile(
    rb"Traceback|File \"|\.py\b|site-packages|"
    + re.escape(str(ROOT).encode())
    + rb"|psycopg|\b(SELECT|INSERT|UPDATE|DELETE)\b|\w+(Error|Exception)\b"
)


# --- The stack --------------------------------------------------------------------------------


def _embedded_only() -> None:
    """Skip unless the test database is on the embedded server, the one these tests may stop."""
    db = settings.DATABASES["default"]
    ours = db.get("HOST") or db.get("OPTIONS", {}).get("host") or ""
    embedded = parse_qs(urlparse(embedded_db.database_url()).query)["host"][0]
    if ours != embedded:
        pytest.skip(
            f"the test database is on {ours or 'localhost'} (DATABASE_URL), not on the embedded "
            f"PostgreSQL in {embedded_db.pgdata_dir()} that this test restarts"
        )


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """The manifest of static files that pages need with DEBUG off, as a deployment has; only
    the site's own files (the admin's and the API docs' would take 40 s to compress)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0",
         "-i", "admin", "-i", "drf_spectacular_sidecar", "-i", "rest_framework"],
        cwd=ROOT,
        env=stack_env(STATIC_ROOT=str(root)),
        check=True,
        timeout=300,
    )  # fmt: skip
    return root


@dataclass
class Stack:
    redis: RedisServer
    web: Gunicorn
    worker: Process

    def pids(self) -> dict[str, object]:
        """The processes serving, None for one that exited: a restart changes a pid."""
        web = self.web.alive()
        return {
            "gunicorn": self.web.pid if web else None,
            "gunicorn workers": sorted(c.pid for c in psutil.Process(self.web.pid).children())
            if web
            else None,
            "celery worker": self.worker.pid if self.worker.alive() else None,
        }

    def logs(self) -> str:
        return "\n".join(
            f"--- {process.log.name}\n{tail(process.log)}" for process in (self.web, self.worker)
        )

    def send_tasks(self, count: int) -> list[str]:
        """Queue `count` runs of TASK on the stack's broker; return their ids. send_task puts
        them on the broker even though this process runs its own tasks eagerly (it warns that
        it does: see pytestmark)."""
        with app.connection_for_write(self.redis.url) as broker:
            return [
                app.send_task(TASK, connection=broker, ignore_result=True).id for _ in range(count)
            ]

    def tasks_done(self, ids: list[str]) -> Counter[str]:
        """How the worker ended each of `ids`, from its log: succeeded, raised, ..."""
        wanted = set(ids)
        ends: Counter[str] = Counter()
        for line in self.worker.log.read_text(errors="replace").splitlines():
            found = re.search(rf"Task {re.escape(TASK)}\[([0-9a-f-]+)\] (\w+)", line)
            if found and found[1] in wanted and found[2] != "received":
                ends[found[2]] += 1
        return ends


@contextlib.contextmanager
def stack_running(tmp_path: Path, static_root: Path) -> Iterator[Stack]:
    redis = RedisServer(tmp_path)
    web = worker = None
    try:
        env = stack_env(
            DATABASE_URL=database_url(),
            REDIS_URL=redis.url,
            EMAIL_URL=f"filemail:///{tmp_path / 'mail'}",  # four slashes: an absolute path
            STATIC_ROOT=str(static_root),
            API_RATE_LIMIT="100000000/minute",  # the load is one key's; not a test of limits
        )
        web = Gunicorn(tmp_path, env, workers=WORKERS, threads=THREADS)
        worker = celery_worker(tmp_path, env)
        wait_for(
            lambda: " ready." in worker.log.read_text(errors="replace") if worker.alive() else None,
            f"the Celery worker ready (log: {worker.log})",
        )
        stack = Stack(redis, web, worker)
        try:
            yield stack
        except BaseException:
            print(stack.logs())  # pytest shows a failed test's output
            raise
    finally:
        for process in (web, worker, redis):
            if process is not None:
                process.stop()


# --- The load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    expected: int  # the status when all is well


@dataclass(frozen=True)
class Sent:
    kind: str
    start: float  # time.monotonic()
    end: float
    status: int  # 0: no answer (refused, reset)
    expected: int
    body: bytes  # error answers only

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500


def traffic(company) -> list[Callable[[], Request]]:
    """What clients of the site do that reads or writes the database: the partner API (list
    jobs and applications, submit candidates), the readiness probe, the job board and a job's
    page. Each call of an item makes one request; submits are of new candidates."""
    jobs = [JobFactory(company=company) for _ in range(3)]
    _, token = api_key_create(
        company=company,
        name="load",
        scopes=["jobs:read", "applications:read", "applications:write"],
        actor=None,
    )
    auth = {"Authorization": f"Bearer {token}"}
    serial = itertools.count()

    def get(kind: str, path: str, headers: dict[str, str] | None = None):
        return lambda: Request(kind, "GET", path, None, headers or {}, 200)

    def submit() -> Request:
        n = next(serial)
        body = {
            "job": jobs[n % len(jobs)].pk,
            "email": f"load-{n}-{uuid.uuid4().hex[:6]}@example.org",
            "full_name": f"Load Candidate {n}",
            "consent_processing": True,
        }
        headers = {**auth, "Content-Type": "application/json"}
        return Request("api submit", "POST", "/api/v1/applications", json.dumps(body).encode(),
                       headers, 201)  # fmt: skip

    return [
        get("api jobs", "/api/v1/jobs", auth),
        get("api applications", "/api/v1/applications", auth),
        submit,
        get("ready", "/health/ready"),
        get("board", "/jobs/"),
        get("job page", jobs[0].get_absolute_url()),
    ]


def load(
    web: Gunicorn,
    mix: list[Callable[[], Request]],
    *,
    seconds: float | None = None,
    total: int | None = None,
) -> list[Sent]:
    """CLIENTS threads, each sending one request after another (a new connection each, through
    the mix from its own place), until `seconds` have passed or `total` requests were sent."""
    deadline = time.monotonic() + seconds if seconds is not None else None
    tickets = itertools.count()
    sent: list[Sent] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        mine = []
        for n in itertools.count(offset):
            if deadline is not None and time.monotonic() >= deadline:
                break
            if total is not None and next(tickets) >= total:
                break
            request = mix[n % len(mix)]()
            start = time.monotonic()
            status, body = web.request(request.method, request.path, request.body,
                                       request.headers)  # fmt: skip
            error = status == 0 or status >= 400
            mine.append(Sent(request.kind, start, time.monotonic(), status, request.expected,
                             body if error else b""))  # fmt: skip
        with lock:
            sent.extend(mine)

    clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()  # every request ends: the client's timeout is 60 s
    return sorted(sent, key=lambda s: s.start)


def revealing(sent: list[Sent]) -> list[tuple[str, int, bytes]]:
    """Error answers that show internals (status 0 has no answer: its text is our client's)."""
    return [
        (s.kind, s.status, s.body[:300])
        for s in sent
        if s.status >= 400 and REVEALING.search(s.body)
    ]


def server_backends() -> int:
    """Connections to the test database, other than this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def backends_settled(most: int, *, seconds: float = 10) -> int:
    """The count of server_backends() once it is at most `most`, or after `seconds`: a server
    process leaves pg_stat_activity a moment after its client closed, a leaked one stays."""
    deadline = time.monotonic() + seconds
    while (count := server_backends()) > most and time.monotonic() < deadline:
        time.sleep(0.1)
    return count


# --- Restart ----------------------------------------------------------------------------------


@dataclass
class Restart:
    stopping: float = 0.0  # when `pg_ctl stop` was called
    stopped: float = 0.0  # when it returned
    up: float = 0.0  # when the server first accepted a connection again


def restart_server(restart: Restart) -> None:
    """Stop the embedded server (fast: clients are cut off), keep it down DOWN_SECONDS, start
    it again; `restart.up` is when a new connection first succeeds, seen by polling."""
    url = database_url()
    restart.stopping = time.monotonic()
    assert embedded_db.stop(), "the embedded PostgreSQL was not running"
    restart.stopped = time.monotonic()

    def poll() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                psycopg.connect(url, connect_timeout=1).close()
            except psycopg.OperationalError:
                time.sleep(0.05)
            else:
                restart.up = time.monotonic()
                return

    # A fast stop still writes a checkpoint, which can take seconds under load: count the
    # time down from the stop's start.
    time.sleep(max(0.0, restart.stopping + DOWN_SECONDS - time.monotonic()))
    poller = threading.Thread(target=poll)
    poller.start()
    embedded_db.start()
    poller.join()
    assert restart.up, "the restarted server accepted no connection within 60 s"


def test_a_database_restart_under_load_fails_only_requests_made_while_it_is_down(
    tmp_path, static_root
):
    _embedded_only()
    started = time.monotonic()
    with stack_running(tmp_path, static_root) as stack:
        mix = traffic(CompanyFactory())
        load(stack.web, mix, total=4 * CLIENTS)  # every thread has answered before we watch
        before = stack.pids()

        restart = Restart()
        sent: list[Sent] = []
        queued: list[tuple[float, str]] = []  # (when, task id)
        loader = threading.Thread(
            target=lambda: sent.extend(load(stack.web, mix, seconds=LOAD_SECONDS))
        )

        def feed() -> None:
            """A task that needs the database five times a second, outage or not."""
            while loader.is_alive():
                queued.append((time.monotonic(), *stack.send_tasks(1)))
                time.sleep(0.2)

        feeder = threading.Thread(target=feed)
        loader.start()
        feeder.start()
        try:
            time.sleep(RESTART_AFTER)
            restart_server(restart)
        finally:
            if not embedded_db.is_running():
                embedded_db.start()  # never leave the other tests without their server
            # This process's connection died with the server: the next query makes a new one.
            connections.close_all()
            loader.join()
            feeder.join()

        # An email written now is sent by the same worker, which reconnected on its own.
        email = email_build(
            to="after-restart@example.org",
            kind="fault.test",
            subject="After the restart",
            body_text="Sent by a worker that lived through a database restart.",
            dedupe_key=f"fault-test-{uuid.uuid4().hex}",
        )
        email.save()
        queued.append((time.monotonic(), *stack.send_tasks(1)))
        ids = [task_id for _, task_id in queued]
        wait_for(
            lambda: sum(stack.tasks_done(ids).values()) == len(ids),
            f"the worker through the {len(ids)} tasks queued during the load",
        )
        email.refresh_from_db()
        after = stack.pids()
        logs = stack.logs()

    recovered = restart.up + RECOVERY

    def in_outage(s: Sent) -> bool:
        return s.end >= restart.stopping and s.start < recovered

    during = [s for s in sent if in_outage(s)]
    outside = [s for s in sent if not in_outage(s)]
    wrong = [(s.kind, s.status, round(s.start - restart.stopping, 2), s.body[:200])
             for s in outside if s.status != s.expected]  # fmt: skip
    failed = [s for s in during if s.failed]
    # A wrong answer that is not an error (a 404 for a job the site could not read, a 401 for
    # a key it could not check) would tell clients something false.
    misleading = [(s.kind, s.status) for s in during if s.status != s.expected and not s.failed]
    examples = {s.status: s.body[:120] for s in failed}
    tasks_before = stack.tasks_done([i for t, i in queued if t < restart.stopping])
    tasks_during = stack.tasks_done([i for t, i in queued if restart.stopping <= t < recovered])
    tasks_after = stack.tasks_done([i for t, i in queued if t >= recovered])
    print(
        f"\ndatabase restart: {len(sent)} requests in {LOAD_SECONDS} s from {CLIENTS} clients "
        f"({dict(Counter(s.kind for s in sent))}); server down "
        f"{restart.up - restart.stopping:.1f} s (stop took {restart.stopped - restart.stopping:.1f}"
        f" s); {len(during)} requests overlapped the outage and its {RECOVERY:.0f} s of grace, "
        f"{len(failed)} of them failed ({dict(Counter((s.kind, s.status) for s in failed))}), "
        f"the last ending {max((s.end - restart.up for s in failed), default=0):+.1f} s from the "
        f"server's return; {len(outside)} outside it, {len(wrong)} of them not as expected; "
        f"tasks queued before the outage {dict(tasks_before)}, in it {dict(tasks_during)}, "
        f"after it {dict(tasks_after)}; test wall time {time.monotonic() - started:.0f} s; "
        f"error answers, e.g. {examples}"
    )

    assert failed, "no request failed: the restart did not reach the site"
    assert not wrong, f"answers outside the outage were not as expected: {wrong[:10]}\n{logs}"
    assert not misleading, f"answers in the outage neither right nor errors: {misleading[:10]}"
    assert sum(s.start >= recovered for s in sent) > 10 * CLIENTS, "too little load after it"
    assert not revealing(sent), f"error answers showing internals: {revealing(sent)[:5]}"
    # The partner API answers in its own shape, as a 503 a client may retry.
    api_errors = [s for s in failed if s.kind.startswith("api") and s.status]
    assert api_errors and all(
        s.status == 503 and json.loads(s.body)["error"]["code"] == "service_unavailable"
        for s in api_errors
    ), [(s.kind, s.status, s.body[:100]) for s in api_errors[:5]]
    assert after == before, f"a process of the stack was restarted: {before} -> {after}\n{logs}"
    assert set(tasks_after) == {"succeeded"}, f"tasks after the outage: {tasks_after}\n{logs}"
    assert email.status == OutboundEmail.Status.SENT, (email.status, email.last_error, logs)


def test_connections_return_to_their_baseline_after_10000_requests_and_1000_tasks(
    tmp_path, static_root
):
    started = time.monotonic()
    mix = traffic(CompanyFactory())
    at_rest = server_backends()
    with stack_running(tmp_path, static_root) as stack:
        # A connection per request thread, kept for CONN_MAX_AGE. The worker's is not counted:
        # Celery closes it after each task, so it holds one only while a task runs.
        threads = WORKERS * THREADS

        def warmed() -> bool:
            load(stack.web, mix, total=2 * CLIENTS)
            return server_backends() >= at_rest + threads

        wait_for(warmed, f"a connection held by each of the {threads} request threads", every=0)
        baseline = server_backends()

        ids = stack.send_tasks(LEAK_TASKS)
        sent = load(stack.web, mix, total=LEAK_REQUESTS)
        # The queue is first in, first out: when this last task has run, so have the others,
        # the 1,000 and those the submits queued.
        ids += stack.send_tasks(1)
        wait_for(
            lambda: sum(stack.tasks_done(ids).values()) == len(ids),
            f"the worker through {len(ids)} tasks",
            seconds=300,
        )
        ends = stack.tasks_done(ids)
        after_load = backends_settled(baseline)
        logs = stack.logs()
    after_stop = backends_settled(at_rest, seconds=30)

    wrong = Counter((s.kind, s.status) for s in sent if s.status != s.expected)
    print(
        f"\nconnection leaks: {len(sent)} requests ({dict(Counter(s.kind for s in sent))}), "
        f"{len(ids)} tasks ({dict(ends)}); connections to the test database: {at_rest} at rest, "
        f"{baseline} warmed up, {after_load} after the load, {after_stop} after the stack stopped; "
        f"test wall time {time.monotonic() - started:.0f} s"
    )

    assert len(sent) == LEAK_REQUESTS
    assert not wrong, f"answers not as expected: {dict(wrong)}\n{logs}"
    assert ends == {"succeeded": LEAK_TASKS + 1}, f"{dict(ends)}\n{logs}"
    assert after_load <= baseline, f"leaked: {baseline} -> {after_load}\n{logs}"
    assert after_stop == at_rest
