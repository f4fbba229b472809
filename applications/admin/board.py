"""The jobs list with applicants by stage, and each job's pipeline board."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

import jobs.admin
from accounts.admin import (
    SERVICE_ERRORS,
    service_error_message,
)
from accounts.permissions import has_perm
from applications.board import board_stages, job_board
from applications.models import (
    Application,
    Stage,
)
from applications.selectors import (
    applicant_counts_by_stage,
)
from applications.services import application_move
from jobs.models import Job

# The jobs list, with each job's active applicants by stage and a link to its pipeline board:
# applications sit above jobs, so these are added here, to the jobs admin of jobs/admin.py.
admin.site.unregister(Job)


@admin.register(Job)
class JobWithApplicantsAdmin(jobs.admin.JobAdmin):
    list_display = (
        *jobs.admin.JobAdmin.list_display[:4],
        "applicants",
        "board_link",
        *jobs.admin.JobAdmin.list_display[4:],
    )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        counts = applicant_counts_by_stage(job_ids=[job.pk for job in changelist.result_list])
        for job in changelist.result_list:
            job.applicant_counts = counts.get(job.pk, [])
        return changelist

    @admin.display(description="applicants by stage")
    def applicants(self, obj) -> str:
        counts = getattr(obj, "applicant_counts", ())
        return " · ".join(f"{stage} {count}" for stage, count in counts) or "—"

    @admin.display(description="board")
    def board_link(self, obj) -> str:
        return format_html('<a href="{}">Board</a>', reverse("admin:jobs_job_board", args=[obj.pk]))

    # --- The pipeline board ---------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/board/",
                self.admin_site.admin_view(self.board_view),
                name="jobs_job_board",
            ),
            path(
                "<path:object_id>/board/move/",
                self.admin_site.admin_view(require_POST(self.board_move_view)),
                name="jobs_job_board_move",
            ),
            *super().get_urls(),
        ]

    def _board_job(self, request, object_id) -> Job:
        job = self.get_object(request, object_id)
        if job is None:
            raise Http404("No such job.")
        if not has_perm(request.user, "applications.view", job):
            raise PermissionDenied
        return job

    def board_view(self, request, object_id):
        job = self._board_job(request, object_id)
        columns = job_board(job=job)
        targets = board_stages(job=job)
        # Each column's "Move to" choices, made once for all of its cards.
        for column in columns:
            column.move_options = format_html_join(
                "",
                '<option value="{}">{}</option>',
                ((stage.pk, stage.name) for stage in targets if stage.pk != column.stage.pk),
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Pipeline board: {job.title}",
            "job": job,
            "columns": columns,
            "can_move": has_perm(request.user, "applications.move", job),
            "applications_url": reverse("admin:applications_application_changelist"),
        }
        return TemplateResponse(request, "admin/jobs/job/board.html", context)

    def board_move_view(self, request, object_id):
        """Move one card: `application` and `stage` ids from the board's buttons (or its drag
        and drop, which asks for JSON)."""
        job = self._board_job(request, object_id)
        wants_json = "application/json" in request.headers.get("Accept", "")
        application_id = request.POST.get("application", "")
        # A card's button names its application; its choice is "stage-<id>" (or "stage").
        stage_id = request.POST.get(f"stage-{application_id}") or request.POST.get("stage", "")
        application = stage = None
        if application_id.isdigit() and stage_id.isdigit():
            application = Application.objects.filter(job=job, pk=int(application_id)).first()
            stage = Stage.objects.filter(company_id=job.company_id, pk=int(stage_id)).first()
        if application is None or stage is None:
            error = "Choose an application of this job and one of its company's stages."
            if wants_json:
                return JsonResponse({"error": error}, status=400)
            self.message_user(request, error, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:jobs_job_board", args=[job.pk]))
        try:
            application_move(application=application, stage=stage, actor=request.user)
        except SERVICE_ERRORS as exc:
            if wants_json:
                status = 403 if isinstance(exc, PermissionDenied) else 400
                return JsonResponse({"error": service_error_message(exc)}, status=status)
            self.message_user(request, service_error_message(exc), messages.ERROR)
        else:
            if wants_json:
                return JsonResponse({"application": application.pk, "stage": stage.pk})
            candidate = application.candidate.full_name or application.candidate.email
            self.message_user(request, f"Moved {candidate} to {stage.name}.", messages.SUCCESS)
        board = reverse("admin:jobs_job_board", args=[job.pk])
        return HttpResponseRedirect(f"{board}#application-{application.pk}")
