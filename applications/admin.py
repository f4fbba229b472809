"""The back office for applications: stages, applicants, their history, interviews and offers.

An application is submitted through application_submit, and its stage and status are read-only
here: they move only through the application services (move, reject, hire), which keep the
StageChange history.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import (
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    TenantCompanyFilter,
    adopt,
    tenant_company_filter,
)
from applications.models import (
    Application,
    Document,
    Interview,
    Note,
    Offer,
    Scorecard,
    Stage,
    StageChange,
)
from applications.services import application_submit

# Enough to show "candidate → job at company" without a query per row.
APPLICATION_RELATED = ("application__candidate", "application__job__company")


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "kind", "position", "candidate_label")
    list_filter = ("kind", TenantCompanyFilter)
    search_fields = ("name", "company__name")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)


class StageChangeInline(admin.TabularInline):
    """The application's history, as the services recorded it."""

    model = StageChange
    fields = ("created_at", "from_stage", "to_stage", "status", "actor", "reason")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_stage", "to_stage", "actor")


class NoteInline(admin.StackedInline):
    model = Note
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class InterviewInline(admin.TabularInline):
    model = Interview
    fields = ("title", "starts_at", "ends_at", "timezone", "location", "status")
    show_change_link = True
    extra = 0
    ordering = ("starts_at",)


@admin.register(Application)
class ApplicationAdmin(ServiceModelAdmin):
    list_display = ("candidate", "job", "stage", "status", "source", "rating", "created_at")
    list_filter = (
        "status",
        "source",
        "stage__kind",
        tenant_company_filter("job__company"),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("candidate__email", "candidate__full_name", "job__title", "job__company__name")
    list_select_related = ("candidate", "job__company", "stage")
    ordering = ("-pk",)
    autocomplete_fields = ("job", "candidate")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = (StageChangeInline, NoteInline, InterviewInline)
    add_fieldsets = (
        (None, {"fields": ("job", "candidate", "source")}),
        ("Application", {"fields": ("cover_letter", "answers")}),
        ("Consent", {"fields": ("consent_processing", "consent_retention")}),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "job",
                    "candidate",
                    "stage",
                    "status",
                    "stage_entered_at",
                    "rejection_reason",
                )
            },
        ),
        ("Application", {"fields": ("source", "cover_letter", "answers", "rating")}),
        ("Consent", {"fields": ("consent_processing", "consent_retention", "consented_at")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    # What the candidate sent and where the application stands are not edited by hand.
    change_readonly_fields = (
        "job",
        "candidate",
        "stage",
        "status",
        "stage_entered_at",
        "rejection_reason",
        "source",
        "cover_letter",
        "answers",
        "consent_processing",
        "consent_retention",
        "consented_at",
        "created_at",
        "updated_at",
    )

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj is not None else ()

    def get_inlines(self, request, obj):
        # A new application gets its first StageChange from application_submit.
        return self.inlines if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        with self.calling_service():
            application = application_submit(
                job=obj.job,
                candidate=obj.candidate,
                consent_processing=obj.consent_processing,
                consent_retention=obj.consent_retention,
                cover_letter=obj.cover_letter,
                answers=obj.answers,
                source=obj.source,
                actor=request.user,
            )
        adopt(obj, application)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if instance.pk is None:
                if isinstance(instance, Note):
                    instance.author = request.user
                elif isinstance(instance, Interview):
                    instance.created_by = request.user
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyModelAdmin):
    list_display = ("application", "from_stage", "to_stage", "status", "actor", "created_at")
    list_filter = ("status", "to_stage__kind", ("created_at", admin.DateFieldListFilter))
    search_fields = (
        "application__candidate__email",
        "application__job__title",
        "reason",
    )
    list_select_related = (*APPLICATION_RELATED, "from_stage", "to_stage", "actor")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Document)
class DocumentAdmin(ReadOnlyModelAdmin):
    """Uploads come through the apply flow; deleting a row here would orphan its stored file."""

    list_display = (
        "original_name",
        "kind",
        "owner",
        "application",
        "status",
        "content_type",
        "size",
        "created_at",
    )
    list_filter = ("kind", "status", "content_type")
    search_fields = ("original_name", "owner__email", "=sha256")
    list_select_related = ("owner", *APPLICATION_RELATED)
    date_hierarchy = "created_at"
    show_full_result_count = False


class ScorecardInline(admin.StackedInline):
    model = Scorecard
    fields = ("author", "recommendation", "ratings", "notes", "submitted_at")
    autocomplete_fields = ("author",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ("title", "candidate", "job", "starts_at", "ends_at", "status")
    list_filter = ("status", ("starts_at", admin.DateFieldListFilter))
    search_fields = (
        "title",
        "application__candidate__email",
        "application__candidate__full_name",
        "application__job__title",
    )
    list_select_related = APPLICATION_RELATED
    ordering = ("-starts_at",)
    autocomplete_fields = ("application", "interviewers")
    readonly_fields = ("sequence", "created_by", "created_at")
    date_hierarchy = "starts_at"
    show_full_result_count = False
    inlines = (ScorecardInline,)

    @admin.display(description="candidate", ordering="application__candidate__email")
    def candidate(self, obj):
        return obj.application.candidate

    @admin.display(description="job", ordering="application__job__title")
    def job(self, obj):
        return obj.application.job

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("interview", "author", "recommendation", "submitted_at", "created_at")
    list_filter = ("recommendation", ("submitted_at", admin.EmptyFieldListFilter))
    search_fields = ("author__email", "interview__application__candidate__email", "notes")
    list_select_related = ("interview", "author")
    autocomplete_fields = ("interview", "author")
    readonly_fields = ("created_at",)
    show_full_result_count = False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = (
        "application",
        "salary",
        "currency",
        "salary_period",
        "status",
        "start_date",
        "sent_at",
        "responded_at",
    )
    list_filter = ("status", "currency")
    search_fields = (
        "application__candidate__email",
        "application__candidate__full_name",
        "application__job__title",
    )
    list_select_related = APPLICATION_RELATED
    autocomplete_fields = ("application",)
    readonly_fields = ("created_by", "created_at")
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("excerpt", "application", "author", "created_at")
    search_fields = ("body", "author__email", "application__candidate__email")
    list_select_related = ("author", *APPLICATION_RELATED)
    autocomplete_fields = ("application",)
    readonly_fields = ("author", "created_at")
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="note")
    def excerpt(self, obj) -> str:
        return str(obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
