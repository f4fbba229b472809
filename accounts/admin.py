"""The back office for accounts: users, companies, members, API keys and the audit trail.

Writes that have a service go through it, so they are checked and audited like any other door.
The helpers at the top (`ServiceModelAdmin`, `TenantCompanyFilter`) are shared by the admins
of the apps above accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from allauth.account.adapter import get_adapter as get_account_adapter
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut as contenttype_shortcut
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponseRedirect

from accounts.admin_reads import AuditedChangeViewMixin
from accounts.mail import email_suppression_add
from accounts.models import (
    ApiKey,
    AuditEvent,
    CandidateProfile,
    ClerkEvent,
    Company,
    EmailSuppression,
    Membership,
    Notification,
    NotificationPreference,
    OutboundEmail,
    OutboundPush,
    PushSubscription,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from accounts.permissions import company_ids_with, has_perm, scope_queryset
from accounts.services import (
    API_KEY_SCOPES,
    api_key_create,
    api_key_revoke,
    company_create,
    membership_remove,
    membership_set,
)
from accounts.webhooks import (
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_ping,
    webhook_redeliver,
)
from recruitment.api import ApplicationError

# What a service raises when it refuses a write; the admin shows these, it never answers 500.
SERVICE_ERRORS = (ApplicationError, ValidationError, PermissionDenied)


def service_error_message(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return " ".join(
                f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
                for field, errors in exc.message_dict.items()
            )
        return " ".join(exc.messages)
    return str(exc) or "You do not have permission to do this."


class ServiceRefused(Exception):
    """A service refused a write made through an admin form; the view rolls back and says why."""


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved `obj` the row a service just saved, so the admin carries on."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes call services; a refused write becomes an error message."""

    @contextmanager
    def calling_service(self) -> Iterator[None]:
        """Wrap a service call made from save_model, save_formset or delete_model."""
        try:
            yield
        except SERVICE_ERRORS as exc:
            raise ServiceRefused(service_error_message(exc)) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as exc:
            # The view's transaction has rolled back (and the admin log entry with it).
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def run_service_action(
        self, request, queryset, service: Callable[[models.Model], object], done: str
    ) -> None:
        """Call `service(obj)` for each selected row; report each refusal and the count done."""
        count = 0
        for obj in queryset:
            try:
                service(obj)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{obj}: {service_error_message(exc)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done.format(count=count), messages.SUCCESS)


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows written only by the system (outbox, history, crawls): look, don't touch.

    Set `deletable = True` for derived rows that may be cleaned up (they also then don't block
    deleting the rows they cascade from).
    """

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


def _is_superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


def view_on_site(request, content_type_id: int, object_id: str):
    """The admin's "View on site" link, limited to what the member may see in the admin.

    Django's own (`admin/r/<ct>/<id>/`) redirects any staff member to any object's public
    URL, which tells another company's staff the slugs of a job they may not see. This one
    finds the object through its ModelAdmin's scoped queryset and view permission, and answers
    404 for anything else (mounted before the admin's URLs, wrapped in `admin_view`).
    """
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type is not None else None
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        raise Http404("No such object.")
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None or not model_admin.has_view_or_change_permission(request, obj):
        raise Http404("No such object.")
    return contenttype_shortcut(request, content_type_id, object_id)


# The company permission a member needs to see a company in the back office at all: every
# role has it.
MEMBER_PERM = "jobs.view"


class CompanyPermissionsMixin:
    """View, change and delete permissions from the company permissions of `_allows(request,
    action, obj)` for members; Django's own for superusers."""

    def has_view_permission(self, request, obj=None):
        if _is_superuser(request):
            return super().has_view_permission(request, obj)
        return self._allows(request, "view", obj) or self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if _is_superuser(request):
            return super().has_change_permission(request, obj)
        return self._allows(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        if _is_superuser(request):
            return super().has_delete_permission(request, obj)
        return self._allows(request, "delete", obj)


class MemberChoicesMixin:
    """Choices in a member's forms: foreign keys and many-to-many fields offer only rows of
    company-scoped admins the member may see, people only their co-members, and companies only
    those where the admin's add (or change) permission holds."""

    def get_autocomplete_fields(self, request):
        fields = super().get_autocomplete_fields(request)
        if _is_superuser(request):
            return fields
        # People are chosen among co-members (a short list), not looked up among all users.
        return tuple(
            name for name in fields if self.model._meta.get_field(name).related_model is not User
        )

    def member_people(self, request, field_name: str):
        """Whom a member may choose in a field pointing at users: their co-members."""
        ids = company_ids_with(request.user, MEMBER_PERM)
        return User.objects.filter(memberships__company__in=ids).distinct().order_by("email")

    def member_choices(self, request, db_field):
        """The rows a member may choose in `db_field`, or None to leave its choices alone."""
        related = db_field.related_model
        if related is User:
            return self.member_people(request, db_field.name)
        if related is Company:
            action = "add" if "add" in self.company_perms else "change"
            perm = self.company_perms.get(action) or self.company_perms.get("view", MEMBER_PERM)
            return Company.objects.filter(pk__in=company_ids_with(request.user, perm)).order_by(
                "name"
            )
        related_admin = self.admin_site._registry.get(related)
        if isinstance(related_admin, CompanyScopedAdmin):
            return related_admin.get_queryset(request)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and not _is_superuser(request):
            choices = self.member_choices(request, db_field)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and not _is_superuser(request):
            choices = self.member_choices(request, db_field)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CompanyScopedAdmin(CompanyPermissionsMixin, MemberChoicesMixin, admin.ModelAdmin):
    """Company data in the back office: a member sees and changes only their own companies'
    rows, as their role allows (accounts.permissions); superusers see everything.

    - `company_field`: the path from the model to its Company ("pk" for Company itself).
    - `company_perms`: the company permission each admin permission ("view", "add", "change",
      "delete") needs; one left out is for superusers only.
    - `role_limits`: roles that see only some rows of their companies, with the path to the
      users those rows belong to (see `scope_queryset`).

    A row outside the user's scope answers 404, and an action on one 403; form choices are
    limited as MemberChoicesMixin says. Django's model permissions are not consulted for
    members: their role is the permission.
    """

    company_field = "company"
    company_perms: dict[str, str] = {}
    role_limits: dict[str, str] = {}

    def company_of(self, obj) -> Company:
        """The (unsaved, id-only) company of `obj`, found along `company_field`."""
        if self.company_field == "pk":
            return obj
        *path, last = self.company_field.split("__")
        for name in path:
            obj = getattr(obj, name)
        return Company(pk=getattr(obj, f"{last}_id"))

    def _allows(self, request, action: str, obj=None) -> bool:
        perm = self.company_perms.get(action)
        if perm is None:
            return False
        return has_perm(request.user, perm, None if obj is None else self.company_of(obj))

    def has_module_permission(self, request):
        if _is_superuser(request):
            return super().has_module_permission(request)
        return self._allows(request, "view")

    def has_add_permission(self, request, *args):
        if _is_superuser(request):
            return super().has_add_permission(request, *args)
        return self._allows(request, "add")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_superuser(request):
            return queryset
        perm = self.company_perms.get("view")
        if perm is None:
            return queryset.none()
        return scope_queryset(
            queryset, request.user, perm, self.company_field, role_limits=self.role_limits
        )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and self.company_field == "company" and "company" not in fields:
            # A saved row stays with its company: its stages, members and history are there.
            return ("company", *fields)
        return fields

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not _is_superuser(request):
            # Another company's row is answered like one that does not exist.
            raise Http404("No such object.")
        return obj

    def response_action(self, request, queryset):
        selected = set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
        if selected and not _is_superuser(request):
            try:
                found = queryset.filter(pk__in=selected).count()
            except (ValueError, ValidationError) as exc:
                raise BadRequest("The selected rows are not valid ids.") from exc
            if found < len(selected):
                raise PermissionDenied("Some of the selected rows are not yours to act on.")
        return super().response_action(request, queryset)


class CompanyScopedInline(
    CompanyPermissionsMixin, MemberChoicesMixin, admin.options.InlineModelAdmin
):
    """An inline of a CompanyScopedAdmin: its permissions are company permissions on the
    parent's company (`company_perms`, as in CompanyScopedAdmin); superusers keep Django's."""

    company_perms: dict[str, str] = {}

    def _allows(self, request, action: str, obj=None) -> bool:
        perm = self.company_perms.get(action)
        if perm is None:
            return False
        parent_admin = self.admin_site._registry[self.parent_model]
        return has_perm(request.user, perm, None if obj is None else parent_admin.company_of(obj))

    def has_add_permission(self, request, obj=None):
        if _is_superuser(request):
            return super().has_add_permission(request, obj)
        return self._allows(request, "add", obj)


class TenantCompanyFilter(admin.SimpleListFilter):
    """Filter by a tenant company; listing every scraped employer would be far too long. A
    member is offered only their own companies."""

    title = "company"
    parameter_name = "company"
    field_path = "company"

    def lookups(self, request, model_admin):
        companies = Company.objects.filter(is_tenant=True)
        if not _is_superuser(request):
            companies = companies.filter(pk__in=company_ids_with(request.user, MEMBER_PERM))
        return companies.order_by("name").values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.field_path}_id": self.value()})
        return queryset


def tenant_company_filter(field_path: str) -> type[TenantCompanyFilter]:
    """A TenantCompanyFilter for a company reached through `field_path`, e.g. "job__company"."""
    return type(
        f"TenantCompanyFilter[{field_path}]",
        (TenantCompanyFilter,),
        {"field_path": field_path, "parameter_name": field_path.replace("__", "_")},
    )


def with_has_embedding(queryset):
    """Never load vectors into the admin; only say whether one is there."""
    return queryset.defer("embedding").annotate(
        has_embedding_=ExpressionWrapper(Q(embedding__isnull=False), output_field=BooleanField())
    )


class EmbeddingDisplayMixin:
    @admin.display(boolean=True, description="embedded")
    def has_embedding(self, obj) -> bool:
        return bool(getattr(obj, "has_embedding_", False))


# --- Logging in -------------------------------------------------------------------------------


class AdminLoginForm(AdminAuthenticationForm):
    """The back office's login form, with allauth's login rate limits (ACCOUNT_RATE_LIMITS
    "login_failed": per address and per IP), so the admin is no easier to brute-force than the
    site's own login page."""

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            self.user_cache = get_account_adapter(self.request).authenticate(
                self.request, email=email.strip().lower(), password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


# --- Users ------------------------------------------------------------------------------------


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        # Stored lower case, like UserManager and accounts.services.user_create do.
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "full_name",
            "clerk_user_id",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name", "clerk_user_id")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "full_name", "is_staff", "is_superuser", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name", "clerk_user_id")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    show_full_result_count = False


@admin.register(CandidateProfile)
class CandidateProfileAdmin(AuditedChangeViewMixin, EmbeddingDisplayMixin, admin.ModelAdmin):
    read_action = "candidate.viewed"
    list_display = (
        "user",
        "headline",
        "city",
        "country",
        "remote_preference",
        "seniority",
        "has_embedding",
        "updated_at",
    )
    list_filter = ("remote_preference", "seniority", "desired_salary_period")
    search_fields = ("user__email", "user__full_name", "headline", "city")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    exclude = ("embedding",)
    readonly_fields = ("has_embedding", "content_hash", "created_at", "updated_at")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_queryset(self, request):
        return with_has_embedding(super().get_queryset(request))

    def read_company(self, obj):
        return None  # a profile is the person's own, not a company's


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "application_updates",
        "interview_updates",
        "match_digest",
        "recruiter_digest",
        "product_news",
        "updated_at",
    )
    list_filter = (
        "match_digest",
        "recruiter_digest",
        "application_updates",
        "interview_updates",
        "product_news",
    )
    search_fields = ("user__email", "user__full_name")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("updated_at",)
    show_full_result_count = False


