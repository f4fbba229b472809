"""Fixtures shared by every app's tests: real PostgreSQL, real Redis, real files."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import (
    CandidateProfileFactory,
    CompanyFactory,
    MembershipFactory,
    UserFactory,
)

# The browser tests' chromium fixture (`browser`).
pytest_plugins = ["recruitment.tests.browser"]

# The test suite's Redis: database 15, kept apart from development.
TEST_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Keep uploaded and health-check files of each test in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing a password the production way costs a test user up to a second; these tests
    are not about the hash (production keeps Django's default hashers)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _match_vectors_read_at_every_search(settings):
    """A test's jobs change between searches: the in-memory copy must not lag behind them."""
    settings.MATCH_MEMORY_MAX_AGE = 0


@pytest.fixture(autouse=True)
def _no_api_keys_kept_between_tests():
    from accounts.services import api_keys_forget

    api_keys_forget()


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def other_company(db):
    return CompanyFactory()


def _member(company, role):
    return MembershipFactory(company=company, role=role).user


@pytest.fixture
def owner(company):
    return _member(company, Role.OWNER)


@pytest.fixture
def company_admin(company):
    return _member(company, Role.ADMIN)


@pytest.fixture
def recruiter(company):
    return _member(company, Role.RECRUITER)


@pytest.fixture
def hiring_manager(company):
    return _member(company, Role.HIRING_MANAGER)


@pytest.fixture
def interviewer(company):
    return _member(company, Role.INTERVIEWER)


@pytest.fixture
def candidate(db):
    return CandidateProfileFactory().user


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def key_client(db):
    """`key_client(company, "jobs:read", ...)`: an APIClient sending a new API key of
    `company` with those scopes (`client.api_key` is the ApiKey)."""
    from accounts.services import api_key_create

    def make(company, *scopes: str) -> APIClient:
        api_key, token = api_key_create(
            company=company, name=f"key {uuid.uuid4().hex[:8]}", scopes=list(scopes), actor=None
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.api_key = api_key
        return client

    return make


@pytest.fixture
def admin_client_(client, superuser):
    """A test client logged in to the admin as a superuser."""
    client.force_login(superuser)
    return client


@pytest.fixture
def celery_worker_process():
    """Start real Celery workers (`celery -A recruitment worker --pool solo`) on a private
    queue against the real Redis: `start(queue, **env)` returns the process; each is stopped
    after the test."""
    root = Path(__file__).resolve().parent
    workers = []

    def start(queue: str, **env: str) -> subprocess.Popen:
        environment = {
            **os.environ,
            "DEBUG": "true",
            "REDIS_URL": TEST_REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **env,
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "recruitment",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "warning",
                "--hostname",
                f"{queue}@%h",
            ],
            cwd=root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.terminate()
        try:
            worker.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.communicate()
