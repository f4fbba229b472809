"""Bad configuration gives one clear line; production settings pass `check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_with_debug_off_is_one_clear_line():
    result = _manage("check", DEBUG="false", SECRET_KEY="")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: SECRET_KEY is required when DEBUG is off: set SECRET_KEY "
        "(50+ random characters) or DEBUG=true for development"
    ]


def test_unreachable_database_is_one_clear_line():
    result = _manage(
        "migrate",
        DEBUG="true",
        DATABASE_URL="postgresql://app@127.0.0.1:1/recruitment",
        DB_CONNECT_TIMEOUT="2",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("database error: cannot use database 'recruitment' at 127.0.0.1:1")


def test_unknown_storage_backend_is_one_clear_line():
    result = _manage("check", DEBUG="true", STORAGE_BACKEND="floppy")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: STORAGE_BACKEND must be 'filesystem' or 's3', not 'floppy'"
    )


def test_check_deploy_is_clean_with_production_variables():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="jobs.example.com",
        DATABASE_URL="postgresql://app:secret@db.internal:5432/recruitment",
        REDIS_URL="redis://redis.internal:6379/0",
        ANYMAIL_WEBHOOK_SECRET="postmark:" + secrets.token_urlsafe(24),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_when_the_email_webhooks_have_no_secret():
    result = _manage(
        "check",
        "--deploy",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="jobs.example.com",
        DATABASE_URL="postgresql://app:secret@db.internal:5432/recruitment",
    )
    assert "accounts.W001" in result.stderr + result.stdout
    assert "ANYMAIL_WEBHOOK_SECRET is not set" in result.stderr + result.stdout
