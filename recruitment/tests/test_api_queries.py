"""No N+1 in the lists the per-resource tests leave out: each costs as many queries for six
rows as for one (the resource files check jobs, applications, candidates, hiring, webhooks
and matches the same way)."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Stage
from applications.services import application_move, application_submit
from applications.tests.factories import _document
from jobs.tests.factories import JobFactory
from pipeline.tests.factories import _run


def _count(client, path: str) -> tuple[int, int]:
    """(rows answered, on the first page of a paged list; queries the request took)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    return len(body["results"] if isinstance(body, dict) else body), len(queries)


def _same_queries(client, path: str, add_one: Callable[[], object]) -> None:
    add_one()
    _count(client, path)  # a key's first request also records when it was last used
    rows, one = _count(client, path)
    assert rows >= 1
    for _ in range(5):
        add_one()
    more_rows, six = _count(client, path)
    assert more_rows == rows + 5
    assert six == one


@pytest.mark.django_db
def test_documents(superuser, api_client):
    api_client.force_login(superuser)
    _same_queries(api_client, "/api/v1/documents", _document)


@pytest.mark.django_db
def test_pipeline_runs(key_client, company):
    _same_queries(key_client(company, "pipeline:read"), "/api/v1/pipeline/runs", _run)


@pytest.mark.django_db
def test_an_applications_stage_history(key_client, company, candidate, recruiter):
    application = application_submit(
        job=JobFactory(company=company), candidate=candidate, consent_processing=True
    )
    stages = iter(
        Stage.objects.filter(company=company)
        .exclude(kind__in=[Stage.Kind.HIRED, Stage.Kind.REJECTED])
        .order_by("position")[1:]
    )
    client = key_client(company, "applications:read")
    path = f"/api/v1/applications/{application.pk}/stages"
    _count(client, path)
    rows, one = _count(client, path)
    moved = 0
    for stage in stages:
        application_move(application=application, stage=stage, actor=recruiter)
        moved += 1
    assert moved >= 2
    more_rows, more = _count(client, path)
    assert more_rows == rows + moved
    assert more == one
