"""Candidates' documents over HTTP: a JSON upload endpoint and the permission-checked download."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError, TooManyFilesSent
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from applications import uploads
from applications.models import Application, Document

# Room for the multipart framing and the small form fields around the one file.
_MULTIPART_OVERHEAD = 64 * 1024


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _rejected(request, error: ValidationError, *, record: bool = True) -> JsonResponse:
    if record:
        uploads.document_rejection_record(
            owner=request.user, error=error, ip_address=request.META.get("REMOTE_ADDR")
        )
    return _error(error.code, error.messages[0], uploads.rejection_status(error))


@csrf_exempt  # CSRF is checked in _document_upload, after the body is read under our limits
@require_POST
def document_upload(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        content_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        content_length = 0
    if content_length > settings.UPLOAD_MAX_BYTES + _MULTIPART_OVERHEAD:
        return _rejected(request, uploads.file_too_large_error())
    limit = uploads.UploadSizeLimitHandler(request)
    request.upload_handlers.insert(0, limit)
    try:
        request.FILES  # noqa: B018 (parses the body, under the handlers above)
    except TooManyFilesSent:
        return _rejected(
            request,
            ValidationError(
                f"Too many files in one request; send at most "
                f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES}.",
                code="too_many_files",
            ),
        )
    except (MultiPartParserError, TooManyFieldsSent, RequestDataTooBig):
        return _error("invalid_request", "The upload could not be read.", 400)
    if limit.exceeded:
        return _rejected(request, uploads.file_too_large_error())
    return _document_upload(request)


@csrf_protect
def _document_upload(request):
    files = [file for _, group in request.FILES.lists() for file in group]
    if len(files) != 1 or "file" not in request.FILES:
        return _rejected(
            request, ValidationError("Send exactly one file, as 'file'.", code="file_count")
        )
    application = None
    if application_id := request.POST.get("application"):
        application = Application.objects.filter(
            pk=application_id if application_id.isdigit() else 0, candidate=request.user
        ).first()
        if application is None:
            return _error("not_found", "No such application.", 404)
    try:
        document = uploads.document_upload(
            owner=request.user,
            file=request.FILES["file"],
            kind=request.POST.get("kind", Document.Kind.RESUME),
            application=application,
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    except ValidationError as error:
        return _rejected(request, error, record=False)  # the service recorded it
    return JsonResponse(
        {
            "id": document.pk,
            "name": document.original_name,
            "size": document.size,
            "content_type": document.content_type,
        },
        status=201,
    )


@require_GET
def document_download(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    download = uploads.document_download(
        user=request.user, document_id=pk, ip_address=request.META.get("REMOTE_ADDR")
    )
    if download.url is not None:
        response = HttpResponseRedirect(download.url)
        response["Referrer-Policy"] = "no-referrer"
    else:
        response = FileResponse(
            download.file,
            as_attachment=True,
            filename=download.filename,
            content_type=download.content_type,
        )
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
