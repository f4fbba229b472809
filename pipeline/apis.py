"""The pipeline in the partner API: queue a stage (or the nightly chain) and watch runs.

For staff with the pipeline run permissions the admin asks for, or API keys with the
`pipeline:write` scope (`pipeline:read` to watch).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from accounts.partner_api import PartnerApi, errors
from accounts.permissions import StaffOrKeyScope
from pipeline.models import PipelineRun, Source
from pipeline.orchestration import pipeline_queue
from pipeline.selectors import runs_list
from recruitment.api import CursorPagination


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
        paginator = CursorPagination()
        page = paginator.paginate_queryset(runs_list(**filters.validated_data), request, view=self)
        return paginator.get_paginated_response(PipelineRunOutput(page, many=True).data)


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
