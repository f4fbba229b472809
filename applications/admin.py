"""The back office for applications: stages, applicants, their history, interviews and offers.

An application is submitted through application_submit, and its stage and status are read-only
here: they move only through the application services (move, reject, hire), which keep the
StageChange history. Interviews, scorecards, offers and notes are written through the services of
applications.hiring, so the admin keeps their rules and audit records like the partner API does;
a refused write is an error message.
"""

from __future__ import annotations

from collections.abc import Collection

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

import jobs.admin
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
from accounts.models import Role, User
from accounts.permissions import has_perm, scope_queryset
from applications.board import board_stages, job_board
from applications.duplicates import candidate_merge, duplicate_candidates, duplicate_pair
from applications.emails import MERGE_FIELDS, email_template_save, template_render
from applications.exports import applications_csv
from applications.hiring import (
    INTERVIEW_FIELDS,
    OFFER_FIELDS,
    interview_cancel,
    interview_schedule,
    interview_update,
    note_create,
    note_delete,
    note_update,
    offer_accept,
    offer_create,
    offer_decline,
    offer_send,
    offer_update,
    offer_withdraw,
    scorecard_list,
    scorecard_submit,
    scorecard_update,
    scorecards_pending,
)
from applications.models import (
    Application,
    Document,
    EmailTemplate,
    Interview,
    Note,
    Offer,
    Scorecard,
    Stage,
    StageChange,
)
from applications.registry import application_match
from applications.selectors import (
    CANDIDATE_SEARCH_LIMIT,
    applicant_counts_by_stage,
    candidate_search,
)
from applications.services import application_move, application_reject, application_submit
from jobs.models import Job

# Enough to show "candidate → job at company" without a query per row.
APPLICATION_RELATED = ("application__candidate", "application__job__company")

# A hiring manager sees the applications (and their history, notes, offers, interviews) of the
# jobs whose hiring team they are on; an interviewer sees only the interviews they sit on.
APPLICATION_ROLE_LIMITS = {Role.HIRING_MANAGER: "job__hiring_team"}
ON_APPLICATION_ROLE_LIMITS = {Role.HIRING_MANAGER: "application__job__hiring_team"}
INTERVIEW_ROLE_LIMITS = {**ON_APPLICATION_ROLE_LIMITS, Role.INTERVIEWER: "interviewers"}
SCORECARD_ROLE_LIMITS = {
    Role.HIRING_MANAGER: "interview__application__job__hiring_team",
    Role.INTERVIEWER: "interview__interviewers",
}

SCORECARD_FIELDS = ("ratings", "recommendation", "notes")

# What the application's page shows of a parsed resume, in this order.
PARSED_FIELDS = (
    ("current_title", "Title"),
    ("location", "Location"),
    ("years_experience", "Years of experience"),
    ("skills", "Skills"),
    ("work_history", "Experience"),
    ("education", "Education"),
)


def _parsed_value(value) -> str:
    if isinstance(value, list):
        return "; ".join(_parsed_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(str(item) for item in value.values() if item not in (None, "", []))
    return "" if value is None else str(value)


def _parsed_resume(parsed: dict):
    """A parsed resume ({field: {"value", "confidence"}}) as a short definition list."""
    rows = [
        (label, text)
        for name, label in PARSED_FIELDS
        if (text := _parsed_value((parsed.get(name) or {}).get("value")))
    ]
    if not rows:
        return ""
    return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))


def _interview_write(
    interview: Interview,
    *,
    changed: Collection[str],
    actor,
    interviewer_ids: Collection[int] | None = None,
) -> Interview:
    """Write an interview edited in a form: schedule a new one, or apply the `changed` fields
    to a saved one. Setting the status to cancelled cancels it (after any other change)."""
    status = interview.status
    if interview.pk is None:
        saved = interview_schedule(
            application=interview.application,
            actor=actor,
            interviewer_ids=interviewer_ids or (),
            **{name: getattr(interview, name) for name in INTERVIEW_FIELDS},
        )
        fields, interviewer_ids = {}, None
        status_changed = status != Interview.Status.SCHEDULED
    else:
        saved = interview
        fields = {name: getattr(interview, name) for name in INTERVIEW_FIELDS if name in changed}
        status_changed = "status" in changed
    cancel = status_changed and status == Interview.Status.CANCELLED
    moved = status if status_changed and not cancel else None
    if fields or interviewer_ids is not None or moved is not None:
        saved = interview_update(
            interview=saved, actor=actor, interviewer_ids=interviewer_ids, status=moved, **fields
        )
    if cancel:
        saved = interview_cancel(interview=saved, actor=actor)
    return saved


