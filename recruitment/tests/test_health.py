import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_live_answers_without_touching_dependencies(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_reports_each_check_with_its_time(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    response = client.get("/health/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "storage"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["ms"], float | int)
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_ready_skips_redis_when_none_is_configured(client, settings):
    settings.REDIS_URL = ""
    assert set(client.get("/health/ready").json()["checks"]) == {"database", "storage"}


@pytest.mark.django_db
def test_ready_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["status"] == "error"
    assert response.json()["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_ready_is_503_when_storage_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "private"},
        },
    }
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {
        "status": "error",
        "error": response.json()["checks"]["storage"]["error"],
        "ms": response.json()["checks"]["storage"]["ms"],
    }


def test_ready_is_503_when_the_database_is_unreachable(tmp_path):
    """A real process whose DATABASE_URL points at a closed port answers 503, not 500."""
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/health/ready')\n"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "recruitment.settings",
        "DEBUG": "true",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
        "DB_CONNECT_TIMEOUT": "2",
        "REDIS_URL": "",
        "PRIVATE_MEDIA_ROOT": str(tmp_path),
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["checks"]["database"]["status"] == "error"
    assert answer["body"]["checks"]["storage"]["status"] == "ok"
