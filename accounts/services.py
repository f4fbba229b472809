"""Writes for accounts: users, companies, memberships, API keys and the audit trail."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import (
    ApiKey,
    AuditEvent,
    CandidateProfile,
    Company,
    Membership,
    NotificationPreference,
    Role,
    User,
)
from accounts.permissions import forget_roles, require_perm
from accounts.registry import company_created_hooks, profile_changed
from recruitment.api import ApplicationError

API_KEY_RESOURCES = (
    "jobs",
    "applications",
    "candidates",
    "interviews",
    "offers",
    "documents",
    "matches",
    "webhooks",
    "pipeline",
)
# Scopes over the platform's own operations: the nightly pipeline crawls, enriches, matches and
# mails for everyone, not for the key's company. Only a superuser grants them.
PLATFORM_SCOPES = frozenset({"pipeline:read", "pipeline:write"})
API_KEY_LAST_USED_EVERY = timedelta(minutes=1)
API_KEY_SCOPES = frozenset(
    f"{resource}:{access}" for resource in API_KEY_RESOURCES for access in ("read", "write")
)


def audit_event_build(
    *,
    action: str,
    actor: User | None = None,
    target: Any = None,
    company: Company | None = None,
    changes: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """One event of the audit trail, validated and not saved yet."""
    if company is None and target is not None:
        company_id = (
            target.pk if isinstance(target, Company) else getattr(target, "company_id", None)
        )
    else:
        company_id = company.pk if company is not None else None
    event = AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        # An API key's principal has no row: its label says which key.
        actor_label=(actor.email if actor.pk else str(actor)) if actor is not None else "system",
        company_id=company_id,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        changes=changes or {},
        ip_address=ip_address,
    )
    # Its actor and company are the caller's own objects: checking that they exist would cost
    # a query each and cannot fail inside the write's transaction.
    event.full_clean(exclude=["actor", "company"])
    return event


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    target: Any = None,
    company: Company | None = None,
    changes: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event to the audit trail. Call it inside the write's transaction."""
    event = audit_event_build(
        action=action, actor=actor, target=target, company=company, changes=changes,
        ip_address=ip_address,
    )  # fmt: skip
    event.save()
    return event


def audit_records(events: list[AuditEvent]) -> None:
    """Append events made by `audit_event_build`, in one INSERT."""
    AuditEvent.objects.bulk_create(events)


