"""Request middleware for sessions and security logging.

- `SecurityLogMiddleware` logs one `access.denied` event for every 401 or 403 answer and one
  `rate_limit.exceeded` event for every 429, whatever produced it (a permission check, a page's
  PermissionDenied, CSRF, DRF), unless the code that refused already logged its own event
  (accounts.security.security_event_once). It also logs `webhook.signature_invalid` when
  anymail refuses a tracking webhook's credentials.
- `SessionTimeoutMiddleware` ends a session after SESSION_IDLE_TIMEOUT seconds without a request
  and SESSION_ABSOLUTE_TIMEOUT seconds after its login.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from anymail.exceptions import AnymailWebhookValidationFailure
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.security import security_event_logged, security_event_once

# Session keys: when the session's user logged in, and when it was last seen (epoch seconds).
LOGIN_AT = "_auth_login_at"
SEEN_AT = "_auth_seen_at"
# Last-seen is written at most this often, so a busy session is not saved on every request.
SEEN_RESOLUTION = 60

_DENIED = {401, 403}
_RATE_LIMITED = 429


class SecurityLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if security_event_logged(request):
            return response
        if response.status_code in _DENIED:
            security_event_once("access.denied", request=request, status=response.status_code)
        elif response.status_code == _RATE_LIMITED:
            security_event_once("rate_limit.exceeded", request=request, status=_RATE_LIMITED)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # anymail raises this (a SuspiciousOperation, answered 400) for wrong basic-auth
        # credentials on its tracking webhooks: our one inbound check we do not write ourselves.
        if isinstance(exception, AnymailWebhookValidationFailure):
            security_event_once("webhook.signature_invalid", request=request, provider="anymail")
        return None


def session_mark_login(session, now: float | None = None) -> None:
    """Start a session's clocks (called on login: accounts.signals)."""
    now = time.time() if now is None else now
    session[LOGIN_AT] = int(now)
    session[SEEN_AT] = int(now)


def session_expiry_reason(session, now: float) -> str | None:
    """ "absolute" or "idle" when the session is over, else None."""
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return None
    if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    if now - seen_at > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    return None


class SessionTimeoutMiddleware:
    """Log out a session past its idle or absolute timeout: a page answers a redirect to the
    login (with ?next=), the API a 401. Goes after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            expired = self._check(request)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = time.time()
        if LOGIN_AT not in session:
            # A session from before the timeouts existed (or a login that bypassed the
            # signal): its clocks start now.
            session_mark_login(session, now)
            return None
        reason = session_expiry_reason(session, now)
        if reason is None:
            if now - session.get(SEEN_AT, 0) >= SEEN_RESOLUTION:
                session[SEEN_AT] = int(now)
            return None
        # Logged before the logout, which then logs no `auth.logout` of its own: one event.
        security_event_once("auth.session_expired", request=request, reason=reason)
        logout(request)
        return self._expired_response(request)

    def _expired_response(self, request: HttpRequest) -> HttpResponse:
        message = "Your session has expired; please log in again."
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": {"code": "session_expired", "message": message, "fields": {}}},
                status=401,
            )
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())
