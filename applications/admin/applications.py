"""The back office for applications: stages, applicants and their history, documents.

An application is submitted through application_submit, and its stage and status are read-only
here: they move only through the application services (move, reject, hire), which keep the
StageChange history; the bulk actions call the same services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.admin import (
    SERVICE_ERRORS,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    TenantCompanyFilter,
    adopt,
    service_error_message,
    tenant_company_filter,
)
from accounts.admin_reads import AuditedChangeViewMixin, audit_personal_read
from accounts.models import Company, User
from accounts.permissions import has_perm, scope_queryset
from applications.admin.common import (
    APPLICATION_RELATED,
    parsed_resume,
    readable_scorecards,
)
from applications.admin.hiring import interview_form_write
from applications.duplicates import candidate_merge, duplicate_candidates, duplicate_pair
from applications.emails import template_render
from applications.exports import applications_csv
from applications.hiring import (
    note_create,
    note_delete,
    note_update,
)
from applications.models import (
    Application,
    Document,
    EmailTemplate,
    Interview,
    Note,
    Scorecard,
    Stage,
    StageChange,
)
from applications.registry import application_match
from applications.retention import returning_applicant_of
from applications.selectors import (
    APPLICATION_ROLE_LIMITS,
    CANDIDATE_SEARCH_LIMIT,
    ON_APPLICATION_ROLE_LIMITS,
    candidate_search,
)
from applications.services import application_move, application_reject, application_submit
from jobs.models import Job


@admin.register(Stage)
class StageAdmin(CompanyScopedAdmin):
    company_perms = {
        "view": "applications.view",
        "add": "stages.manage",
        "change": "stages.manage",
        "delete": "stages.manage",
    }
    list_display = ("name", "company", "kind", "position", "candidate_label")
    list_filter = ("kind", TenantCompanyFilter)
    search_fields = ("name", "company__name")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)


class StageChangeInline(CompanyScopedInline, admin.TabularInline):
    """The application's history, as the services recorded it."""

    model = StageChange
    company_perms = {"view": "applications.view"}
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


class NoteInline(CompanyScopedInline, admin.StackedInline):
    """Notes written here are the request user's; only its author edits or deletes a note."""

    model = Note
    company_perms = {
        "view": "applications.view",
        "add": "applications.comment",
        "change": "applications.comment",
        "delete": "applications.comment",
    }
    fields = ("body", "author", "api_key", "created_at")
    readonly_fields = ("author", "api_key", "created_at")
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "api_key")


class InterviewInline(CompanyScopedInline, admin.TabularInline):
    model = Interview
    company_perms = {
        "view": "interviews.view",
        "add": "interviews.schedule",
        "change": "interviews.schedule",
    }
    fields = ("title", "starts_at", "ends_at", "timezone", "location", "status")
    show_change_link = True
    extra = 0
    ordering = ("starts_at",)


class JobFilter(admin.SimpleListFilter):
    """Applications of one job: the user's most recent jobs are offered; any job they may see
    can be named in the address (`?job=ID`, as the pipeline board's links do)."""

    title = "job"
    parameter_name = "job"
    OFFERED = 30

    def lookups(self, request, model_admin):
        jobs = model_admin.admin_site._registry[Job].get_queryset(request)
        return [
            (job.pk, f"{job.title} ({job.company.name})")
            for job in jobs.select_related("company").only("title", "company__name")
            .order_by("-pk")[: self.OFFERED]
        ]  # fmt: skip

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(job_id=int(self.value()))
        return queryset


