"""Candidate pages: apply, and the dashboard of their applications."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError, TooManyFilesSent
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from applications import registry, uploads
from applications.candidate_selectors import (
    candidate_application,
    candidate_application_of_job,
    candidate_dashboard_applications,
    candidate_interview,
    candidate_resumes,
    candidate_upcoming_interviews,
)
from applications.forms import ApplyForm, WithdrawForm
from applications.invites import interview_calendar
from applications.models import Application, Document, Interview
from applications.services import application_submit_with_resume, application_withdraw
from jobs.models import Job
from jobs.selectors import job_public_get, job_public_gone
from recruitment.api import ApplicationError

# Room for the multipart framing and the form's text fields around the one file.
_MULTIPART_OVERHEAD = 128 * 1024
JOBS_FOR_YOU = 6
# The service's names of the form's fields, where they differ.
_SERVICE_FIELDS = {"document": "resume_document"}


class _OversizeDiscarded(uploads.UploadSizeLimitHandler):
    """The upload service's size limit, read on past: the part of a file over the limit is
    dropped, not the request, so the form's other fields still arrive and are kept."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.exceeded = True
            return None  # later handlers never see it
        return raw_data


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


# --- Apply -----------------------------------------------------------------------------------


@csrf_exempt  # CSRF is checked in _apply, once the body is read under the upload limit
def apply(request, company_slug: str, slug: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    request.apply_upload_limit = None
    if request.method == "POST":
        unreadable = _apply_body_read(request)
        if unreadable:
            # Nothing was read, so nothing changes: the form comes back with the reason.
            job, answer = _apply_job(request, company_slug, slug)
            if answer is not None:
                return answer
            form = ApplyForm(job=job, resumes=candidate_resumes(candidate=request.user))
            return _apply_form(request, form, status=unreadable[0], error=unreadable[1])
    return _apply(request, company_slug=company_slug, slug=slug)


def _apply_body_read(request) -> tuple[int, str] | None:
    """Read the multipart body under the upload limit; (status, message) when it can't be."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.UPLOAD_MAX_BYTES + _MULTIPART_OVERHEAD:  # far over: not read at all
        error = uploads.file_too_large_error()
        uploads.document_rejection_record(owner=request.user, error=error, ip_address=_ip(request))
        return 413, error.messages[0]
    request.apply_upload_limit = _OversizeDiscarded(request)
    request.upload_handlers.insert(0, request.apply_upload_limit)
    try:
        request.POST  # noqa: B018 (parses the body, under the handlers above)
        request.FILES  # noqa: B018
    except TooManyFilesSent:
        return 400, "Send one resume file at a time."
    except (MultiPartParserError, TooManyFieldsSent, RequestDataTooBig):
        return 400, "The form could not be read; please fill it in again."
    return None


def _apply_job(request, company_slug: str, slug: str) -> tuple[Job | None, HttpResponse | None]:
    """The open job to apply to, or the page that says why the candidate can't."""
    try:
        job = job_public_get(company_slug=company_slug, slug=slug)
    except Job.DoesNotExist:
        closed = job_public_gone(company_slug=company_slug, slug=slug)
        if closed is None:
            raise Http404("No such job.") from None
        return None, _closed(request, closed)
    if not job.applies_here:
        # A posting found elsewhere: the employer takes applications on its own site.
        return None, render(request, "applications/apply_elsewhere.html", {"job": job})
    existing = candidate_application_of_job(candidate=request.user, job_id=job.pk)
    if existing is not None:
        return None, _duplicate(request, job, existing.pk)
    return job, None


def _closed(request, job: Job) -> HttpResponse:
    return render(request, "applications/apply_closed.html", {"job": job}, status=410)


def _duplicate(request, job: Job, application_id: int, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "applications/apply_duplicate.html",
        {"job": job, "application_id": application_id, "nav": "dashboard"},
        status=status,
    )


@csrf_protect
@require_http_methods(["GET", "POST"])
def _apply(request, *, company_slug: str, slug: str):
    job, answer = _apply_job(request, company_slug, slug)
    if answer is not None:
        return answer
    resumes = candidate_resumes(candidate=request.user)
    if request.method != "POST":
        return _apply_form(request, ApplyForm(job=job, resumes=resumes))
    data, files = request.POST, request.FILES
    form = ApplyForm(data, files, job=job, resumes=resumes)
    form.is_valid()
    status = 400
    limit = request.apply_upload_limit
    if limit is not None and limit.exceeded:
        error = uploads.file_too_large_error()
        uploads.document_rejection_record(owner=request.user, error=error, ip_address=_ip(request))
        form.add_error("resume", error.messages)
        status = 413
    elif (upload := files.get("resume")) is not None and "resume" not in form.errors:
        try:
            document = uploads.document_upload(
                owner=request.user, file=upload, kind=Document.Kind.RESUME, ip_address=_ip(request)
            )
        except ValidationError as error:  # recorded by the service
            form.add_error("resume", error.messages)
            status = uploads.rejection_status(error)
        else:
            form.use_stored_upload(document)
    if form.errors:
        return _apply_form(request, form, status=status)
    try:
        application = application_submit_with_resume(
            job=job,
            actor=request.user,
            candidate=request.user,
            document=form.document(),
            ip_address=_ip(request),
            consent_processing=form.cleaned_data["consent_processing"],
            consent_retention=form.cleaned_data["consent_retention"],
            cover_letter=form.cleaned_data["cover_letter"],
            answers=form.cleaned_data["answers"],
            source=Application.Source.CAREERS_SITE,
        )
    except ApplicationError as error:
        if error.code == "already_applied":  # a second tab, or a double click, got there first
            existing = candidate_application_of_job(candidate=request.user, job_id=job.pk)
            if existing is not None:
                return _duplicate(request, job, existing.pk, status=409)
        if error.code == "job_not_open":
            return _closed(request, job)
        return _apply_form(request, form, status=409, error=error.message)
    except ValidationError as error:  # the copy of a reused resume refused, say
        if not hasattr(error, "error_dict"):
            form.add_error("resume", error.messages)
            return _apply_form(request, form, status=uploads.rejection_status(error))
        for field, messages_ in error.message_dict.items():
            field = _SERVICE_FIELDS.get(field, field)
            form.add_error(field if field in form.fields else None, messages_)
        return _apply_form(request, form, status=400)
    return redirect("me-application-submitted", pk=application.pk)


def _apply_form(request, form: ApplyForm, *, status: int = 200, error: str = "") -> HttpResponse:
    return render(
        request,
        "applications/apply.html",
        {
            "job": form.job,
            "form": form,
            "error": error,
            "upload_limit": settings.UPLOAD_MAX_BYTES,
        },
        status=status,
    )


@login_required
def apply_submitted(request, pk: int):
    application = candidate_application(candidate=request.user, application_id=pk)
    if application is None:
        raise Http404("No such application.")
    return render(
        request,
        "applications/apply_submitted.html",
        {"application": application, "nav": "dashboard"},
    )


# --- Dashboard -------------------------------------------------------------------------------


@login_required
def dashboard(request):
    interviews = list(candidate_upcoming_interviews(candidate=request.user))
    return render(
        request,
        "applications/dashboard.html",
        {
            "nav": "dashboard",
            "applications": candidate_dashboard_applications(
                candidate=request.user, page=request.GET.get("page", 1)
            ),
            "interviews": interviews,
            "matches": registry.candidate_matches(user=request.user, limit=JOBS_FOR_YOU),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, pk: int):
    application = candidate_application(candidate=request.user, application_id=pk)
    if application is None:
        raise Http404("No such application.")
    if application.status != Application.Status.ACTIVE:
        messages.info(request, "This application is already closed.")
        return redirect(reverse("me-dashboard") + f"#application-{application.pk}")
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            application_withdraw(
                application=application,
                candidate=request.user,
                reason=form.cleaned_data["reason"].strip(),
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"You withdrew your application for {application.job.title}. "
                "We have let the company know.",
            )
        return redirect(reverse("me-dashboard") + f"#application-{application.pk}")
    return render(
        request,
        "applications/withdraw.html",
        {"application": application, "form": form, "nav": "dashboard"},
        status=400 if form.errors else 200,
    )


@login_required
def interview_ics(request, pk: int):
    interview = candidate_interview(candidate=request.user, interview_id=pk)
    if interview is None:
        raise Http404("No such interview.")
    ics = interview_calendar(
        interview,
        attendees=[interview.application.candidate],
        cancel=interview.status == Interview.Status.CANCELLED,
    )
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="interview-{interview.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
