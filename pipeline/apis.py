"""The pipeline in the partner API: queue a stage (or the nightly chain) and watch runs, and
the matches it makes.

Runs: for staff with the pipeline run permissions the admin asks for, or API keys with the
`pipeline:write` scope (`pipeline:read` to watch). Matches: a job's best candidates for
members with `matches.view` in the job's company (a hiring manager: of the jobs whose hiring
team they are on) or its keys with `matches:read`; a signed-in
candidate's best open jobs for that candidate alone.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.partner_api import PartnerApi, errors
from accounts.permissions import CompanyPermission, StaffOrKeyScope, person_of, scope_queryset
from jobs.selectors import JOB_ROLE_LIMITS
from pipeline.matching.selectors import candidate_matches, job_matches, match_jobs
from pipeline.models import Match, PipelineRun, Source
from pipeline.orchestration import pipeline_queue
from pipeline.selectors import runs_list
from recruitment.api import (
    CursorPagination,
    page_example,
    page_response,
    paged_schema,
    query_filters,
)


class PipelineRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    source = serializers.IntegerField(source="source_id", allow_null=True)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField(allow_null=True)
    stats = serializers.DictField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class _PipelineApi(PartnerApi):
    permission_classes = [
        StaffOrKeyScope.require(
            "pipeline",
            read_perm="pipeline.view_pipelinerun",
            write_perm="pipeline.add_pipelinerun",  # what the admin's "run now" asks for
        )
    ]


class PipelineRunListApi(_PipelineApi):
    class Filters(serializers.Serializer):
        kind = serializers.ChoiceField(choices=PipelineRun.Kind.choices, required=False)
        status = serializers.ChoiceField(choices=PipelineRun.Status.choices, required=False)
        updated_after = serializers.DateTimeField(required=False)

    @extend_schema(
        summary="Pipeline runs, newest first",
        description="Runs with their progress (done/total, updated while they work), counts "
        "and errors. Filter by `kind`, `status` and `updated_after` (ISO 8601).",
        parameters=[Filters],
        responses={200: PipelineRunOutput(many=True), **errors(400)},
    )
    def get(self, request):
        filters = self.Filters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return page_response(self, request, runs_list(**filters.validated_data), PipelineRunOutput)


class PipelineRunDetailApi(_PipelineApi):
    @extend_schema(
        summary="One pipeline run",
        responses={200: PipelineRunOutput, **errors(404)},
    )
    def get(self, request, pk: int):
        run = get_object_or_404(PipelineRun.objects.all(), pk=pk)
        return Response(PipelineRunOutput(run).data)


class PipelineStageApi(_PipelineApi):
    class Input(serializers.Serializer):
        source = serializers.PrimaryKeyRelatedField(
            queryset=Source.objects.all(),
            required=False,
            help_text="Scrape only: crawl this source now (default: every source due).",
        )

    @extend_schema(
        summary="Queue a pipeline stage or the nightly chain",
        description="Queues `scrape`, `enrich`, `match`, `send` or `nightly` for the workers and "
        "answers 202 with the queued run; poll the run for progress.",
        request=Input,
        responses={202: PipelineRunOutput, **errors(400)},
    )
    def post(self, request, stage: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        source = data.validated_data.get("source")
        if source is not None and stage != PipelineRun.Kind.SCRAPE:
            raise serializers.ValidationError({"source": ["Only a scrape run has a source."]})
        person = request.user if request.user.pk is not None else None
        run = pipeline_queue(kind=stage, source=source, triggered_by=person)
        return Response(PipelineRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


# --- Matches ------------------------------------------------------------------------------------


class MatchPagination(CursorPagination):
    """Best first, `limit` (1-100) at a time."""

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = ("-score", "-id")


class MatchFilters(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=100, help_text="Matches per page (default 20)."
    )
    cursor = serializers.CharField(
        required=False, help_text="The `next` link's cursor, to read the following page."
    )
    min_score = serializers.FloatField(
        required=False, min_value=0, max_value=1, help_text="Only matches scoring at least this."
    )
    status = serializers.ChoiceField(choices=Match.Status.choices, required=False)
    updated_after = serializers.DateTimeField(
        required=False, help_text="Only matches scored again or changed after this (ISO 8601)."
    )
    created_after = serializers.DateTimeField(
        required=False, help_text="Only matches made after this (ISO 8601)."
    )


class MatchExplanationOutput(serializers.Serializer):
    """Why the matcher placed the pair where it did (as stored with the match)."""

    summary = serializers.CharField(default="", help_text="One line, e.g. 'Strong match.'")
    reasons = serializers.ListField(child=serializers.CharField(), default=list)
    matched_skills = serializers.ListField(child=serializers.CharField(), default=list)
    missing_required_skills = serializers.ListField(child=serializers.CharField(), default=list)
    matched_nice_to_have = serializers.ListField(child=serializers.CharField(), default=list)
    blocked_by = serializers.ListField(
        child=serializers.CharField(),
        default=list,
        help_text="Hard mismatches (location, schedule, a role the candidate does not want).",
    )


class _MatchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.FloatField(help_text="0 to 1, higher is better.")
    parts = serializers.DictField(
        source="score_parts",
        child=serializers.FloatField(allow_null=True),
        help_text="The score's components, 0 to 1 each (role, skills, seniority, location, ...).",
    )
    explanation = MatchExplanationOutput()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MatchedCandidateOutput(serializers.Serializer):
    id = serializers.IntegerField(source="user_id", help_text="The candidate's user id.")
    name = serializers.CharField(source="user.full_name")
    headline = serializers.CharField()
    current_title = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField()


class JobMatchOutput(_MatchOutput):
    candidate = MatchedCandidateOutput()
    label = serializers.CharField(help_text="A recruiter's judgement: good, bad or empty.")


class MatchedCompanyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MatchedJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    company = MatchedCompanyOutput()
    city = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField()
    remote = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class CandidateMatchOutput(_MatchOutput):
    job = MatchedJobOutput()


_EXPLANATION_EXAMPLE = {
    "summary": "Strong match.",
    "reasons": [
        "Backend Engineer is the candidate's role.",
        "Covers 3 of 4 required skills; missing Kubernetes.",
        "Both in Berlin.",
    ],
    "matched_skills": ["python", "django", "postgresql"],
    "missing_required_skills": ["kubernetes"],
    "matched_nice_to_have": [],
    "blocked_by": [],
}
_MATCH_EXAMPLE = {
    "id": 812,
    "score": 0.87,
    "parts": {"role": 1.0, "skills": 0.75, "seniority": 1.0, "location": 1.0, "semantic": 0.71},
    "explanation": _EXPLANATION_EXAMPLE,
    "status": "new",
    "created_at": "2026-03-02T01:14:09Z",
    "updated_at": "2026-03-04T01:12:55Z",
}


def _page(view, request, matches, output):
    rows = matches(query_filters(MatchFilters, request))
    return page_response(view, request, rows, output, paginator=MatchPagination())


class JobMatchListApi(PartnerApi):
    permission_classes = [CompanyPermission.require("matches.view")]

    @extend_schema(
        operation_id="v1_jobs_matches_list",
        summary="A job's best candidates",
        description="The candidates the matcher found for the job, best first, each with the "
        "score, its parts and the explanation (matched and missing skills, reasons). Members "
        "with `matches.view` in the job's company, or its keys with `matches:read`. Filter by "
        "`min_score`, `status`, `updated_after` or `created_after`; `limit` (up to 100) per "
        "page, then follow `next`. Another company's job answers 404.",
        parameters=[MatchFilters],
        responses={200: paged_schema("JobMatchPage", JobMatchOutput), **errors(400, 404)},
        examples=[
            OpenApiExample(
                "a job's best candidate",
                value=page_example(
                    {
                        **_MATCH_EXAMPLE,
                        "candidate": {
                            "id": 4021,
                            "name": "Ada Lovelace",
                            "headline": "Senior Backend Engineer",
                            "current_title": "Backend Engineer",
                            "city": "Berlin",
                            "region": "Berlin",
                            "country": "DE",
                        },
                        "label": "",
                    }
                ),
                response_only=True,
            )
        ],
    )
    def get(self, request, pk: int):
        job = get_object_or_404(match_jobs(user=request.user), pk=pk)
        self.check_object_permissions(request, job)
        mine = scope_queryset(
            match_jobs(user=request.user), request.user, "matches.view", role_limits=JOB_ROLE_LIMITS
        )
        if not mine.filter(pk=pk).exists():  # a hiring manager's colleague's job
            raise exceptions.NotFound()
        return _page(
            self, request, lambda filters: job_matches(job=job, filters=filters), JobMatchOutput
        )


class SignedInPerson(BasePermission):
    """A person signed in (the session): an API key acts for a company, not for a person."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and person_of(user) is not None)


class MyMatchListApi(PartnerApi):
    permission_classes = [SignedInPerson]

    @extend_schema(
        operation_id="v1_users_me_matches_list",
        summary="The signed-in candidate's best jobs",
        description="Open jobs the matcher found for the signed-in candidate, best first, with "
        "the score and the explanation. Session only: an API key has no candidate (403). "
        "Filters and pages as for a job's matches.",
        parameters=[MatchFilters],
        responses={200: paged_schema("CandidateMatchPage", CandidateMatchOutput), **errors(400)},
        examples=[
            OpenApiExample(
                "a candidate's best job",
                value=page_example(
                    {
                        **_MATCH_EXAMPLE,
                        "job": {
                            "id": 310,
                            "title": "Backend Engineer",
                            "company": {"id": 3, "name": "Acme Robotics"},
                            "city": "Berlin",
                            "region": "Berlin",
                            "country": "DE",
                            "remote": "hybrid",
                            "published_at": "2026-02-27T09:00:00Z",
                        },
                    }
                ),
                response_only=True,
            )
        ],
    )
    def get(self, request):
        return _page(
            self,
            request,
            lambda filters: candidate_matches(user=request.user, filters=filters),
            CandidateMatchOutput,
        )
