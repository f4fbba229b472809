"""The back office for the nightly pipeline: sources, what they yielded, runs and matches.

Sources are configured here; postings, runs and matches are written by the pipeline and only
looked at (they may be deleted, since the next run makes them again).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.admin import CompanyScopedAdmin, ReadOnlyModelAdmin
from accounts.models import Role
from pipeline.matching import match_label
from pipeline.models import (
    JobEnrichment,
    Match,
    PipelineRun,
    ProfileEnrichment,
    ScrapedPosting,
    Source,
)
from pipeline.orchestration import StageFailed, pipeline_queue

# Stages offered by the "run now" buttons above the list of runs, in pipeline order.
RUN_NOW_STAGES = (
    (PipelineRun.Kind.SCRAPE, "Scrape due sources"),
    (PipelineRun.Kind.ENRICH, "Enrich"),
    (PipelineRun.Kind.MATCH, "Match"),
    (PipelineRun.Kind.SEND, "Send digests"),
    (PipelineRun.Kind.NIGHTLY, "Nightly (all four)"),
)


def run_now(request: HttpRequest, *, kind: str, source: Source | None = None) -> PipelineRun | None:
    """Queue a stage for the admin user and say so; without a broker it runs right here."""
    try:
        run = pipeline_queue(kind=kind, source=source, triggered_by=request.user)
    except (StageFailed, RuntimeError, OSError) as error:
        messages.error(request, f"The {kind} run failed: {error}")
        return None
    run.refresh_from_db()
    messages.success(
        request,
        format_html(
            'Started <a href="{}">{}</a>: {}.',
            reverse("admin:pipeline_pipelinerun_change", args=[run.pk]),
            run,
            run.get_status_display().lower(),
        ),
    )
    return run


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "company", "schedule", "is_active", "last_crawled_at")
    list_filter = ("kind", "schedule", "is_active")
    search_fields = ("name", "company__name")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)
    readonly_fields = ("last_crawled_at", "created_at")
    actions = ("crawl_now",)

    @admin.action(description="Crawl the selected sources now")
    def crawl_now(self, request, queryset):
        if not request.user.has_perm("pipeline.add_pipelinerun"):
            raise PermissionDenied
        for source in queryset:
            run_now(request, kind=PipelineRun.Kind.SCRAPE, source=source)


@admin.register(ScrapedPosting)
class ScrapedPostingAdmin(ReadOnlyModelAdmin):
    deletable = True
    list_display = ("external_id", "source", "job", "first_seen_at", "last_seen_at", "gone_at")
    list_filter = ("source", ("gone_at", admin.EmptyFieldListFilter))
    search_fields = ("=external_id", "url", "job__title")
    list_select_related = ("source", "job__company")
    date_hierarchy = "last_seen_at"
    show_full_result_count = False


@admin.register(PipelineRun)
class PipelineRunAdmin(ReadOnlyModelAdmin):
    deletable = True
    list_display = (
        "__str__",
        "kind",
        "source",
        "status",
        "progress",
        "started_at",
        "finished_at",
        "duration",
        "triggered_by",
    )
    list_filter = ("kind", "status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("source__name", "error")
    list_select_related = ("source", "triggered_by")
    date_hierarchy = "created_at"
    show_full_result_count = False

    change_list_template = "admin/pipeline/pipelinerun/change_list.html"
    readonly_fields = ("progress",)

    @admin.display(description="progress")
    def progress(self, obj) -> str:
        if obj.progress_total:
            return format_html(
                '<progress value="{}" max="{}"></progress> {} / {}',
                obj.progress_done,
                obj.progress_total,
                obj.progress_done,
                obj.progress_total,
            )
        return str(obj.progress_done)

    def get_urls(self):
        run_now_view = self.admin_site.admin_view(require_POST(self.run_now_view))
        return [
            path("run-now/", run_now_view, name="pipeline_pipelinerun_run_now"),
            *super().get_urls(),
        ]

    def run_now_view(self, request):
        if not request.user.has_perm("pipeline.add_pipelinerun"):
            raise PermissionDenied
        kind = request.POST.get("kind", "")
        if kind not in dict(RUN_NOW_STAGES):
            messages.error(request, f"Unknown stage {kind!r}.")
        else:
            run_now(request, kind=kind)
        return HttpResponseRedirect(reverse("admin:pipeline_pipelinerun_changelist"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "run_now_stages": RUN_NOW_STAGES,
            "can_run_now": request.user.has_perm("pipeline.add_pipelinerun"),
            "runs_active": PipelineRun.objects.filter(
                status__in=[PipelineRun.Status.QUEUED, PipelineRun.Status.RUNNING]
            ).exists(),
        }
        return super().changelist_view(request, extra_context)


@admin.register(Match)
class MatchAdmin(CompanyScopedAdmin, ReadOnlyModelAdmin):
    """Members see the matches of their companies' jobs (a hiring manager: of their own jobs)
    and label them; only superusers delete them."""

    deletable = True
    company_field = "job__company"
    company_perms = {"view": "matches.view"}
    role_limits = {Role.HIRING_MANAGER: "job__hiring_team"}
    list_display = ("candidate", "job", "score", "status", "label", "notified_at", "created_at")
    list_filter = ("status", "label", ("created_at", admin.DateFieldListFilter))
    actions = ("label_good", "label_bad", "label_clear")
    search_fields = ("candidate__user__email", "candidate__user__full_name", "job__title")
    list_select_related = ("candidate__user", "job__company")
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.action(description="Label the selected matches as good")
    def label_good(self, request, queryset):
        self._label(request, queryset, Match.Label.GOOD)

    @admin.action(description="Label the selected matches as bad")
    def label_bad(self, request, queryset):
        self._label(request, queryset, Match.Label.BAD)

    @admin.action(description="Clear the label of the selected matches")
    def label_clear(self, request, queryset):
        self._label(request, queryset, "")

    def _label(self, request, queryset, label: str) -> None:
        done = refused = 0
        for match in queryset.select_related("job"):
            try:
                match_label(match=match, label=label, actor=request.user)
                done += 1
            except PermissionDenied:
                refused += 1
        self.message_user(request, f"{done} match(es) labelled.")
        if refused:
            self.message_user(
                request, f"{refused} match(es) of other companies left as they were.",
                level=messages.WARNING,
            )  # fmt: skip


@admin.register(JobEnrichment)
class JobEnrichmentAdmin(ReadOnlyModelAdmin):
    """What the enrich stage read from each job (the features matching uses)."""

    deletable = True
    list_display = ("job", "enriched_at", "filled")
    search_fields = ("job__title",)
    list_select_related = ("job__company",)
    date_hierarchy = "enriched_at"
    show_full_result_count = False


@admin.register(ProfileEnrichment)
class ProfileEnrichmentAdmin(ReadOnlyModelAdmin):
    """What the enrich stage read from each candidate's profile and resume."""

    deletable = True
    list_display = ("profile", "enriched_at", "filled")
    search_fields = ("profile__user__email", "profile__headline")
    list_select_related = ("profile__user",)
    date_hierarchy = "enriched_at"
    show_full_result_count = False
