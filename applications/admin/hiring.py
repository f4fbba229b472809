"""The back office for hiring: interviews, scorecards, offers and notes, written through the
services of applications.hiring, so the admin keeps their rules and audit records like the
partner API does; a refused write is an error message."""

from __future__ import annotations

from collections.abc import Collection

from django import forms
from django.contrib import admin

from accounts.admin import (
    CompanyScopedAdmin,
    CompanyScopedInline,
    ServiceModelAdmin,
    adopt,
)
from applications.admin.common import APPLICATION_RELATED, SCORECARD_FIELDS, readable_scorecards
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
    scorecard_submit,
    scorecard_update,
    scorecards_pending,
)
from applications.models import (
    Interview,
    Note,
    Offer,
    Scorecard,
)
from applications.selectors import (
    INTERVIEW_ROLE_LIMITS,
    ON_APPLICATION_ROLE_LIMITS,
    SCORECARD_ROLE_LIMITS,
)


def interview_form_write(
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


def scorecard_form_write(form: ScorecardForm, *, interview: Interview, actor) -> Scorecard:
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
        return readable_scorecards(request, super().get_queryset(request)).select_related("author")


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
            interview = interview_form_write(
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
                scorecard = scorecard_form_write(
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
        return readable_scorecards(request, super().get_queryset(request))

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
            scorecard = scorecard_form_write(form, interview=obj.interview, actor=request.user)
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
