"""The back office for email templates to candidates."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from accounts.admin import (
    CompanyScopedAdmin,
    ServiceModelAdmin,
    TenantCompanyFilter,
    adopt,
)
from applications.emails import MERGE_FIELDS, email_template_save, template_render
from applications.models import (
    EmailTemplate,
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
