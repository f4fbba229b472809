"""Candidate pages about their data: download it, withdraw the retention consent, delete the
account or, when that is refused (a company's last owner), request erasure (accounts.privacy)."""

from __future__ import annotations

from allauth.core import ratelimit
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import ConsentPurpose, ErasureRequest
from accounts.privacy import (
    account_erase,
    account_erase_refusal,
    account_export,
    account_memberships,
    consent_latest,
    erasure_request_file,
    retention_consent_withdraw,
)
from recruitment.api import ApplicationError


class AccountDeleteForm(forms.Form):
    """Confirm with the password, or, for an account without one (Clerk), the email address."""

    confirm = forms.CharField(max_length=254, strip=False)

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user = request.user
        self.by_password = user.has_usable_password()
        field = self.fields["confirm"]
        if self.by_password:
            field.label = "Your password"
            field.widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
            field.error_messages["required"] = "Enter your password to confirm."
        else:
            field.label = "Your email address"
            field.widget = forms.EmailInput(attrs={"autocomplete": "email"})
            field.error_messages["required"] = "Enter your email address to confirm."

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if self.by_password:
            # allauth's limit on re-entering a password (ACCOUNT_RATE_LIMITS["reauthenticate"]),
            # so a borrowed session can't guess it here.
            if not ratelimit.consume(self.request, action="reauthenticate", user=self.user):
                raise forms.ValidationError(
                    "Too many attempts. Wait a minute, then try again.", code="rate_limited"
                )
            if not self.user.check_password(value):
                raise forms.ValidationError("That is not your password.", code="mismatch")
        elif value.strip().lower() != self.user.email.lower():
            raise forms.ValidationError("That is not your email address.", code="mismatch")
        return value


@login_required
@require_GET
def privacy(request):
    retention = consent_latest(user=request.user, purpose=ConsentPurpose.RETENTION)
    return render(
        request,
        "privacy/index.html",
        {"nav": "profile", "retention": retention if retention and retention.granted else None},
    )


@login_required
@require_POST
def privacy_retention_withdraw(request):
    """Withdraw the consent to keeping the data for future openings (idempotent: withdrawing
    twice records twice, which is what happened)."""
    retention_consent_withdraw(user=request.user, ip_address=request.META.get("REMOTE_ADDR"))
    messages.success(
        request,
        "You withdrew your consent: we no longer keep your data for future openings, and "
        "delete it once your applications are over.",
    )
    return redirect("me-privacy")


@login_required
@require_POST
def privacy_erasure_request(request):
    """File a request to be erased when self-service erasure is refused; staff answer it
    before its deadline (one month). Asking again shows the pending request."""
    refusal = account_erase_refusal(user=request.user)
    if refusal is None:  # they can delete their account themselves, at once
        return redirect("me-privacy-delete")
    erasure_request_file(user=request.user, reason=refusal)
    return redirect("me-privacy-delete")


@login_required
@require_POST
def privacy_export(request):
    archive = account_export(user=request.user, ip_address=request.META.get("REMOTE_ADDR"))
    response = FileResponse(
        archive,
        as_attachment=True,
        filename=f"my-data-{timezone.now():%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def privacy_delete(request):
    refusal = account_erase_refusal(user=request.user)
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            account_erase(user=request.user)
        except ApplicationError as error:  # became the last owner meanwhile
            refusal = error.message
        else:
            logout(request)
            return redirect("me-privacy-deleted")
    status = 400 if request.method == "POST" else 200
    pending = (
        ErasureRequest.objects.filter(user=request.user, status=ErasureRequest.Status.PENDING)
        .order_by("requested_at", "pk")
        .first()
    )
    return render(
        request,
        "privacy/delete.html",
        {
            "nav": "profile",
            "form": form,
            "refusal": refusal,
            "memberships": account_memberships(user=request.user),
            "erasure_request": pending,
        },
        status=409 if refusal and request.method == "POST" else status,
    )


@require_GET
def privacy_deleted(request):
    return render(request, "privacy/deleted.html")
