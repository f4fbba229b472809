import json
import logging

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import Company
from jobs.apis import JobHitOutput, JobOutput
from jobs.models import Job
from jobs.search import search_jobs
from jobs.tests.factories import JobFactory
from recruitment.api import ApplicationError, CursorPagination, rows_data
from recruitment.logs import JsonFormatter


class _Failing(APIView):
    permission_classes = [IsAuthenticated]
    error: Exception | None = None

    def get(self, request):
        raise self.error


def _call(error, user):
    request = APIRequestFactory().get("/x")
    force_authenticate(request, user=user)
    return _Failing.as_view(error=error)(request)


@pytest.mark.django_db
def test_business_errors_become_409_with_the_envelope(candidate):
    response = _call(ApplicationError("Job is closed.", code="job_not_open"), candidate)
    assert response.status_code == 409
    assert response.data == {
        "error": {"code": "job_not_open", "message": "Job is closed.", "fields": {}}
    }


@pytest.mark.django_db
def test_validation_errors_become_400_with_fields(candidate):
    response = _call(ValidationError({"email": ["Enter a valid email address."]}), candidate)
    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert response.data["error"]["fields"] == {"email": ["Enter a valid email address."]}

    response = _call(serializers.ValidationError({"a": {"b": ["bad"]}}), candidate)
    assert response.data["error"]["fields"] == {"a": {"b": ["bad"]}}

    response = _call(ValidationError("Plain message."), candidate)
    assert response.data["error"]["fields"] == {"non_field_errors": ["Plain message."]}


@pytest.mark.django_db
def test_authentication_errors_keep_the_envelope(api_client):
    response = api_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_users_me_lists_the_users_companies_and_roles(api_client, recruiter, company):
    assert api_client.get("/api/v1/users/me").status_code == 401
    api_client.force_authenticate(recruiter)
    body = api_client.get("/api/v1/users/me").json()
    assert body["email"] == recruiter.email
    assert body["memberships"] == [
        {
            "company_id": company.pk,
            "company": company.name,
            "company_slug": company.slug,
            "role": "recruiter",
        }
    ]


@pytest.mark.django_db
def test_cursor_pagination_sends_a_link_header(superuser):
    for n in range(3):
        Company.objects.create(name=f"C{n}", slug=f"c{n}")

    class CompanyList(APIView):
        permission_classes = [IsAuthenticated]

        def get(self, request):
            paginator = CursorPagination()
            page = paginator.paginate_queryset(Company.objects.all(), request, view=self)
            return paginator.get_paginated_response([c.slug for c in page])

    request = APIRequestFactory().get("/companies", {"page_size": 2})
    force_authenticate(request, user=superuser)
    response = CompanyList.as_view()(request)
    assert response.data["results"] == ["c2", "c1"]
    assert response["Link"].endswith('rel="next"')
    assert response.data["next"] in response["Link"]


@pytest.mark.django_db
def test_openapi_schema_is_served_to_signed_in_users(client, superuser):
    client.force_login(superuser)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/users/me" in response.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Find your next job" in response.content  # the home page is the job board


def test_json_log_lines_carry_extra_fields_and_exceptions():
    record = logging.makeLogRecord(
        {
            "name": "x",
            "levelname": "WARNING",
            "msg": "crawl %s failed",
            "args": ("acme",),
            "source_id": 7,
        }
    )
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "crawl acme failed"
    assert line["level"] == "WARNING"
    assert line["source_id"] == 7
    assert "RuntimeError: boom" in line["exception"]
    assert Response  # DRF's Response is what the handler returns


@pytest.mark.django_db
def test_a_forged_cursor_is_a_400_not_a_500(company, key_client):
    import base64

    client = key_client(company, "pipeline:read")
    for position in ("abc", "1.5", "2024-01-01"):
        cursor = base64.b64encode(f"p={position}".encode()).decode()
        response = client.get("/api/v1/pipeline/runs", {"cursor": cursor})
        assert response.status_code == 400, position
        assert response.json()["error"]["fields"]["cursor"] == ["Not a cursor of this list."]
    assert client.get("/api/v1/pipeline/runs", {"cursor": "é"}).status_code == 400


@pytest.mark.django_db
def test_a_refusal_keeps_the_services_reason(candidate):
    response = _call(PermissionDenied("Only its author edits a note."), candidate)
    assert response.status_code == 403
    assert response.data["error"]["message"] == "Only its author edits a note."


# --- rows_data: one bound output serializer per class --------------------------------------


@pytest.mark.django_db
def test_rows_data_gives_what_drf_gives_for_nested_outputs_and_keeps_a_context():
    JobFactory.create_batch(3, status=Job.Status.OPEN, title="Python Developer")
    jobs = list(Job.objects.select_related("company").order_by("pk"))
    assert rows_data(JobOutput, jobs) == JobOutput(jobs, many=True).data
    assert rows_data(JobOutput, jobs) == JobOutput(jobs, many=True).data  # the bound one again
    hits = search_jobs(query="python").results
    assert len(hits) == 3
    assert rows_data(JobHitOutput, hits) == JobHitOutput(hits, many=True).data

    class Contextual(serializers.Serializer):
        who = serializers.SerializerMethodField()

        def get_who(self, obj):
            return self.context.get("who", "nobody")

    assert rows_data(Contextual, [1], context={"who": "a"}) == [{"who": "a"}]
    assert rows_data(Contextual, [1], context={"who": "b"}) == [{"who": "b"}]
    assert rows_data(Contextual, [1]) == [{"who": "nobody"}]
