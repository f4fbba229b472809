"""The back office for jobs: postings, the skill taxonomy and search analytics.

A job is created and edited through jobs.services (slug, audit) and moves between statuses only
through the Publish, Close and Archive actions.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import (
    CompanyScopedAdmin,
    CompanyScopedInline,
    EmbeddingDisplayMixin,
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    TenantCompanyFilter,
    adopt,
    with_has_embedding,
)
from jobs.models import CurrencyRate, Job, JobSkill, SearchQuery, SearchTerm, Skill
from jobs.selectors import JOB_ROLE_LIMITS
from jobs.services import (
    JOB_FIELDS,
    job_archive,
    job_close,
    job_create,
    job_duplicate,
    job_publish,
    job_update,
)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "category", "esco_uri")
    list_filter = ("category",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class JobSkillInline(CompanyScopedInline, admin.TabularInline):
    model = JobSkill
    company_perms = {
        "view": "jobs.view",
        "add": "jobs.edit",
        "change": "jobs.edit",
        "delete": "jobs.edit",
    }
    fields = ("skill", "required")
    autocomplete_fields = ("skill",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("skill")


class OriginFilter(admin.SimpleListFilter):
    """Where a job came from: posted in this platform, or found on the web by a crawl."""

    title = "origin"
    parameter_name = "origin"

    def lookups(self, request, model_admin):
        return (("posted", "Posted here"), ("web", "From the web"))

    def queryset(self, request, queryset):
        if self.value() == "posted":
            return queryset.filter(external_url="")
        if self.value() == "web":
            return queryset.exclude(external_url="")
        return queryset


@admin.register(Job)
class JobAdmin(CompanyScopedAdmin, EmbeddingDisplayMixin, ServiceModelAdmin):
    company_perms = {"view": "jobs.view", "add": "jobs.create", "change": "jobs.edit"}
    role_limits = JOB_ROLE_LIMITS
    list_display = (
        "title",
        "company",
        "status",
        "city",
        "country",
        "remote",
        "employment_type",
        "published_at",
        "created_at",
    )
    list_filter = (
        "status",
        TenantCompanyFilter,
        "remote",
        "employment_type",
        "seniority",
        OriginFilter,
        ("published_at", admin.DateFieldListFilter),
    )
    search_fields = ("title", "company__name", "=external_id", "city")
    list_select_related = ("company",)
    ordering = ("-pk",)  # newest first, and cheap on 100k rows
    autocomplete_fields = ("company", "hiring_team")
    show_full_result_count = False
    inlines = (JobSkillInline,)
    actions = ("publish_jobs", "close_jobs", "archive_jobs", "duplicate_jobs")

    def view_on_site(self, obj: Job) -> str | None:
        """The change page's "View on site" button: the job's public page, while it has one."""
        return obj.get_absolute_url() if obj.status == Job.Status.OPEN else None

    fieldsets = (
        (None, {"fields": ("company", "title", "slug", "status", "published_at", "closes_at")}),
        ("Description", {"fields": ("description_html", "description_text", "questions")}),
        (
            "Place and terms",
            {
                "fields": (
                    ("city", "region", "country"),
                    ("remote", "employment_type", "seniority"),
                    ("salary_min", "salary_max", "salary_currency", "salary_period"),
                )
            },
        ),
        ("Hiring team", {"fields": ("hiring_team", "scorecard_criteria")}),
        (
            "Provenance",
            {
                "classes": ("collapse",),
                "fields": (
                    "external_url",
                    "external_id",
                    "content_hash",
                    "fingerprint",
                    "has_embedding",
                    "created_by",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
    )
    # Status and publication move only through the actions (job_publish / job_close / ...).
    readonly_fields = (
        "slug",
        "status",
        "published_at",
        "content_hash",
        "fingerprint",
        "has_embedding",
        "created_by",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        # search_vector is kept by a trigger and never shown.
        return with_has_embedding(super().get_queryset(request)).defer("search_vector")

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in JOB_FIELDS if name in form.fields}
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            if changed:
                with self.calling_service():
                    job_update(job=Job.objects.get(pk=obj.pk), actor=request.user, **changed)
            return
        title = data.pop("title")
        with self.calling_service():
            job = job_create(company=obj.company, title=title, actor=request.user, **data)
        adopt(obj, job)

    def _transition(self, request, queryset, service, done: str) -> None:
        self.run_service_action(
            request, queryset, lambda job: service(job=job, actor=request.user), done
        )

    @admin.action(description="Publish selected jobs", permissions=["change"])
    def publish_jobs(self, request, queryset):
        self._transition(request, queryset, job_publish, "Published {count} job(s).")

    @admin.action(description="Close selected jobs", permissions=["change"])
    def close_jobs(self, request, queryset):
        self._transition(request, queryset, job_close, "Closed {count} job(s).")

    @admin.action(description="Archive selected jobs", permissions=["change"])
    def archive_jobs(self, request, queryset):
        self._transition(request, queryset, job_archive, "Archived {count} job(s).")

    @admin.action(description="Duplicate selected jobs as drafts", permissions=["add"])
    def duplicate_jobs(self, request, queryset):
        self._transition(
            request,
            queryset.select_related("company"),
            job_duplicate,
            "Duplicated {count} job(s) as drafts.",
        )


@admin.register(SearchQuery)
class SearchQueryAdmin(ReadOnlyModelAdmin):
    """Job board searches, for analytics: what people look for and what finds nothing."""

    class ZeroResultsFilter(admin.SimpleListFilter):
        title = "results"
        parameter_name = "results"

        def lookups(self, request, model_admin):
            return (("none", "No results"), ("some", "Some results"))

        def queryset(self, request, queryset):
            if self.value() == "none":
                return queryset.filter(result_count=0)
            if self.value() == "some":
                return queryset.filter(result_count__gt=0)
            return queryset

    list_display = (
        "query",
        "mode",
        "result_count",
        "user",
        "clicked_job",
        "clicked_position",
        "took_ms",
        "created_at",
    )
    list_filter = (ZeroResultsFilter, "mode", ("created_at", admin.DateFieldListFilter))
    search_fields = ("query", "normalized_query")
    list_select_related = ("user", "clicked_job__company")
    raw_id_fields = ("user", "clicked_job")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(SearchTerm)
class SearchTermAdmin(ReadOnlyModelAdmin):
    """The "did you mean" vocabulary, rebuilt from open jobs by search_vocabulary_refresh."""

    list_display = ("word", "frequency")
    search_fields = ("word",)
    ordering = ("-frequency", "word")
    show_full_result_count = False


@admin.register(CurrencyRate)
class CurrencyRateAdmin(ReadOnlyModelAdmin):
    """Rates for yearly salaries in SEARCH_CURRENCY; written by currency_rates_sync."""

    list_display = ("currency", "rate", "updated_at")
    search_fields = ("currency",)
