"""Extension points for the apps above accounts (they plug in from AppConfig.ready()).

accounts sits at the bottom of the layers and must not import jobs, applications or pipeline;
when one of its services needs them (a new company needs default pipeline stages), it calls
the functions registered here.
"""

from __future__ import annotations

from collections.abc import Callable

CompanyHook = Callable[..., None]
ProfileHook = Callable[..., None]

_company_created: list[CompanyHook] = []
_profile_changed: list[ProfileHook] = []


def on_company_created(hook: CompanyHook) -> CompanyHook:
    """Register `hook(company=...)`, run inside company_create's transaction."""
    if hook not in _company_created:
        _company_created.append(hook)
    return hook


def company_created_hooks() -> tuple[CompanyHook, ...]:
    return tuple(_company_created)


def on_profile_changed(hook: ProfileHook) -> ProfileHook:
    """Register `hook(profile=...)`, run inside the transaction of a write that changed what a
    candidate profile says (e.g. to queue its re-embedding on commit)."""
    if hook not in _profile_changed:
        _profile_changed.append(hook)
    return hook


def profile_changed(*, profile) -> None:
    for hook in _profile_changed:
        hook(profile=profile)