class RatingFilter(admin.SimpleListFilter):
    title = "rating"
    parameter_name = "rating"

    def lookups(self, request, model_admin):
        return [("none", "Not rated"), *((str(n), "★" * n) for n in range(5, 0, -1))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(rating__isnull=True)
        if self.value() in {"1", "2", "3", "4", "5"}:
            return queryset.filter(rating=int(self.value()))
        return queryset


class BulkMoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label="Move to")

    def __init__(self, *args, company_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = (
            Stage.objects.filter(company_id=company_id)
            .exclude(kind__in=[Stage.Kind.HIRED, Stage.Kind.REJECTED])
            .order_by("position")
        )


class BulkRejectForm(forms.Form):
    reason = forms.CharField(
        max_length=255, help_text="Kept in the stage history; the candidate does not see it."
    )
    email_template = forms.ModelChoiceField(
        queryset=EmailTemplate.objects.none(),
        required=False,
        empty_label="— the company's automatic rejection email, if it has one —",
        help_text="The email the candidates get; preview it before rejecting.",
    )

    def __init__(self, *args, company_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_template"].queryset = EmailTemplate.objects.filter(
            company_id=company_id, is_active=True
        ).order_by("name")


@admin.register(Application)
class ApplicationAdmin(AuditedChangeViewMixin, CompanyScopedAdmin, ServiceModelAdmin):
    read_action = "candidate.viewed"  # the page is the candidate's dossier
    company_field = "job__company"
    company_perms = {
        "view": "applications.view",
        "add": "applications.create",
        "change": "applications.rate",
    }
    role_limits = APPLICATION_ROLE_LIMITS
    list_display = ("candidate", "job", "stage", "status", "source", "rating", "created_at")
    list_filter = (
        JobFilter,
        "stage__kind",
        "status",
        "source",
        RatingFilter,
        tenant_company_filter("job__company"),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("candidate__email", "candidate__full_name", "job__title", "job__company__name")
    list_select_related = ("candidate", "job__company", "stage")
    ordering = ("-pk",)
    list_per_page = 50
    autocomplete_fields = ("job", "candidate")
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
        ("Dossier", {"fields": ("resume", "scorecards", "offer", "match", "returning")}),
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
        "resume",
        "scorecards",
        "offer",
        "match",
        "returning",
    )

    actions = ("move_to_stage", "reject_with_email", "export_csv")

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.add_fieldsets

    def read_company(self, obj):
        return obj.job.company

    # --- The dossier: what the change page shows beside the application ------------------------

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer_request = request  # the dossier shows what this user may see
        return obj

    @admin.display(description="returning applicant")
    def returning(self, obj) -> str:
        """Whether retention anonymised this person's earlier applications (by email hash)."""
        earlier = returning_applicant_of(email=obj.candidate.email)
        if earlier is None:
            return "No"
        return f"Returning applicant (anonymised on {earlier.anonymised_at:%Y-%m-%d})"

    @admin.display(description="resume")
    def resume(self, obj) -> str:
        documents = obj.documents.filter(kind=Document.Kind.RESUME).order_by("-pk")
        if not documents:
            return "No resume was sent."
        return format_html_join(
            "",
            '<p><a href="{}">{}</a> ({})</p>{}',
            (
                (
                    reverse("applications:document-download", args=[document.pk]),
                    document.original_name,
                    document.get_status_display().lower(),
                    parsed_resume(document.parsed),
                )
                for document in documents
            ),
        )

    @admin.display(description="scorecards")
    def scorecards(self, obj) -> str:
        cards = Scorecard.objects.filter(interview__application=obj).select_related(
            "author", "interview"
        )
        request = getattr(obj, "viewer_request", None)
        cards = readable_scorecards(request, cards) if request is not None else cards.none()
        cards = [card for card in cards.order_by("pk") if card.submitted_at is not None]
        if not cards:
            return "No submitted scorecard you may read."
        return format_html_join(
            "",
            "<p><strong>{}</strong> ({}): {}{}</p>",
            (
                (
                    card.author.full_name or card.author.email,
                    card.interview.title,
                    card.get_recommendation_display() or "—",
                    format_html(
                        " · {}",
                        ", ".join(f"{name} {value}/4" for name, value in card.ratings.items()),
                    )
                    if card.ratings
                    else "",
                )
                for card in cards
            ),
        )

    @admin.display(description="offer")
    def offer(self, obj) -> str:
        offer = obj.offers.order_by("-pk").first()
        if offer is None:
            return "No offer."
        return format_html(
            '<a href="{}">{} {} {}</a>, {}',
            reverse("admin:applications_offer_change", args=[offer.pk]),
            offer.salary,
            offer.currency,
            offer.get_salary_period_display().lower(),
            offer.get_status_display().lower(),
        )

    @admin.display(description="match for this job")
    def match(self, obj) -> str:
        found = application_match(obj)
        if found is None:
            return "Not matched yet."
        explanation = found.get("explanation") or {}
        return format_html(
            "<p><strong>{}%</strong></p><p>Has: {}</p><p>Missing: {}</p><ul>{}</ul>",
            round(found["score"] * 100),
            ", ".join(explanation.get("matched_skills") or []) or "—",
            ", ".join(explanation.get("missing_skills") or []) or "—",
            format_html_join("", "<li>{}</li>", ((r,) for r in explanation.get("reasons") or [])),
        )

    def get_search_results(self, request, queryset, search_term):
        """Names and emails as usual, plus the candidate search (profile, skills, resume
        text) over what the user may see."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = " ".join(search_term.split())
        if not term or len(term) > 500:
            return found, may_have_duplicates
        hits = candidate_search(user=request.user, query=term, limit=CANDIDATE_SEARCH_LIMIT)
        ids = [application.pk for hit in hits for application in hit.applications]
        if not ids:
            return found, may_have_duplicates
        return queryset.filter(Q(pk__in=found.values("pk")) | Q(pk__in=ids)), False

    # --- Bulk actions -----------------------------------------------------------------------

    def _one_company(self, request, queryset) -> int | None:
        companies = set(queryset.values_list("job__company_id", flat=True).distinct()[:2])
        if len(companies) != 1:
            self.message_user(
                request,
                "Select applications of one company: stages and email templates are its own.",
                messages.ERROR,
            )
            return None
        return companies.pop()

    def _bulk_page(self, request, queryset, form, *, title: str, preview=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "applications": queryset.select_related("candidate", "job").order_by("pk")[:50],
            "count": queryset.count(),
            "action": request.POST.get("action", ""),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "preview": preview,
        }
        return TemplateResponse(request, "admin/applications/application/bulk_action.html", context)

    @admin.action(description="Move selected applications to a stage…", permissions=["move"])
    def move_to_stage(self, request, queryset):
        company_id = self._one_company(request, queryset)
        if company_id is None:
            return None
        data = request.POST if "apply" in request.POST else None
        form = BulkMoveForm(data, company_id=company_id)
        if not form.is_valid():
            return self._bulk_page(request, queryset, form, title="Move applications")
        stage = form.cleaned_data["stage"]
        self.run_service_action(
            request,
            queryset.select_related("job"),
            lambda application: application_move(
                application=application, stage=stage, actor=request.user
            ),
            f"Moved {{count}} application(s) to {stage.name}.",
        )
        return None

    @admin.action(description="Reject selected applications with an email…", permissions=["reject"])
    def reject_with_email(self, request, queryset):
        company_id = self._one_company(request, queryset)
        if company_id is None:
            return None
        bound = "apply" in request.POST or "preview" in request.POST
        form = BulkRejectForm(request.POST if bound else None, company_id=company_id)
        if not form.is_valid() or "apply" not in request.POST:
            preview = None
            template = form.cleaned_data.get("email_template") if form.is_bound else None
            if template is not None and form.is_valid():
                first = queryset.order_by("pk").first()
                preview = (first, *template_render(template, first, actor=request.user))
            return self._bulk_page(
                request, queryset, form, title="Reject applications", preview=preview
            )
        reason, template = form.cleaned_data["reason"], form.cleaned_data["email_template"]
        self.run_service_action(
            request,
            queryset.select_related("job"),
            lambda application: application_reject(
                application=application, actor=request.user, reason=reason, email_template=template
            ),
            "Rejected {count} application(s).",
        )
        return None

    @admin.action(description="Export selected applications as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        allowed = scope_queryset(queryset, request.user, "candidates.export", "job__company")
        self._audit_export(request, allowed)
        response = StreamingHttpResponse(applications_csv(allowed), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="applications-{stamp}.csv"'
        return response

    def _audit_export(self, request, allowed) -> None:
        """One `candidates.exported` event per company whose applicants leave in the file."""
        counts = allowed.order_by().values("job__company").annotate(rows=Count("pk"))
        companies = Company.objects.in_bulk([row["job__company"] for row in counts])
        for row in counts:
            audit_personal_read(
                request,
                action="candidates.exported",
                target=None,
                company=companies[row["job__company"]],
            )

    # --- Duplicate candidates ---------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="applications_application_duplicates",
            ),
            path(
                "duplicates/<int:first>/<int:second>/",
                self.admin_site.admin_view(self.duplicate_view),
                name="applications_application_duplicate",
            ),
            *super().get_urls(),
        ]

    def _duplicates_context(self, request, title: str) -> dict:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def duplicates_view(self, request):
        context = self._duplicates_context(request, "Duplicate candidates")
        context["pairs"] = duplicate_candidates(user=request.user)
        return TemplateResponse(request, "admin/applications/application/duplicates.html", context)

    def duplicate_view(self, request, first: int, second: int):
        """Both candidates side by side; a POST merges one into the other."""
        context = self._duplicates_context(request, "Compare candidates")
        pair = duplicate_pair(user=request.user, first_id=first, second_id=second)
        if pair is None:
            raise Http404("No such pair of applicants.")
        if request.method == "POST":
            keep_id = request.POST.get("keep", "")
            if keep_id not in (str(first), str(second)):
                self.message_user(request, "Choose which candidate to keep.", messages.ERROR)
                return HttpResponseRedirect(request.path)
            keep, merge = (pair.first, pair.second) if keep_id == str(first) else (
                pair.second, pair.first
            )  # fmt: skip
            try:
                candidate_merge(keep=keep.user, merge=merge.user, actor=request.user)
            except SERVICE_ERRORS as exc:
                self.message_user(request, service_error_message(exc), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(
                request,
                f"Merged {merge.user.email} into {keep.user.email}: "
                f"{len(merge.applications)} application(s) moved.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:applications_application_duplicates"))
        context["pair"] = pair
        return TemplateResponse(
            request, "admin/applications/application/duplicate_compare.html", context
        )

    def has_move_permission(self, request) -> bool:
        return request.user.is_superuser or has_perm(request.user, "applications.move")

    def has_reject_permission(self, request) -> bool:
        return request.user.is_superuser or has_perm(request.user, "applications.reject")

    def has_export_permission(self, request) -> bool:
        return request.user.is_superuser or has_perm(request.user, "candidates.export")

    def member_people(self, request, field_name):
        if field_name != "candidate":
            return super().member_people(request, field_name)
        # A member adds applications for candidates already known to their companies.
        known = self.get_queryset(request).values("candidate")
        return User.objects.filter(pk__in=known).order_by("email")

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
        if formset.model not in (Note, Interview):
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # fills new_objects, changed_objects and deleted_objects
        actor = request.user
        with self.calling_service():
            if formset.model is Note:
                for note in formset.new_objects:
                    adopt(note, note_create(application=form.instance, body=note.body, actor=actor))
                for note, _ in formset.changed_objects:
                    adopt(note, note_update(note=note, body=note.body, actor=actor))
                for note in formset.deleted_objects:
                    note_delete(note=note, actor=actor)
                return
            for interview in formset.new_objects:
                adopt(interview, interview_form_write(interview, changed=(), actor=actor))
            for interview, changed in formset.changed_objects:
                adopt(interview, interview_form_write(interview, changed=changed, actor=actor))
            # There is no service for deleting an interview (cancelling is the audited way).
            for interview in formset.deleted_objects:
                interview.delete()


@admin.register(StageChange)
class StageChangeAdmin(CompanyScopedAdmin, ReadOnlyModelAdmin):
    company_field = "application__job__company"
    company_perms = {"view": "applications.view"}
    role_limits = ON_APPLICATION_ROLE_LIMITS
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
class DocumentAdmin(AuditedChangeViewMixin, CompanyScopedAdmin, ReadOnlyModelAdmin):
    """Uploads come through the apply flow; deleting a row here would orphan its stored file.
    Members see the documents sent with their companies' applications; opening one is
    audited (its page shows what the resume says)."""

    read_action = "document.viewed"
    company_field = "application__job__company"
    company_perms = {"view": "documents.download"}

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

    def read_company(self, obj):
        return obj.application.job.company if obj.application_id else None
