"""allauth's account adapter: its emails go through our outbox, and new people get a profile.

allauth renders each email (verification, password reset, notices) in the request; instead of
sending it there, `send_mail` writes it as an `OutboundEmail` row and queues the outbox task
once the transaction commits, so it is sent exactly once, retried when the provider fails, and
readable from the database like every other email.
"""

from __future__ import annotations

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as context_
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.shortcuts import resolve_url

from accounts.mail import email_queue
from accounts.models import User
from accounts.security import LoginBlockLogging
from accounts.services import candidate_profile_get_or_create


class AccountAdapter(LoginBlockLogging, DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = context_.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html = ""
        if isinstance(message, EmailMultiAlternatives):
            html = next(
                (content for content, mimetype in message.alternatives if mimetype == "text/html"),
                "",
            )
        user = context.get("user")
        email_queue(
            to=email,
            kind=f"account.{template_prefix.rsplit('/', 1)[-1]}"[:50],
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            # Each call is a new email (a re-sent verification, a second reset request).
            dedupe_key=f"account:{uuid.uuid4().hex}",
            user=user if isinstance(user, User) and user.pk else None,
        )

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Whoever signs up on the site is a candidate: resume parsing fills this profile.
            candidate_profile_get_or_create(user=user)
        return user

    def get_login_redirect_url(self, request) -> str:
        if request.user.is_staff:
            return resolve_url("admin:index")
        return super().get_login_redirect_url(request)
