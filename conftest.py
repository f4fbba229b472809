"""Fixtures shared by every app's tests: real PostgreSQL, real Redis, real files."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import (
    CandidateProfileFactory,
    CompanyFactory,
    MembershipFactory,
    UserFactory,
)


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
def admin_client_(client, superuser):
    """A test client logged in to the admin as a superuser."""
    client.force_login(superuser)
    return client