class ScorecardForm(forms.ModelForm):
    """A scorecard's own fields; its author is whoever saves it, never chosen here."""

    submit = forms.BooleanField(
        required=False,
        help_text="Submit the scorecard (it then needs a recommendation); unticked, it stays a "
        "draft.",
    )

    class Meta:
        model = Scorecard
        fields = ("interview", *SCORECARD_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.submitted_at is not None:
            self.fields["submit"].initial = True
            self.fields["submit"].disabled = True


def _scorecard_write(form: ScorecardForm, *, interview: Interview, actor) -> Scorecard:
    """The request user's new scorecard, or the changes to their own one."""
    data = form.cleaned_data
    ratings = {} if data.get("ratings") is None else data["ratings"]
    scorecard = form.instance
    if scorecard.pk is None:
        return scorecard_submit(
            interview=interview,
            actor=actor,
            ratings=ratings,
            recommendation=data.get("recommendation", ""),
            notes=data.get("notes", ""),
            draft=not data.get("submit"),
        )
    fields = {name: data[name] for name in SCORECARD_FIELDS if name in form.changed_data}
    if "ratings" in fields:
        fields["ratings"] = ratings
    submit = bool(data.get("submit")) and scorecard.submitted_at is None
    if not fields and not submit:
        return scorecard
    return scorecard_update(scorecard=scorecard, actor=actor, submit=submit, **fields)


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
class ApplicationAdmin(CompanyScopedAdmin, ServiceModelAdmin):
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
        ("Dossier", {"fields": ("resume", "scorecards", "offer", "match")}),
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
    )

    actions = ("move_to_stage", "reject_with_email", "export_csv")

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.add_fieldsets

    # --- The dossier: what the change page shows beside the application ------------------------

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer_request = request  # the dossier shows what this user may see
        return obj

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
                    _parsed_resume(document.parsed),
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
        cards = _readable_scorecards(request, cards) if request is not None else cards.none()
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
        response = StreamingHttpResponse(applications_csv(allowed), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="applications-{stamp}.csv"'
        return response

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
                adopt(interview, _interview_write(interview, changed=(), actor=actor))
            for interview, changed in formset.changed_objects:
                adopt(interview, _interview_write(interview, changed=changed, actor=actor))
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
class DocumentAdmin(CompanyScopedAdmin, ReadOnlyModelAdmin):
    """Uploads come through the apply flow; deleting a row here would orphan its stored file.
    Members see the documents sent with their companies' applications."""

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


def _readable_scorecards(request, queryset):
    """Of `queryset`, the scorecards the user may read (scorecard_list): an interviewer sees
    the others' only after submitting their own."""
    if request.user.is_superuser:
        return queryset
    return queryset.filter(pk__in=scorecard_list(user=request.user).values("pk"))


class ScorecardInline(CompanyScopedInline, admin.StackedInline):
    """Scorecards added here are the request user's own; only its author edits one."""

    model = Scorecard
    company_perms = {
        "view": "interviews.view",
        "add": "interviews.feedback",
        "change": "interviews.feedback",
    }
    form = ScorecardForm
    fields = ("author", *SCORECARD_FIELDS, "submit", "submitted_at")
    readonly_fields = ("author", "submitted_at")
    extra = 0

    def get_queryset(self, request):
        return _readable_scorecards(request, super().get_queryset(request)).select_related("author")


class MyScorecardFilter(admin.SimpleListFilter):
    """The interviews waiting for the user's scorecard: over, not cancelled, not yet scored."""

    title = "my scorecard"
    parameter_name = "my_scorecard"

    def lookups(self, request, model_admin):
        return (("pending", "Pending"),)

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(pk__in=scorecards_pending(user=request.user).values("pk"))
        return queryset


@admin.register(Interview)
class InterviewAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    company_field = "application__job__company"
    company_perms = {
        "view": "interviews.view",
        "add": "interviews.schedule",
        "change": "interviews.schedule",
    }
    role_limits = INTERVIEW_ROLE_LIMITS
    list_display = ("title", "candidate", "job", "starts_at", "ends_at", "status")
    list_filter = ("status", MyScorecardFilter, ("starts_at", admin.DateFieldListFilter))
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
    actions = ("cancel_interviews",)

    @admin.display(description="candidate", ordering="application__candidate__email")
    def candidate(self, obj):
        return obj.application.candidate

    @admin.display(description="job", ordering="application__job__title")
    def job(self, obj):
        return obj.application.job

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("status", *self.readonly_fields)  # a new interview is scheduled
        if obj.status != Interview.Status.SCHEDULED:
            # Only what happened may still be corrected (completed ↔ no-show).
            return ("application", *INTERVIEW_FIELDS, "interviewers", *self.readonly_fields)
        return ("application", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        interviewer_ids = None
        if "interviewers" in form.changed_data:
            interviewer_ids = [user.pk for user in form.cleaned_data["interviewers"]]
        with self.calling_service():
            interview = _interview_write(
                obj, changed=form.changed_data, actor=request.user, interviewer_ids=interviewer_ids
            )
        adopt(obj, interview)

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the service in save_model has set the panel.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)  # fills new_objects, changed_objects and deleted_objects
        deleted = set(formset.deleted_forms)
        with self.calling_service():
            for scorecard_form in formset.forms:
                if scorecard_form in deleted or not scorecard_form.has_changed():
                    continue
                scorecard = _scorecard_write(
                    scorecard_form, interview=form.instance, actor=request.user
                )
                adopt(scorecard_form.instance, scorecard)
        # There is no service for deleting a scorecard.
        for scorecard in formset.deleted_objects:
            scorecard.delete()

    @admin.action(description="Cancel selected interviews", permissions=["change"])
    def cancel_interviews(self, request, queryset):
        self.run_service_action(
            request,
            queryset,
            lambda interview: interview_cancel(interview=interview, actor=request.user),
            "Cancelled {count} interview(s).",
        )


@admin.register(Scorecard)
class ScorecardAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """A scorecard added here is the request user's own; only its author edits one."""

    company_field = "interview__application__job__company"
    company_perms = {
        "view": "interviews.view",
        "add": "interviews.feedback",
        "change": "interviews.feedback",
    }
    role_limits = SCORECARD_ROLE_LIMITS

    def get_queryset(self, request):
        return _readable_scorecards(request, super().get_queryset(request))

    form = ScorecardForm
    list_display = ("interview", "author", "recommendation", "submitted_at", "created_at")
    list_filter = ("recommendation", ("submitted_at", admin.EmptyFieldListFilter))
    search_fields = ("author__email", "interview__application__candidate__email", "notes")
    list_select_related = ("interview", "author")
    autocomplete_fields = ("interview",)
    fields = ("interview", "author", *SCORECARD_FIELDS, "submit", "submitted_at", "created_at")
    readonly_fields = ("author", "submitted_at", "created_at")
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        if obj is not None and obj.author_id != request.user.pk:
            return tuple(name for name in self.fields if name != "submit")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        if obj.author_id != request.user.pk:
            return self.get_fields(request, obj)  # someone else's judgement: look, don't touch
        return ("interview", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        with self.calling_service():
            scorecard = _scorecard_write(form, interview=obj.interview, actor=request.user)
        adopt(obj, scorecard)


@admin.register(Offer)
class OfferAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """Offers are drafted and changed by offer_create / offer_update; the actions move them."""

    company_field = "application__job__company"
    company_perms = {"view": "offers.view", "add": "offers.manage", "change": "offers.manage"}
    role_limits = ON_APPLICATION_ROLE_LIMITS

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
    fields = (
        "application",
        *OFFER_FIELDS,
        "status",
        "sent_at",
        "responded_at",
        "created_by",
        "created_at",
    )
    readonly_fields = ("status", "sent_at", "responded_at", "created_by", "created_at")
    date_hierarchy = "created_at"
    actions = ("send_offers", "accept_offers", "decline_offers", "withdraw_offers")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        if obj.status != Offer.Status.DRAFT:
            return ("application", *OFFER_FIELDS, *self.readonly_fields)
        return ("application", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        with self.calling_service():
            if change:
                offer = offer_update(
                    offer=obj,
                    actor=request.user,
                    **{
                        name: getattr(obj, name)
                        for name in OFFER_FIELDS
                        if name in form.changed_data
                    },
                )
            else:
                offer = offer_create(
                    application=obj.application,
                    actor=request.user,
                    **{name: getattr(obj, name) for name in OFFER_FIELDS},
                )
        adopt(obj, offer)

    def _move(self, request, queryset, service, done: str) -> None:
        self.run_service_action(
            request, queryset, lambda offer: service(offer=offer, actor=request.user), done
        )

    @admin.action(description="Send selected offers", permissions=["change"])
    def send_offers(self, request, queryset):
        self._move(request, queryset, offer_send, "Sent {count} offer(s).")

    @admin.action(description="Record the candidate's acceptance", permissions=["change"])
    def accept_offers(self, request, queryset):
        self._move(request, queryset, offer_accept, "Marked {count} offer(s) accepted.")

    @admin.action(description="Record the candidate's refusal", permissions=["change"])
    def decline_offers(self, request, queryset):
        self._move(request, queryset, offer_decline, "Marked {count} offer(s) declined.")

    @admin.action(description="Withdraw selected offers", permissions=["change"])
    def withdraw_offers(self, request, queryset):
        self._move(request, queryset, offer_withdraw, "Withdrew {count} offer(s).")


@admin.register(Note)
class NoteAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """A note added here is the request user's; only its author edits or deletes it."""

    company_field = "application__job__company"
    company_perms = {
        "view": "applications.view",
        "add": "applications.comment",
        "change": "applications.comment",
        "delete": "applications.comment",
    }
    role_limits = ON_APPLICATION_ROLE_LIMITS

    list_display = ("excerpt", "application", "author", "created_at")
    search_fields = ("body", "author__email", "application__candidate__email")
    list_select_related = ("author", *APPLICATION_RELATED)
    autocomplete_fields = ("application",)
    fields = ("application", "body", "author", "api_key", "created_at")
    readonly_fields = ("author", "api_key", "created_at")
    actions = ("delete_notes",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="note")
    def excerpt(self, obj) -> str:
        return str(obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        if obj.author_id != request.user.pk:
            return ("application", "body", *self.readonly_fields)
        return ("application", *self.readonly_fields)

    def get_actions(self, request):
        # Deleting goes through note_delete (author only, audited), not a bulk delete.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change and "body" not in form.changed_data:
            return
        with self.calling_service():
            if change:
                note = note_update(note=obj, body=obj.body, actor=request.user)
            else:
                note = note_create(application=obj.application, body=obj.body, actor=request.user)
        adopt(obj, note)

    def delete_model(self, request, obj):
        with self.calling_service():
            note_delete(note=obj, actor=request.user)

    @admin.action(description="Delete selected notes", permissions=["delete"])
    def delete_notes(self, request, queryset):
        self.run_service_action(
            request,
            queryset,
            lambda note: note_delete(note=note, actor=request.user),
            "Deleted {count} note(s).",
        )


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ("company", "name", "subject", "body", "send_on_stage", "is_active")
        help_texts = {
            "body": "Merge fields: "
            + ", ".join(f"{{{{ {name} }}}} ({what})" for name, what in MERGE_FIELDS.items())
            + ".",
        }


@admin.register(EmailTemplate)
class EmailTemplateAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """Emails to candidates with merge fields, previewed here; one may go out by itself when an
    application enters a chosen stage."""

    form = EmailTemplateForm
    company_perms = {
        "view": "applications.view",
        "add": "applications.reject",
        "change": "applications.reject",
    }
    list_display = ("name", "company", "subject", "send_on_stage", "is_active", "updated_at")
    list_filter = ("is_active", TenantCompanyFilter)
    search_fields = ("name", "subject", "body")
    list_select_related = ("company", "send_on_stage")
    autocomplete_fields = ("company",)
    readonly_fields = ("preview", "created_at", "updated_at")
    fields = (
        "company",
        "name",
        "subject",
        "body",
        "send_on_stage",
        "is_active",
        "preview",
        "created_at",
        "updated_at",
    )

    @admin.display(description="preview (sample values)")
    def preview(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "Save the template to see it with sample values."
        subject, body = template_render(obj)
        return format_html(
            "<strong>{}</strong><pre style='white-space:pre-wrap'>{}</pre>", subject, body
        )

    def save_model(self, request, obj, form, change):
        with self.calling_service():
            adopt(obj, email_template_save(template=obj, actor=request.user))
