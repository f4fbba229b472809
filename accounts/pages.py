"""Candidate pages about notifications: the in-app list, settings, web push subscriptions and
the service worker."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import NotificationSettingsForm
from accounts.models import PushSubscription
from accounts.notifications import (
    SETTINGS_FIELDS,
    notification_list,
    notification_mark_read,
    notification_preference_get,
    notification_settings_update,
    notifications_mark_all_read,
)
from accounts.push import (
    push_enabled,
    push_public_key,
    push_subscription_clean,
    push_subscription_delete,
    push_subscription_list,
    push_subscription_save,
)

PAGE_SIZE = 20
MAX_JSON_BYTES = 8 * 1024


@login_required
@require_http_methods(["GET", "HEAD"])
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # "Mark all read" shows when unread_notifications (the badge's count) says so.
    return render(request, "notifications/list.html", {"nav": "notifications", "page": page})


@login_required
@require_http_methods(["GET", "HEAD"])
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go on to what it is about."""
    notification = get_object_or_404(notification_list(user=request.user), pk=pk)
    notification_mark_read(notification=notification)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("me-notifications")
    return redirect(target)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("me-notifications")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            notification_settings_update(user=request.user, values=form.cleaned_data)
            messages.success(request, "Your notification settings are saved.")
            return redirect("me-notification-settings")
    else:
        preference = notification_preference_get(user=request.user)
        form = NotificationSettingsForm(
            initial={name: getattr(preference, name) for name in SETTINGS_FIELDS}
        )
    enabled = push_enabled()
    return render(
        request,
        "notifications/settings.html",
        {
            "nav": "notifications",
            "form": form,
            "push_enabled": enabled,
            "push_public_key": push_public_key() if enabled else "",
            "subscriptions": push_subscription_list(user=request.user),
        },
    )


# --- Web push ---------------------------------------------------------------------------------


def _json_error(message: str, *, status: int, code: str, fields: dict | None = None):
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


def _json_body(request: HttpRequest):
    """The request's JSON, or a JsonResponse saying what is wrong with it."""
    if not request.user.is_authenticated:
        return _json_error(
            "Log in to manage push notifications.", status=401, code="not_authenticated"
        )
    if len(request.body) > MAX_JSON_BYTES:
        return _json_error("The request is too large.", status=413, code="too_large")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _json_error("Send the subscription as JSON.", status=400, code="invalid")


@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """Keep this browser's PushSubscription (its `toJSON()`); 201 with its id."""
    data = _json_body(request)
    if isinstance(data, HttpResponse):
        return data
    if not push_enabled():
        return _json_error(
            "Push notifications are not set up on this server.",
            status=400,
            code="push_disabled",
        )
    try:
        subscription = push_subscription_save(
            user=request.user,
            user_agent=request.headers.get("User-Agent", ""),
            **push_subscription_clean(data),
        )
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        return _json_error(exc.messages[0], status=400, code="invalid", fields=fields)
    return JsonResponse({"id": subscription.pk}, status=201)


@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    """Forget this browser's subscription (`{"endpoint": ...}`); 204, or 404 if not ours."""
    data = _json_body(request)
    if isinstance(data, HttpResponse):
        return data
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _json_error(
            "Send the subscription's endpoint.",
            status=400,
            code="invalid",
            fields={"endpoint": ["This field is required."]},
        )
    subscription = push_subscription_list(user=request.user).filter(endpoint=endpoint).first()
    if subscription is None:
        return _json_error("No such subscription.", status=404, code="not_found")
    push_subscription_delete(subscription=subscription)
    return HttpResponse(status=204)


@login_required
@require_POST
def push_subscription_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """The settings page's Remove button (works without JavaScript)."""
    subscription: PushSubscription = get_object_or_404(
        push_subscription_list(user=request.user), pk=pk
    )
    push_subscription_delete(subscription=subscription)
    messages.success(request, "That browser will get no more push notifications.")
    return redirect("me-notification-settings")


@functools.cache
def _service_worker_source() -> bytes:
    path = finders.find("js/sw.js")
    return Path(path).read_bytes()


@login_not_required
@require_http_methods(["GET", "HEAD"])
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/sw.js served from the site's root, so its scope is the whole site."""
    response = HttpResponse(
        _service_worker_source(), content_type="application/javascript; charset=utf-8"
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"  # browsers check for a new worker at every load
    return response
