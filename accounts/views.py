"""Pages and inbound hooks of accounts: one-click unsubscribe and the email provider's events.

The anymail receivers are thin adapters from anymail's normalised events to accounts.mail;
AccountsConfig.ready() connects them.
"""

from __future__ import annotations

import logging
import re

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.mail import (
    UNSUBSCRIBABLE,
    UnsubscribeLinkInvalid,
    digest_unsubscribe,
    email_delivery_record,
    unsubscribe_token_apply,
    unsubscribe_token_read,
)

logger = logging.getLogger(__name__)

# "unsubscribe <token>" in the subject of a reply to the List-Unsubscribe mailto.
_MAILTO_SUBJECT = re.compile(r"\bunsubscribe\s+(\S+)", re.IGNORECASE)


# The token is the credential (signed, per user and digest), and RFC 8058 one-click POSTs come
# from mail clients that have neither a session nor a CSRF token.
@csrf_exempt
@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners fetch links, so a GET changes nothing); POST switches off."""
    try:
        user, digest = unsubscribe_token_read(token=token)
    except UnsubscribeLinkInvalid as exc:
        return render(request, "email/unsubscribe_invalid.html", {"reason": exc.reason}, status=400)
    context = {
        "digest": digest,
        "digest_name": UNSUBSCRIBABLE[digest],
        "email": _masked(user.email),
        "nav": "notifications",
    }
    if request.method == "POST":
        digest_unsubscribe(user=user, digest=digest)
        return render(request, "email/unsubscribe_done.html", context)
    return render(request, "email/unsubscribe_confirm.html", context)


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def anymail_tracking_received(sender, event, esp_name: str, **kwargs) -> None:
    """anymail.signals.tracking: a delivery, bounce, complaint, open... reported by the ESP."""
    email_delivery_record(
        event_type=event.event_type,
        message_id=event.message_id,
        recipient=event.recipient,
        timestamp=event.timestamp,
        reject_reason=event.reject_reason,
        description=event.description or event.mta_response or "",
        esp_name=esp_name,
        metadata=event.metadata,
    )


def anymail_inbound_received(sender, event, esp_name: str, **kwargs) -> None:
    """anymail.signals.inbound: act on replies to the List-Unsubscribe mailto, ignore the rest."""
    match = _MAILTO_SUBJECT.search(event.message.subject or "")
    if match is None:
        return
    try:
        user, digest = unsubscribe_token_apply(token=match.group(1))
    except UnsubscribeLinkInvalid as exc:
        logger.info("unsubscribe by mail ignored: %s token", exc.reason)
        return
    logger.info("unsubscribed by mail", extra={"user": user.pk, "digest": digest})