# --- Companies and members --------------------------------------------------------------------


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Moving a membership to another person is a removal plus an addition.
            self.fields["user"].disabled = True


class MembershipInline(CompanyScopedInline, admin.TabularInline):
    model = Membership
    company_perms = {
        "view": "members.manage",
        "add": "members.manage",
        "change": "members.manage",
        "delete": "members.manage",
    }
    form = MembershipInlineForm
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """A member sees their own companies; company admins edit them and their members."""

    company_field = "pk"
    company_perms = {"view": MEMBER_PERM, "change": "company.edit"}
    list_display = ("name", "slug", "is_tenant", "website", "created_at")
    list_filter = ("is_tenant",)
    search_fields = ("name", "slug", "website")
    prepopulated_fields = {"slug": ("name",)}
    ordering = (Lower("name"),)  # uses the accounts_company_name_lower index
    readonly_fields = ("clerk_organization_id", "created_at")
    fields = (
        "name",
        "slug",
        "is_tenant",
        "website",
        "description",
        "clerk_organization_id",
        "created_at",
    )
    inlines = (MembershipInline,)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # company_create also gives the company its default pipeline stages.
        with self.calling_service():
            company = company_create(
                name=obj.name,
                slug=obj.slug,
                website=obj.website,
                description=obj.description,
                is_tenant=obj.is_tenant,
                actor=request.user,
            )
        adopt(obj, company)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        company = form.instance
        changed = [membership for membership, _ in formset.changed_objects]
        with self.calling_service():
            # Additions and role changes first, so that an owner can be replaced in one save.
            for membership in [*formset.new_objects, *changed]:
                membership_set(
                    company=company, user=membership.user, role=membership.role, actor=request.user
                )
            for membership in formset.deleted_objects:
                membership_remove(membership=membership, actor=request.user)


