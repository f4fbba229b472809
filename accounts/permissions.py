"""The permission core: roles, what each role may do, and company-scoped checks.

Roles are per company (a Membership). A higher role can do everything a lower one can:
owner > admin > recruiter > hiring_manager > interviewer. Candidates have no membership and
no company permission at all. Superusers may do everything everywhere.

Every API view, page and admin view asks `has_perm(user, "<area>.<action>", obj)`; selectors
use `company_ids_with(user, perm)` to scope their querysets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Company, Membership, Role

# From most to least powerful.
ROLE_HIERARCHY: tuple[str, ...] = (
    Role.OWNER,
    Role.ADMIN,
    Role.RECRUITER,
    Role.HIRING_MANAGER,
    Role.INTERVIEWER,
)

# What each role adds to the one below it. The full set of a role is its own plus all below.
_ROLE_GRANTS: dict[str, frozenset[str]] = {
    Role.INTERVIEWER: frozenset(
        {
            "jobs.view",
            "interviews.view",
            "interviews.feedback",
        }
    ),
    Role.HIRING_MANAGER: frozenset(
        {
            "applications.view",
            "applications.comment",
            "applications.rate",
            "candidates.view",
            "interviews.view_all_feedback",
            "offers.view",
            "matches.view",
            "reports.view",
        }
    ),
    Role.RECRUITER: frozenset(
        {
            "jobs.create",
            "jobs.edit",
            "jobs.publish",
            "applications.create",
            "applications.move",
            "applications.reject",
            "applications.hire",
            "candidates.export",
            "documents.download",
            "interviews.schedule",
            "offers.manage",
            "pipeline.run",
        }
    ),
    Role.ADMIN: frozenset(
        {
            "members.manage",
            "apikeys.manage",
            "webhooks.manage",
            "stages.manage",
            "company.edit",
            "audit.view",
        }
    ),
    Role.OWNER: frozenset({"company.delete", "owners.manage"}),
}


def _build_role_permissions() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    inherited: frozenset[str] = frozenset()
    for role in reversed(ROLE_HIERARCHY):
        inherited = inherited | _ROLE_GRANTS[role]
        table[role] = inherited
    return table


ROLE_PERMISSIONS: dict[str, frozenset[str]] = _build_role_permissions()
ALL_PERMISSIONS: frozenset[str] = ROLE_PERMISSIONS[Role.OWNER]


# The API key scope that grants each company permission to a key. A key acts only in its own
# company; `<resource>:write` includes `<resource>:read`. Permissions missing here (members,
# company settings, ...) are never granted to a key.
KEY_SCOPE_OF_PERM: dict[str, str] = {
    "jobs.view": "jobs:read",
    "jobs.create": "jobs:write",
    "jobs.edit": "jobs:write",
    "jobs.publish": "jobs:write",
    "applications.view": "applications:read",
    "applications.create": "applications:write",
    "applications.move": "applications:write",
    "applications.reject": "applications:write",
    "applications.hire": "applications:write",
    "applications.comment": "applications:write",
    "applications.rate": "applications:write",
    "candidates.view": "candidates:read",
    "candidates.export": "candidates:read",
    "documents.download": "documents:read",
    "interviews.view": "interviews:read",
    "interviews.view_all_feedback": "interviews:read",
    "interviews.schedule": "interviews:write",
    "interviews.feedback": "interviews:write",
    "offers.view": "offers:read",
    "offers.manage": "offers:write",
    "matches.view": "matches:read",
    "webhooks.manage": "webhooks:write",
    "pipeline.run": "pipeline:write",
}


def key_has_scope(api_key, scope: str) -> bool:
    resource, _, access = scope.partition(":")
    scopes = api_key.scopes
    return scope in scopes or (access == "read" and f"{resource}:write" in scopes)


def key_has_perm(api_key, perm: str) -> bool:
    scope = KEY_SCOPE_OF_PERM.get(perm)
    return scope is not None and key_has_scope(api_key, scope)


def person_of(actor):
    """The User behind an actor, or None for an API key's principal (or nobody)."""
    return actor if actor is not None and getattr(actor, "pk", None) is not None else None


def role_rank(role: str) -> int:
    """0 for the most powerful role; larger numbers are lower roles."""
    return ROLE_HIERARCHY.index(role)


def role_at_least(role: str, minimum: str) -> bool:
    return role_rank(role) <= role_rank(minimum)


def role_has_perm(role: str, perm: str) -> bool:
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def company_id_of(obj) -> int | None:
    """The company an object belongs to: a Company, or anything exposing `company_id`."""
    if isinstance(obj, Company):
        return obj.pk
    return getattr(obj, "company_id", None)


