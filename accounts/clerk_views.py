"""Clerk's webhook endpoint, `/webhooks/clerk/`: verify, store, answer; a task does the work.

Answers (each a short JSON body, `{"error": {"code", "message"}}` when refused):

- 202 `accepted`: a new event, stored and queued. 200 `duplicate`: a replay, nothing changed.
- 400 for every refused delivery: missing or malformed svix headers, a stale or future
  timestamp, a bad signature, a body that isn't a JSON Clerk event. One status for all of them
  (not 401 for signatures): svix retries any non-2xx alike, and a forger learns nothing from
  which check failed. Each logs exactly one `webhook.signature_invalid` security event with
  the reason.
- 413 for a body over CLERK_BODY_MAX_BYTES (also logged as a refused delivery).
- 503 when CLERK_WEBHOOK_SECRET is unset (or not a svix secret): nothing can be verified, so
  nothing is stored, and svix retries later.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.clerk import (
    CLERK_BODY_MAX_BYTES,
    ClerkDeliveryRefused,
    clerk_delivery_verify,
    clerk_event_store,
    clerk_webhook,
)
from accounts.security import security_event_once

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _refused(request: HttpRequest, status: int, reason: str, message: str) -> JsonResponse:
    security_event_once("webhook.signature_invalid", request=request, source="clerk", reason=reason)
    return _error(status, reason, message)


def _body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is larger than the cap. Read from the stream, not
    `request.body`, so the cap (not DATA_UPLOAD_MAX_MEMORY_SIZE's 400) decides."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > CLERK_BODY_MAX_BYTES:
        return None
    body = request.read(CLERK_BODY_MAX_BYTES + 1)
    return None if len(body) > CLERK_BODY_MAX_BYTES else body


# svix signs the body and carries no session or CSRF token; the signature is the credential.
@csrf_exempt
@login_not_required
@never_cache
@require_POST
def clerk_webhook_receive(request: HttpRequest) -> JsonResponse:
    try:
        webhook = clerk_webhook(settings.CLERK_WEBHOOK_SECRET)
    except ImproperlyConfigured as error:
        logger.error("Clerk webhook refused: %s", error)
        return _error(503, "not_configured", "Clerk webhooks are not configured.")
    body = _body(request)
    if body is None:
        return _refused(request, 413, "too_large", "The body is too large.")
    headers = {
        name: request.headers.get(name, "")
        for name in ("svix-id", "svix-timestamp", "svix-signature")
    }
    try:
        delivery = clerk_delivery_verify(
            body=body, headers=headers, webhook=webhook, tolerance=settings.CLERK_WEBHOOK_TOLERANCE
        )
    except ClerkDeliveryRefused as refused:
        return _refused(request, 400, refused.reason, refused.message)
    event, created = clerk_event_store(delivery=delivery)
    if not created:
        return JsonResponse({"status": "duplicate"}, status=200)
    return JsonResponse({"status": "accepted"}, status=202)
