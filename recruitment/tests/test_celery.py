"""A real Celery worker against the real Redis on 127.0.0.1:6379."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django_celery_beat.models import PeriodicTask

from recruitment.celery import app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter at the project's root; it must exit 0."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def test_celery_is_configured_for_reliable_delivery():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.django_db
def test_every_scheduled_task_installed_by_migrations_is_a_registered_task():
    app.loader.import_default_modules()
    scheduled = dict(PeriodicTask.objects.values_list("name", "task"))

    assert {
        "applications.interview_reminders_send",
        "applications.scorecard_reminders_send",
    } <= set(scheduled.values())
    unknown = {name: task for name, task in scheduled.items() if task not in app.tasks}
    assert unknown == {}


def test_ping_runs_in_process_when_eager():
    result = app.tasks["recruitment.ping"].apply(args=["hello"]).get()
    assert result["payload"] == "hello"


def test_a_task_round_trips_through_a_real_worker_and_redis(celery_worker_process):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = celery_worker_process(queue)
    env = {
        **os.environ,
        "DEBUG": "true",
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    client = (
        "import sys\n"
        "from recruitment.celery import app\n"
        f"result = app.tasks['recruitment.ping'].apply_async(args=['round-trip'], queue='{queue}')\n"
        "answer = result.get(timeout=90)\n"
        "print(answer['payload'], answer['pid'])\n"
    )
    result = _run_python(client, env)
    payload, pid = result.stdout.split()
    assert payload == "round-trip"
    assert int(pid) == worker.pid  # answered by the worker process, not in the client


def test_a_task_queued_on_commit_with_the_broker_down_does_not_fail_the_caller():
    # The work was stored; the kick that queues its task is what fails (its sweeper does the
    # work later). Nothing listens on port 1, as when Redis is down: the caller must carry on
    # after the commit (Celery's own delay_on_commit raised there), and the error is logged.
    env = {
        **os.environ,
        "DEBUG": "true",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    client = (
        "import django, logging, os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'recruitment.settings')\n"
        "django.setup()\n"
        "logging.basicConfig(level=logging.ERROR)\n"
        "from django.db import transaction\n"
        "from recruitment.celery import app\n"
        "with transaction.atomic():\n"
        "    app.tasks['recruitment.ping'].delay_on_commit('after the commit')\n"
        "print('carried on')\n"
    )
    result = _run_python(client, env)
    assert result.stdout.strip() == "carried on"
    assert "Error calling" in result.stderr and "in on_commit()" in result.stderr