def user_create(
    *, email: str, password: str | None = None, full_name: str = "", is_staff: bool = False
) -> User:
    user = User(
        email=User.objects.normalize_email(email).lower(), full_name=full_name, is_staff=is_staff
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def company_create(
    *,
    name: str,
    slug: str = "",
    website: str = "",
    description: str = "",
    is_tenant: bool = True,
    owner: User | None = None,
    actor: User | None = None,
) -> Company:
    """Create a company, run the registered hooks (default stages), and make `owner` its owner.

    `actor` is who did it (staff in the admin, say); it defaults to the owner.
    """
    actor = actor or owner
    company = Company(
        name=name,
        slug=slug or slugify(name)[:200],
        website=website,
        description=description,
        is_tenant=is_tenant,
    )
    company.full_clean()
    company.save()
    for hook in company_created_hooks():
        hook(company=company)
    audit_record(action="company.created", actor=actor, target=company)
    if owner is not None:
        _membership_write(company=company, user=owner, role=Role.OWNER, actor=actor)
    return company


def _membership_write(*, company: Company, user: User, role: str, actor: User | None) -> Membership:
    membership = Membership.objects.filter(company=company, user=user).first()
    if membership is None:
        membership = Membership(company=company, user=user, role=role)
        membership.full_clean()
        membership.save()
        audit_record(
            action="membership.created",
            actor=actor,
            target=membership,
            company=company,
            changes={"user": user.email, "role": [None, role]},
        )
    elif membership.role != role:
        old = membership.role
        if old == Role.OWNER:
            _ensure_other_owner(membership)
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
        audit_record(
            action="membership.role_changed",
            actor=actor,
            target=membership,
            company=company,
            changes={"user": user.email, "role": [old, role]},
        )
    if not user.is_staff:
        # Members work in the admin back office.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_roles(user)
    return membership


def _ensure_other_owner(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(company_id=membership.company_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ApplicationError("A company must keep at least one owner.", code="last_owner")


def _require_member_admin(actor: User | None, company: Company, roles: tuple[str, ...]) -> None:
    if actor is None:
        return  # system writes (seed data, Clerk sync) are not permission-checked here
    require_perm(actor, "members.manage", company)
    if Role.OWNER in roles:
        require_perm(actor, "owners.manage", company)


@transaction.atomic
def membership_set(*, company: Company, user: User, role: str, actor: User | None) -> Membership:
    """Add `user` to `company` with `role`, or change their role. Audited."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    current = Membership.objects.filter(company=company, user=user).values_list("role", flat=True)
    _require_member_admin(actor, company, (role, *current))
    return _membership_write(company=company, user=user, role=role, actor=actor)


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User | None) -> None:
    _require_member_admin(actor, membership.company, (membership.role,))
    if membership.role == Role.OWNER:
        _ensure_other_owner(membership)
    audit_record(
        action="membership.removed",
        actor=actor,
        target=membership,
        company=membership.company,
        changes={"user": membership.user.email, "role": [membership.role, None]},
    )
    user = membership.user
    membership.delete()
    forget_roles(user)


def _hash_secret(secret: str) -> str:
    # API secrets are 256 random bits, so a fast hash is enough; no password stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    company: Company,
    name: str,
    scopes: list[str],
    actor: User | None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its token `<prefix>.<secret>`, shown only once."""
    if actor is not None:
        require_perm(actor, "apikeys.manage", company)
    unknown = sorted(set(scopes) - API_KEY_SCOPES)
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}."})
    if actor is not None and not actor.is_superuser and PLATFORM_SCOPES & set(scopes):
        raise ValidationError(
            {
                "scopes": "Only a superuser may grant the pipeline scopes: the pipeline runs "
                "for the whole platform, not for one company."
            }
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    prefix = "rk_" + secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey(
        company=company,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=actor,
    )
    api_key.full_clean()
    api_key.save()
    audit_record(
        action="apikey.created",
        actor=actor,
        target=api_key,
        company=company,
        changes={
            "scopes": api_key.scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return api_key, f"{prefix}.{secret}"


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: User | None) -> ApiKey:
    if actor is not None:
        require_perm(actor, "apikeys.manage", api_key.company)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(action="apikey.revoked", actor=actor, target=api_key)
    api_keys_forget()
    return api_key


# Keys that authenticated lately, by their token's hash: (time.monotonic() read, the key with
# its company). Reading them back cost about 1 ms of a 7 ms API request. Kept at most
# API_KEY_CACHE_SECONDS in each process, so other processes honour a revocation or a change of
# scopes within that time; the process that makes the change forgets every key at once. Only
# tokens that matched a usable key are kept, so unknown tokens cannot fill it.
_recent_keys: dict[str, tuple[float, ApiKey]] = {}
RECENT_KEYS_MOST = 1000


def api_keys_forget() -> None:
    """Drop this process's recently authenticated keys (after any change to a key)."""
    _recent_keys.clear()


def _recent_key(token_hash: str) -> ApiKey | None:
    seconds = settings.API_KEY_CACHE_SECONDS
    found = _recent_keys.get(token_hash) if seconds > 0 else None
    if found is None or time.monotonic() - found[0] > seconds:
        return None
    return found[1]


def api_key_authenticate(*, token: str) -> ApiKey | None:
    """Return the usable key for `<prefix>.<secret>`, or None; compares in constant time."""
    prefix, _, secret = token.partition(".")
    if not prefix or not secret:
        return None
    secret_hash = _hash_secret(secret)
    token_hash = f"{prefix}.{secret_hash}"
    api_key = _recent_key(token_hash)
    if api_key is None:
        api_key = ApiKey.objects.select_related("company").filter(prefix=prefix).first()
        if api_key is None or not secrets.compare_digest(api_key.secret_hash, secret_hash):
            return None
        if settings.API_KEY_CACHE_SECONDS > 0 and api_key.is_usable:
            if len(_recent_keys) >= RECENT_KEYS_MOST:
                _recent_keys.clear()
            _recent_keys[token_hash] = (time.monotonic(), api_key)
    if not api_key.is_usable:
        return None
    now = timezone.now()
    # Written at most once a minute per key, so a busy partner's reads don't each write a row.
    if api_key.last_used_at is None or now - api_key.last_used_at >= API_KEY_LAST_USED_EVERY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


# --- A person's own account ------------------------------------------------------------------
# A candidate's own edit of a profile field marks it confirmed (`confirmed_fields`), so parsing
# a resume later never overwrites it, as `applications.documents.profile_fields_confirm` does.

# What the owner may change; the rest (resume text, suggestions, embedding) is the system's.
PROFILE_EDITABLE_FIELDS = frozenset(
    {
        "headline",
        "summary",
        "city",
        "region",
        "country",
        "remote_preference",
        "desired_salary_min",
        "desired_salary_currency",
        "desired_salary_period",
        "seniority",
        "years_experience",
        "skills",
        "phone",
        "links",
        "current_title",
        "education",
        "work_history",
    }
)
PREFERENCE_FIELDS = frozenset(
    {"application_updates", "interview_updates", "match_digest", "recruiter_digest", "product_news"}
)


def _refuse_unknown(values: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})


def user_name_update(*, user: User, full_name: str) -> User:
    if full_name == user.full_name:
        return user
    before = user.full_name
    user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name"])
    audit_record(
        action="user.name_changed",
        actor=user,
        target=user,
        changes={"full_name": [before, full_name]},
    )
    return user


@transaction.atomic
def candidate_profile_update(
    *, profile: CandidateProfile, values: dict[str, Any], actor: User, keep_set: bool = False
) -> CandidateProfile:
    """Set the owner's values and mark the changed fields confirmed. With `keep_set` (the
    owner saved a form showing every field), also confirm the unchanged ones that have a value:
    they saw and kept them, so enrichment and parsing must not change them either."""
    _refuse_unknown(values, PROFILE_EDITABLE_FIELDS)
    changed = sorted(name for name, value in values.items() if getattr(profile, name) != value)
    kept = {name for name, value in values.items() if value not in (None, "", [], {})}
    confirmed = set(profile.confirmed_fields) | set(changed) | (kept if keep_set else set())
    if not changed and confirmed == set(profile.confirmed_fields):
        return profile
    for name in changed:
        setattr(profile, name, values[name])
    profile.confirmed_fields = sorted(confirmed)
    profile.full_clean(exclude=["user", "embedding"])
    profile.save(update_fields=[*changed, "confirmed_fields", "updated_at"])
    if changed:
        audit_record(
            action="profile.updated", actor=actor, target=profile, changes={"fields": changed}
        )
        profile_changed(profile=profile)
    return profile


def candidate_profile_get_or_create(*, user: User) -> CandidateProfile:
    """The person's candidate profile, made empty if they have none yet."""
    profile, _ = CandidateProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def notification_preference_update(
    *, user: User, values: dict[str, Any], allowed: frozenset[str] = PREFERENCE_FIELDS
) -> NotificationPreference:
    """Change the user's notification and digest settings (made with defaults if missing);
    fields outside `allowed` are refused."""
    _refuse_unknown(values, allowed)
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    changes = {
        name: [getattr(preference, name), value]
        for name, value in values.items()
        if getattr(preference, name) != value
    }
    if not changes:
        return preference
    for name, (_, value) in changes.items():
        setattr(preference, name, value)
    preference.full_clean(exclude=["user"])
    preference.save(update_fields=[*changes, "updated_at"])
    audit_record(action="notifications.updated", actor=user, target=preference, changes=changes)
    return preference


@transaction.atomic
def user_me_update(
    *,
    user: User,
    full_name: str | None = None,
    profile: dict[str, Any] | None = None,
    preferences: dict[str, Any] | None = None,
    keep_set: bool = False,
    create_profile: bool = False,
) -> User:
    """The person's own update, all or nothing. Profile values need a candidate profile (made
    first with `create_profile`); `keep_set` is `candidate_profile_update`'s."""
    if full_name is not None:
        user_name_update(user=user, full_name=full_name)
    if profile:
        candidate_profile = CandidateProfile.objects.select_for_update().filter(user=user).first()
        if candidate_profile is None and create_profile:
            candidate_profile = candidate_profile_get_or_create(user=user)
        if candidate_profile is None:
            raise ValidationError({"candidate_profile": "You have no candidate profile to change."})
        candidate_profile_update(
            profile=candidate_profile, values=profile, actor=user, keep_set=keep_set
        )
    if preferences:
        notification_preference_update(user=user, values=preferences)
    return user
