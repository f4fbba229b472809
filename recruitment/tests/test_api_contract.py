"""Contract tests: schemathesis drives every operation of our OpenAPI schema through WSGI.

Each operation gets a modest number of generated requests (CONTRACT_EXAMPLES, 8 by default;
raise it locally for a deeper run) with an API key holding every scope, on a company with a
job, an application and a member. Checks: no server error, documented auth is enforced
(`ignored_auth`), and, in the stateful run that chains operations through the schema's
inferred links, a deleted object stays gone (`use_after_free`).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, use_after_free

from accounts.models import Role
from accounts.services import API_KEY_SCOPES, api_key_create
from accounts.tests.factories import MembershipFactory
from applications.tests.factories import ApplicationFactory
from jobs.tests.factories import JobFactory
from recruitment.wsgi import application

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "8"))
CHECKS = [not_a_server_error, ignored_auth, use_after_free]


# Loading the schema asks the app for /api/schema/, which reads no table.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def contract(credentials):
    # Like Django's test client: requests must not close the test's connection (and so its
    # transaction) when they finish.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


_token: dict[str, str] = {}


@schema.auth(refresh_interval=None, retry_on=[])
class _CompanyKey:
    """Every generated request carries the current test's key (a fresh one per test)."""

    def get(self, case, context):
        return _token.get("value", "none.none")  # asked once at collection, before any test

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def credentials(company):
    MembershipFactory(company=company, role=Role.RECRUITER)
    job = JobFactory(company=company, status="open")
    ApplicationFactory(job=job)
    _, token = api_key_create(
        company=company, name="contract", scopes=sorted(API_KEY_SCOPES), actor=None
    )
    _token["value"] = token
    # The key really opens the API, so the checks see authenticated answers, not only 401s.
    answer = Client().get("/api/v1/pipeline/runs", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200
    yield
    _token.clear()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_without_server_errors_and_enforces_auth(case, contract):
    case.call_and_validate(checks=CHECKS)


def test_chained_operations_never_use_a_deleted_object(contract):
    class Workflow(schema.as_state_machine()):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES * 3,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
