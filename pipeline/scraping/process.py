"""Run `manage.py crawl` in a child process: Twisted's reactor cannot restart inside a
long-lived worker, so each crawl gets a fresh process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from pipeline.models import PipelineRun, Source
from pipeline.runs import run_finish
from recruitment.database import database_url

logger = logging.getLogger(__name__)

MANAGE_PY = settings.BASE_DIR / "manage.py"


def _child_environment() -> dict[str, str]:
    """This process's environment; DATABASE_URL names the database this process uses (the test
    database or a benchmark's scratch one) when the environment's does not."""
    env = os.environ.copy()
    current = connection.settings_dict["NAME"]
    inherited = env.get("DATABASE_URL", "")
    if not inherited or urlsplit(inherited).path.lstrip("/") != current:
        env["DATABASE_URL"] = database_url(current)
    return env


# A child crawl stops itself after SCRAPE_CRAWL_TIMEOUT; the parent waits this much longer
# before it kills a child that hangs anyway (a lock wait, a stuck DNS lookup).
KILL_GRACE_SECONDS = 300


def crawl_in_subprocess(*, source: Source, run: PipelineRun, timeout: int | None = None) -> int:
    """Crawl `source` into the queued `run` in a child process; return its exit code.

    The child is killed after `timeout` seconds (default: SCRAPE_CRAWL_TIMEOUT plus a grace
    period), or when this process is interrupted (a task's soft time limit). A child that died
    without finishing its run leaves the run failed here, with the reason.
    """
    if timeout is None:
        timeout = settings.SCRAPE_CRAWL_TIMEOUT + KILL_GRACE_SECONDS
    command = [
        sys.executable,
        str(MANAGE_PY),
        "crawl",
        str(source.pk),
        "--run",
        str(run.pk),
        "--no-progress",
    ]
    child = subprocess.Popen(command, env=_child_environment(), cwd=settings.BASE_DIR)
    try:
        code = child.wait(timeout=timeout)
        error = f"the crawl process exited with {code} without finishing the run"
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
        error = f"the crawl was killed after {timeout} s"
        logger.warning("crawl killed after timeout", extra={"run": run.pk, "source": source.pk})
    except BaseException as interrupted:
        child.kill()
        child.wait()
        _fail_unfinished(run, f"the crawl was stopped: {type(interrupted).__name__}")
        raise
    _fail_unfinished(run, error)
    return code


def _fail_unfinished(run: PipelineRun, error: str) -> None:
    run.refresh_from_db()
    if run.status in (PipelineRun.Status.QUEUED, PipelineRun.Status.RUNNING):
        run_finish(run=run, progress=None, error=error)
