"""Login events as security events (connected in AccountsConfig.ready()).

Django sends these signals for every door: allauth's login page, the admin's login form, and
logouts. No credential is logged: `user_login_failed` carries the submitted email address,
which is personal data and stays out of the log; a failure is logged with the request's
network only (recruitment.logs.security_event).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.middleware import session_mark_login
from accounts.security import security_event_logged, security_event_once
from recruitment.logs import security_event


@receiver(user_logged_in, dispatch_uid="accounts.security.logged_in")
def user_logged_in_record(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None:
        return
    if hasattr(request, "session"):
        session_mark_login(request.session)
    security_event("auth.login", request=request, user_id=user.pk)


@receiver(user_logged_out, dispatch_uid="accounts.security.logged_out")
def user_logged_out_record(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and security_event_logged(request):
        return  # the session expired: `auth.session_expired` already says so
    security_event("auth.logout", request=request, user_id=getattr(user, "pk", None))


@receiver(user_login_failed, dispatch_uid="accounts.security.login_failed")
def user_login_failed_record(
    sender: Any, credentials: dict, request: Any = None, **kwargs: Any
) -> None:
    if request is None:
        security_event("auth.login_failed")
        return
    security_event_once("auth.login_failed", request=request)