def _roles(user) -> dict[int, str]:
    # Cached on the user object for the request, since one page asks many times.
    cached = getattr(user, "_company_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("company_id", "role"))
        user._company_roles = cached
    return cached


def forget_roles(user) -> None:
    """Drop the per-request cache after the user's memberships changed."""
    user.__dict__.pop("_company_roles", None)


def role_in(user, company) -> str | None:
    if not getattr(user, "is_authenticated", False) or getattr(user, "api_key", None):
        return None
    return _roles(user).get(company_id_of(company) if company is not None else None)


def has_perm(user, perm: str, obj=None) -> bool:
    """May `user` do `perm`, on `obj`'s company when given, or in any of their companies?"""
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if (api_key := getattr(user, "api_key", None)) is not None:
        if not key_has_perm(api_key, perm):
            return False
        return obj is None or company_id_of(obj) == api_key.company_id
    if user.is_superuser:
        return True
    roles = _roles(user)
    if obj is None:
        return any(perm in ROLE_PERMISSIONS[role] for role in roles.values())
    company_id = company_id_of(obj)
    if company_id is None:
        return False
    role = roles.get(company_id)
    return role is not None and perm in ROLE_PERMISSIONS[role]


def company_ids_with(user, perm: str) -> list[int] | None:
    """Company ids where `user` has `perm`; None means no limit (superuser)."""
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if (api_key := getattr(user, "api_key", None)) is not None:
        return [api_key.company_id] if key_has_perm(api_key, perm) else []
    if user.is_superuser:
        return None
    return sorted(cid for cid, role in _roles(user).items() if perm in ROLE_PERMISSIONS[role])


def scope_queryset(
    qs: QuerySet,
    user,
    perm: str,
    company_field: str = "company",
    *,
    role_limits: Mapping[str, str] | None = None,
) -> QuerySet:
    """Limit `qs` to rows of the companies where `user` has `perm`.

    `role_limits` narrows what some roles see within their company: it maps a role to the path
    from the model to the users a row belongs to, e.g. `{Role.HIRING_MANAGER: "hiring_team"}`
    for jobs: a hiring manager then sees only the jobs whose hiring team they are on. Roles not
    in it see every row of their companies.
    """
    ids = company_ids_with(user, perm)
    if ids is None:
        return qs
    roles = {} if getattr(user, "api_key", None) is not None else _roles(user)
    limits = role_limits or {}
    whole = [cid for cid in ids if roles.get(cid) not in limits]
    visible = Q(**{f"{company_field}__in": whole})
    for role, path in limits.items():
        limited = [cid for cid in ids if roles.get(cid) == role]
        if limited:
            theirs = qs.model._base_manager.filter(**{path: user}).values("pk")
            visible |= Q(**{f"{company_field}__in": limited}, pk__in=theirs)
    return qs.filter(visible)


def require_perm(user, perm: str, obj=None) -> None:
    if not has_perm(user, perm, obj):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


class CompanyPermission(BasePermission):
    """DRF permission: a company permission for reads (GET, HEAD, OPTIONS) and one for
    writes; objects are checked by their company. A member needs the permission in some
    company (the selectors then scope to those companies), a key the matching scope.

    Use `CompanyPermission.require("jobs.view", write="jobs.edit")`; with one permission it
    holds for every method.
    """

    required_perm: str = ""
    write_perm: str = ""

    @classmethod
    def require(cls, perm: str, *, write: str | None = None) -> type[CompanyPermission]:
        for name in (perm, write or perm):
            if name not in ALL_PERMISSIONS:
                raise ValueError(f"unknown permission {name!r}")
        label = perm if write is None else f"{perm}|{write}"
        return type(
            f"CompanyPermission[{label}]",
            (cls,),
            {"required_perm": perm, "write_perm": write or perm},
        )

    def _perm(self, request) -> str:
        return self.required_perm if request.method in SAFE_METHODS else self.write_perm

    def has_permission(self, request, view) -> bool:
        return has_perm(request.user, self._perm(request))

    def has_object_permission(self, request, view, obj) -> bool:
        return has_perm(request.user, self._perm(request), obj)


class StaffOrKeyScope(BasePermission):
    """DRF permission for the operator's resources (the pipeline): staff holding the Django
    model permission the admin asks for (`read_perm` for reads, `write_perm` for writes), or
    an API key holding `<resource>:write`, or for reads `<resource>:read`.

    Use `StaffOrKeyScope.require("pipeline", read_perm=..., write_perm=...)`.
    """

    resource: str = ""
    read_perm: str = ""
    write_perm: str = ""

    @classmethod
    def require(cls, resource: str, *, read_perm: str, write_perm: str) -> type[StaffOrKeyScope]:
        return type(
            f"StaffOrKeyScope[{resource}]",
            (cls,),
            {"resource": resource, "read_perm": read_perm, "write_perm": write_perm},
        )

    def has_permission(self, request, view) -> bool:
        from accounts.models import ApiKey

        safe = request.method in SAFE_METHODS
        if isinstance(request.auth, ApiKey):
            return key_has_scope(request.auth, f"{self.resource}:{'read' if safe else 'write'}")
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        return user.has_perm(self.read_perm if safe else self.write_perm)


def permission_required(perm: str, *, obj: Callable | None = None):
    """View decorator: anonymous users go to log in, others without `perm` get 403.

    `obj(request, *args, **kwargs)` may return the object whose company is checked.
    """
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            target = obj(request, *args, **kwargs) if obj is not None else None
            require_perm(request.user, perm, target)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
