"""The back office's list of erasure requests (accounts.privacy): pending ones first, soonest
deadline first, overdue ones flagged; "erase now" and "refuse" (with a reason) call the
services, which audit them.

Only superusers and staff given the Django permissions of ErasureRequest see it: company
members are staff too, but a request concerns the whole platform, not one company.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin import SERVICE_ERRORS, ReadOnlyModelAdmin, service_error_message
from accounts.models import ConsentRecord, ErasureRequest, ReturningApplicant
from accounts.privacy import erasure_request_erase, erasure_request_refuse


class RefuseForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        label="Why the request is refused",
        help_text="The candidate may be told; write the legal ground (e.g. GDPR art. 17(3)(e)).",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PendingFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("overdue", "Overdue"), ("all", "All")]

    def choices(self, changelist):
        # "Pending" is the default view, so the list opens on what needs an answer.
        value = self.value() or "pending"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "pending"
        if value == "all":
            return queryset
        pending = queryset.filter(status=ErasureRequest.Status.PENDING)
        if value == "overdue":
            return pending.filter(due_at__lt=timezone.now())
        return pending


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = ("__str__", "person", "requested_at", "deadline", "status", "resolved_by")
    list_filter = (PendingFilter,)
    list_select_related = ("user", "resolved_by")
    readonly_fields = (
        "user",
        "status",
        "reason",
        "requested_at",
        "due_at",
        "resolved_at",
        "resolved_by",
    )
    actions = ["erase_now", "refuse"]
    show_full_result_count = False

    def get_queryset(self, request):
        # Pending first, then the soonest deadline.
        return (
            super()
            .get_queryset(request)
            .annotate(
                _open=Case(
                    When(status=ErasureRequest.Status.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("_open", "due_at", "pk")
        )

    def get_ordering(self, request):
        return ("due_at", "pk")

    def has_add_permission(self, request):
        return False  # filed by the person (privacy page) or by staff through the shell

    def has_delete_permission(self, request, obj=None):
        return False  # the record that a request was answered

    @admin.display(description="Person")
    def person(self, obj: ErasureRequest) -> str:
        return obj.user.email if obj.user_id else "—"

    @admin.display(description="Deadline", ordering="due_at")
    def deadline(self, obj: ErasureRequest) -> str:
        text = f"{obj.due_at:%Y-%m-%d}"
        if obj.status == ErasureRequest.Status.PENDING and obj.due_at < timezone.now():
            return format_html('<strong class="errornote">{} (overdue)</strong>', text)
        return text

    @admin.action(description="Erase the selected people now", permissions=["change"])
    def erase_now(self, request, queryset):
        done = 0
        for erasure_request in queryset.select_related("user"):
            try:
                erasure_request_erase(request=erasure_request, actor=request.user)
            except SERVICE_ERRORS as exc:
                self.message_user(
                    request, f"{erasure_request}: {service_error_message(exc)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"Erased {done} person(s).", messages.SUCCESS)

    @admin.action(description="Refuse the selected requests…", permissions=["change"])
    def refuse(self, request, queryset):
        form = RefuseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for erasure_request in queryset:
                try:
                    erasure_request_refuse(
                        request=erasure_request,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except SERVICE_ERRORS as exc:
                    self.message_user(
                        request, f"{erasure_request}: {service_error_message(exc)}", messages.ERROR
                    )
                else:
                    done += 1
            if done:
                self.message_user(request, f"Refused {done} request(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Refuse erasure requests",
            "form": form,
            "requests": queryset.order_by("due_at", "pk")[:50],
            "action": request.POST.get("action", ""),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/accounts/erasurerequest/refuse.html", context)


class _PlatformRecordAdmin(ReadOnlyModelAdmin):
    """Records about people across the whole platform, written only by the system: superusers
    may look, nobody may change them (company members never see them)."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(_PlatformRecordAdmin):
    """Every consent given or withdrawn, with the version of the text agreed to."""

    list_display = ("created_at", "user", "purpose", "granted", "text_version", "subject")
    list_filter = ("purpose", "granted", "text_version", ("created_at", admin.DateFieldListFilter))
    search_fields = ("user__email", "subject")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(ReturningApplicant)
class ReturningApplicantAdmin(_PlatformRecordAdmin):
    """The salted email hashes kept of anonymised candidates (retention), to recognise one who
    applies again; no address is kept, so there is nothing to search by."""

    list_display = ("email_hash", "anonymised_at", "applications", "returned_at")
    list_filter = (("anonymised_at", admin.DateFieldListFilter),)
    date_hierarchy = "anonymised_at"
    show_full_result_count = False
