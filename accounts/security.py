"""Sessions and brute force: ending a person's sessions, and logging the blocks of the login
rate limits.

Login attempts are limited by allauth's rate limits (settings.ACCOUNT_RATE_LIMITS, kept in the
Django cache, which is Redis whenever REDIS_URL is set). Both doors use them: the site's login
form and the back office's (accounts.admin.AdminLoginForm), because both authenticate through
the account adapter, whose `pre_authenticate` counts failures per address and per IP. So the
limiter exists once, and `LoginBlockLogging` logs its refusals once, whichever door was used.

Security events go through `recruitment.logs.security_event`. `security_event_once` also marks
the request, so the access-denied middleware (accounts.middleware) does not log the same
refusal a second time.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.services import audit_record
from recruitment.logs import security_event

# The request attribute that says a security event was already logged for this request.
_LOGGED_FLAG = "_security_event_logged"


def _http_request(request: Any) -> HttpRequest:
    """The Django request behind a DRF Request (attributes set on the wrapper stay on it)."""
    return getattr(request, "_request", request)


def security_event_once(event: str, *, request: Any, **fields: Any) -> None:
    """Log a security event for this request and mark the request as logged, so the
    middleware that logs every 401/403 leaves this one alone (one refusal, one event)."""
    security_event(event, request=request, **fields)
    setattr(_http_request(request), _LOGGED_FLAG, True)


def security_event_logged(request: Any) -> bool:
    return bool(getattr(_http_request(request), _LOGGED_FLAG, False))


@transaction.atomic
def user_sessions_end(*, user: User, request: HttpRequest | None = None) -> User:
    """End every session of `user` by rotating `User.session_token`, which is part of the
    session auth hash that Django checks on each request (accounts.models.User).

    When `request` is the user's own signed-in request (the "Sign out everywhere" button),
    that one session is kept: its hash is renewed (and its key cycled) by
    `update_session_auth_hash`. Every other browser is signed out at its next request. Without
    a request (a Clerk deletion, an admin), every session ends.
    """
    user.session_token = secrets.token_hex(16)
    user.save(update_fields=["session_token"])
    audit_record(
        action="user.sessions_ended",
        actor=user if request is not None else None,
        target=user,
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
    keep_current = (
        request is not None
        and getattr(request, "user", None) is not None
        and request.user.is_authenticated
        and request.user.pk == user.pk
    )
    if keep_current:
        update_session_auth_hash(request, user)
    security_event(
        "auth.sessions_ended", request=request, user_id=user.pk, current_kept=keep_current
    )
    return user


class LoginBlockLogging:
    """Account adapter mixin: log one `auth.rate_limited` event when allauth's
    "login_failed" limit refuses an attempt (the form then says "Too many failed login
    attempts"), on the site's login and on the admin's alike."""

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)  # type: ignore[misc]
        except ValidationError:
            security_event_once("auth.rate_limited", request=request, action="login_failed")
            raise


# --- Page -------------------------------------------------------------------------------------


@login_required
@require_POST
def sessions_end_page(request: HttpRequest) -> HttpResponse:
    """ "Sign out everywhere else": every other browser of the person is signed out; this one
    stays signed in (they are using it, and just asked from it)."""
    user_sessions_end(user=request.user, request=request)
    messages.success(request, "You have been signed out of every other browser and device.")
    return redirect("account_change_password")
