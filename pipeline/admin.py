"""The back office for the nightly pipeline: sources, what they yielded, runs and matches.

Sources are configured here; postings, runs and matches are written by the pipeline and only
looked at (they may be deleted, since the next run makes them again).
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import ReadOnlyModelAdmin
from pipeline.models import Match, PipelineRun, ScrapedPosting, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "company", "schedule", "is_active", "last_crawled_at")
    list_filter = ("kind", "schedule", "is_active")
    search_fields = ("name", "company__name")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)
    readonly_fields = ("last_crawled_at", "created_at")


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

    @admin.display(description="progress")
    def progress(self, obj) -> str:
        if obj.progress_total:
            return f"{obj.progress_done} / {obj.progress_total}"
        return str(obj.progress_done)


@admin.register(Match)
class MatchAdmin(ReadOnlyModelAdmin):
    deletable = True
    list_display = ("candidate", "job", "score", "status", "notified_at", "created_at")
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("candidate__user__email", "candidate__user__full_name", "job__title")
    list_select_related = ("candidate__user", "job__company")
    date_hierarchy = "created_at"
    show_full_result_count = False
