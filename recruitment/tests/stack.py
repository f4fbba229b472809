"""The real stack for the fault tests (issue 9), on 127.0.0.1: a Redis server of the test's own
(so it can be killed), gunicorn, Celery workers and beat, and an SMTP server (aiosmtpd) that
records what it receives.

Each part is a context manager that starts a real process (or, for SMTP, a server thread) and
stops it on the way out; their output goes to files under the test's tmp_path, shown when a
test fails. Nothing here mocks our own code.
"""

from __future__ import annotations

import contextlib
import email
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, what, *, seconds: float = 60, every: float = 0.1):
    """Call `check` until it returns something truthy; fail with `what` (a text, or a function
    giving one then) after `seconds`: a bound so that a broken part fails the test instead of
    hanging CI, not a time limit on the work."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            what = what() if callable(what) else what
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(every)


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Process:
    """A child process with its output in `log`; `kill()` is kill -9, `stop()` is graceful."""

    def __init__(self, argv: list[str], *, log: Path, env: dict[str, str] | None = None):
        self.argv, self.log, self.env = argv, log, env
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # kill() reaches the whole group (gunicorn's workers)
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9, of the process and its children, as a crash or the OOM killer would."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


class RedisServer(Process):
    """redis-server on a port of its own, keeping nothing on disk (like this machine's)."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        super().__init__(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(tmp),
            ],
            log=tmp / "redis.log",
        )  # fmt: skip

    def start(self) -> None:
        super().start()
        wait_for(lambda: port_open(self.port), "redis-server answering", seconds=20)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def stack_env(**extra: str) -> dict[str, str]:
    """The environment of the processes we start: production settings (DEBUG off) with the
    test's database, broker and mail server given in `extra`."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "fault-tests-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class Gunicorn(Process):
    """gunicorn serving recruitment.wsgi with threaded workers; ready when /health/live
    answers."""

    def __init__(self, tmp: Path, env: dict[str, str], *, workers: int = 2, threads: int = 5):
        self.port = free_port()
        super().__init__(
            [
                str(BIN / "gunicorn"),
                "recruitment.wsgi",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers),
                "--threads", str(threads),
                "--worker-class", "gthread",
                "--timeout", "60",
                "--graceful-timeout", "10",
                "--no-control-socket",  # else every gunicorn claims ~/.gunicorn/gunicorn.ctl
            ],
            log=tmp / "gunicorn.log",
            env=env,
        )  # fmt: skip
        wait_for(
            lambda: self.request("GET", "/health/live")[0] == 200 if self.alive() else None,
            f"gunicorn answering (log: {tail(self.log)})",
        )

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        """One HTTP request on a new connection; (0, error text) when none could be made."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        except OSError as exc:
            return 0, str(exc).encode()
        finally:
            conn.close()


def celery(tmp: Path, env: dict[str, str], name: str, *args: str) -> Process:
    """`celery -A recruitment <args>` (a worker or beat), its output in tmp/<name>.log."""
    return Process(
        [sys.executable, "-m", "celery", "-A", "recruitment", *args],
        log=tmp / f"{name}.log",
        env=env,
    )


def celery_worker(tmp: Path, env: dict[str, str], name: str = "worker") -> Process:
    return celery(
        tmp,
        env,
        name,
        "worker",
        "--pool", "solo",
        "--without-gossip",
        "--without-mingle",
        "--loglevel", "info",
        "--hostname", f"{name}-{os.getpid()}@%h",
    )  # fmt: skip


def celery_beat(tmp: Path, env: dict[str, str]) -> Process:
    """celery-beat reading its schedule from the database (django-celery-beat), as deployed."""
    return celery(
        tmp,
        env,
        "beat",
        "beat",
        "--loglevel", "info",
        "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
    )  # fmt: skip


@dataclass
class Received:
    """What the SMTP server got: each message's recipients and subject, in order."""

    messages: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    sessions: int = 0  # MAIL FROM commands seen (a send begun)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpts, _ in self.messages for rcpt in rcpts)


class _Handler:
    def __init__(self, received: Received, hold: threading.Event):
        self.received, self.hold = received, hold

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        import asyncio

        with self.received.lock:
            self.received.sessions += 1
        while not self.hold.is_set():  # a stalled provider: the sender waits here
            await asyncio.sleep(0.05)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content)
        with self.received.lock:
            self.received.messages.append(
                (tuple(rcpt.lower() for rcpt in envelope.rcpt_tos), str(message["Subject"]))
            )
        return "250 Message accepted for delivery"


@dataclass
class Deliveries:
    """What the webhook receiver got: (webhook-id header, parsed body) in order."""

    received: list[tuple[str, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> Counter[str]:
        with self.lock:
            return Counter(event_id for event_id, _ in self.received)


@contextlib.contextmanager
def webhook_receiver() -> Iterator[tuple[str, Deliveries]]:
    """A partner's endpoint on 127.0.0.1 that takes every delivery (204): yields its URL and
    what it received."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    deliveries = Deliveries()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with deliveries.lock:
                deliveries.received.append((self.headers.get("webhook-id", ""), json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", deliveries
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, Received, threading.Event]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1: yields (port, what it received, the event
    that lets senders past MAIL FROM; set by default, clear it to stall every send)."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    received, hold = Received(), threading.Event()
    hold.set()
    controller = Controller(_Handler(received, hold), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, received, hold
    finally:
        hold.set()
        controller.stop()