class MembershipAddForm(forms.ModelForm):
    """A new member is named by the email of their account, not picked from every user."""

    email = forms.EmailField(help_text="The email address of the person's account.")

    class Meta:
        model = Membership
        fields = ("company", "role")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise ValidationError(
                "No active account uses this email; ask the person to sign up first."
            )
        self.instance.user = user
        return email


@admin.register(Membership)
class MembershipAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    company_perms = {
        "view": "members.manage",
        "add": "members.manage",
        "change": "members.manage",
        "delete": "members.manage",
    }
    list_display = ("user", "company", "role", "created_at")
    list_filter = ("role", TenantCompanyFilter)
    search_fields = ("user__email", "user__full_name", "company__name")
    list_select_related = ("user", "company")
    autocomplete_fields = ("user", "company")
    actions = ("remove_memberships",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("user", "company", "created_at")
        return ("created_at",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("company", "email", "role")
        return super().get_fields(request, obj)

    def get_actions(self, request):
        # Removal goes through membership_remove (audited, keeps an owner), not a bulk delete.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        with self.calling_service():
            membership = membership_set(
                company=obj.company, user=obj.user, role=obj.role, actor=request.user
            )
        adopt(obj, membership)

    def delete_model(self, request, obj):
        with self.calling_service():
            membership_remove(membership=obj, actor=request.user)

    @admin.action(description="Remove selected memberships", permissions=["delete"])
    def remove_memberships(self, request, queryset):
        self.run_service_action(
            request,
            queryset,
            lambda membership: membership_remove(membership=membership, actor=request.user),
            "Removed {count} membership(s).",
        )


# --- API keys ---------------------------------------------------------------------------------


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in sorted(API_KEY_SCOPES)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ApiKey
        fields = ("company", "name", "scopes", "expires_at")


@admin.register(ApiKey)
class ApiKeyAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """Keys are made by api_key_create and revoked by api_key_revoke; the secret is never shown."""

    company_perms = {
        "view": "apikeys.manage",
        "add": "apikeys.manage",
        "change": "apikeys.manage",
    }

    form = ApiKeyForm
    list_display = (
        "name",
        "company",
        "prefix",
        "scope_list",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "is_usable",
        "created_at",
    )
    list_filter = (
        ("revoked_at", admin.EmptyFieldListFilter),
        ("expires_at", admin.EmptyFieldListFilter),
        TenantCompanyFilter,
    )
    search_fields = ("name", "prefix", "company__name")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)
    actions = ("revoke_keys",)
    # Everything but the name is fixed once the key exists; secret_hash is never on a page.
    change_readonly_fields = (
        "company",
        "prefix",
        "scope_list",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "created_by",
        "created_at",
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("company", "name", "scopes", "expires_at")
        return ("name", *self.change_readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj is not None else ()

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm  # only the name stays editable
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: revocation is audited and keeps the key's history

    @admin.display(description="scopes")
    def scope_list(self, obj) -> str:
        return ", ".join(obj.scopes) if obj.scopes else "—"

    @admin.display(boolean=True, description="usable")
    def is_usable(self, obj) -> bool:
        return obj.is_usable

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        with self.calling_service():
            api_key, token = api_key_create(
                company=obj.company,
                name=obj.name,
                scopes=list(obj.scopes),
                actor=request.user,
                expires_at=obj.expires_at,
            )
        adopt(obj, api_key)
        self.message_user(
            request,
            f"The token of the key “{api_key.name}” is {token} — copy it now: "
            "it is not stored and will not be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        self.run_service_action(
            request,
            queryset.select_related("company"),
            lambda api_key: api_key_revoke(api_key=api_key, actor=request.user),
            "Revoked {count} API key(s).",
        )


# --- Outbox and audit trail -------------------------------------------------------------------


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyModelAdmin):
    list_display = ("to", "kind", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("to", "subject", "kind", "dedupe_key", "provider_message_id")
    date_hierarchy = "created_at"
    exclude = ("attachments",)  # base64 blobs; their names are shown instead
    readonly_fields = ("attachment_names",)
    show_full_result_count = False

    @admin.display(description="attachments")
    def attachment_names(self, obj) -> str:
        names = [a.get("filename", "?") for a in obj.attachments if isinstance(a, dict)]
        return ", ".join(names) or "—"


class ActorFilter(admin.SimpleListFilter):
    """Who acted: a member of the user's companies (all members, for superusers), or the
    system and API keys (no person)."""

    title = "actor"
    parameter_name = "actor"
    MAX_CHOICES = 200

    def lookups(self, request, model_admin):
        members = User.objects.filter(memberships__isnull=False)
        if not _is_superuser(request):
            members = members.filter(
                memberships__company__in=company_ids_with(request.user, "audit.view")
            )
        people = members.distinct().order_by("email").values_list("pk", "email")
        return [("none", "System or API key"), *people[: self.MAX_CHOICES]]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(actor__isnull=True)
        if self.value() and self.value().isdigit():
            return queryset.filter(actor_id=int(self.value()))
        return queryset


class AuditKindFilter(admin.SimpleListFilter):
    """What kind of event: a read of personal data (the GDPR's "who saw it"), a security
    change (roles, keys, sign-in and sessions), or any other change."""

    title = "kind"
    parameter_name = "kind"
    READS = (
        "candidate.viewed",
        "candidates.exported",
        "document.viewed",
        "document.downloaded",
        "privacy.exported",
    )
    # Prefixes: `membership.role_changed`, `apikey.revoked`, `user.deactivated`, ...
    SECURITY_PREFIXES = (
        "membership.",
        "apikey.",
        "user.",
        "session",
        "login",
        "password",
        "clerk.",
        "webhook.secret_rotated",
    )

    def lookups(self, request, model_admin):
        return (
            ("reads", "Reads of personal data"),
            ("security", "Security"),
            ("changes", "Changes"),
        )

    def _security(self) -> Q:
        security = Q()
        for prefix in self.SECURITY_PREFIXES:
            security |= Q(action__startswith=prefix)
        return security

    def queryset(self, request, queryset):
        if self.value() == "reads":
            return queryset.filter(action__in=self.READS)
        if self.value() == "security":
            return queryset.filter(self._security())
        if self.value() == "changes":
            return queryset.exclude(action__in=self.READS).exclude(self._security())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(CompanyScopedAdmin, ReadOnlyModelAdmin):
    """The audit trail, read-only: filter by kind (reads of personal data, security,
    changes), actor, action, target type, company and date; search by who, what and target
    (`=ID` for a target's id)."""

    company_perms = {"view": "audit.view"}
    list_display = (
        "created_at",
        "actor_label",
        "action",
        "company",
        "target_type",
        "target_repr",
        "ip_address",
    )
    list_filter = (
        AuditKindFilter,
        ActorFilter,
        "action",
        "target_type",
        TenantCompanyFilter,
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("actor_label", "target_repr", "action", "=target_id")
    list_select_related = ("company",)
    date_hierarchy = "created_at"
    show_full_result_count = False


# --- Email suppression ------------------------------------------------------------------------


class EmailSuppressionForm(forms.ModelForm):
    class Meta:
        model = EmailSuppression
        fields = ("email", "reason", "detail", "esp_name")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


@admin.register(EmailSuppression)
class EmailSuppressionAdmin(ServiceModelAdmin):
    """Addresses never mailed again. Staff may add one by hand, or delete one to lift it."""

    form = EmailSuppressionForm
    list_display = ("email", "reason", "esp_name", "created_at")
    list_filter = ("reason", "esp_name")
    search_fields = ("email",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        return {"reason": EmailSuppression.Reason.MANUAL}

    def save_model(self, request, obj, form, change):
        with self.calling_service():
            suppression = email_suppression_add(
                email=obj.email, reason=obj.reason, detail=obj.detail, esp_name=obj.esp_name
            )
        adopt(obj, suppression)


# --- Webhooks ---------------------------------------------------------------------------------


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """Endpoints are made through the API (which shows the secret once); here staff pause,
    describe, ping or delete them. The secret is never on a page."""

    company_perms = {
        "view": "webhooks.manage",
        "change": "webhooks.manage",
        "delete": "webhooks.manage",
    }

    list_display = ("url", "company", "event_list", "is_active", "created_at", "updated_at")
    list_filter = ("is_active", TenantCompanyFilter)
    search_fields = ("url", "description", "company__name")
    list_select_related = ("company",)
    fields = (
        "company",
        "url",
        "description",
        "events",
        "is_active",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("company", "url", "events", "created_by", "created_at", "updated_at")
    actions = ("ping_endpoints",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def get_actions(self, request):
        # Deleting goes through webhook_endpoint_delete (audited), not a bulk delete.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="events")
    def event_list(self, obj) -> str:
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        with self.calling_service():
            endpoint = webhook_endpoint_update(
                endpoint=WebhookEndpoint.objects.get(pk=obj.pk),
                actor=request.user,
                description=obj.description,
                is_active=obj.is_active,
            )
        adopt(obj, endpoint)

    def delete_model(self, request, obj):
        with self.calling_service():
            webhook_endpoint_delete(endpoint=obj, actor=request.user)

    @admin.action(description="Send a ping to the selected endpoints", permissions=["change"])
    def ping_endpoints(self, request, queryset):
        self.run_service_action(
            request,
            queryset,
            lambda endpoint: webhook_ping(endpoint=endpoint, actor=request.user),
            "Queued a ping to {count} endpoint(s).",
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(CompanyScopedAdmin, ServiceModelAdmin):
    """The webhook outbox: written by the system, read here; a delivery can be sent again."""

    company_field = "endpoint__company"
    company_perms = {"view": "webhooks.manage"}

    list_display = (
        "created_at",
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("event_id", "endpoint__url")
    list_select_related = ("endpoint__company",)
    actions = ("redeliver",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request) -> bool:
        if not _is_superuser(request):
            return self._allows(request, "view")
        return request.user.has_perm("accounts.view_webhookdelivery") and (
            request.user.has_perm("accounts.change_webhookendpoint")
        )

    @admin.action(description="Deliver the selected events again", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        self.run_service_action(
            request,
            queryset.select_related("endpoint"),
            lambda delivery: webhook_redeliver(delivery=delivery, actor=request.user),
            "Queued {count} delivery(ies) again.",
        )


# --- In-app notifications and web push (accounts.notifications, accounts.push) -----------------


@admin.register(Notification)
class NotificationAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "user", "kind", "title", "read_at")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("user__email", "title", "dedupe_key")
    list_select_related = ("user",)
    show_full_result_count = False


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnlyModelAdmin):
    """Browsers subscribed to web push. Deleting one stops its pushes (the browser can
    subscribe again from the notification settings page)."""

    deletable = True
    list_display = ("user", "browser_label", "created_at", "last_used_at")
    search_fields = ("user__email", "endpoint")
    list_select_related = ("user",)
    exclude = ("auth",)  # the browser's secret for decrypting its pushes
    show_full_result_count = False


@admin.register(OutboundPush)
class OutboundPushAdmin(ReadOnlyModelAdmin):
    """The push outbox: written by the system, sent by accounts.push_send(_due)."""

    list_display = (
        "created_at",
        "notification",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("dedupe_key", "notification__user__email")
    list_select_related = ("notification__user",)
    show_full_result_count = False


@admin.register(ClerkEvent)
class ClerkEventAdmin(ReadOnlyModelAdmin):
    """Clerk's webhook deliveries as received, and what processing did with them
    (accounts.clerk). Platform-wide and full of personal data: superusers only."""

    list_display = ("received_at", "event_type", "svix_id", "status", "detail", "processed_at")
    list_filter = ("status", "event_type", ("received_at", admin.DateFieldListFilter))
    search_fields = ("svix_id",)
    date_hierarchy = "received_at"
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return _is_superuser(request)


from accounts import privacy_admin  # noqa: E402, F401 (registers ErasureRequestAdmin)
