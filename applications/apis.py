"""Applications, candidates, documents and candidate search in the partner API (`/api/v1/`).

Who may do what:
- `applications`: members read their companies' applications with `applications.view`
  (hiring managers and up) and change them by role (`applications.move`, `.reject`, `.hire`,
  `.rate`); a company's keys likewise with `applications:read` / `applications:write`. A person
  signed in also reads their own applications (as the candidate sees them: the stage's
  candidate label, no rating) and withdraws them. Submitting: members with
  `applications.create` and keys with `applications:write`, for a candidate, to their
  company's jobs; any person signed in, for themselves, to an open job.
- `candidates`, `search/candidates`: the people who applied to the caller's companies, with
  their applications to those companies only (`candidates.view`, `candidates:read`).
- `documents`: a person's own, and those sent with applications to companies where the caller
  may download documents (`documents.download`, `documents:read`). Uploads go through the
  secure upload service: a person's own, or by members who may create applications (keys with
  `applications:write`) to their company's applications, for the candidate.

Another company's object answers 404, as a missing one does.
"""

from __future__ import annotations

import json
from datetime import UTC

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http.multipartparser import TooManyFilesSent
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.utils import html

from accounts.models import Company
from accounts.partner_api import PartnerApi, errors
from accounts.permissions import CompanyPermission, company_ids_with, has_perm, person_of
from accounts.services import audit_record
from applications import uploads
from applications import views as pages
from applications.documents import document_add
from applications.models import Application, Document, Stage
from applications.selectors import (
    application_for_documents,
    application_job_to_submit,
    application_list_rows,
    application_row,
    application_stage,
    application_visible_list,
    candidate_list,
    candidate_search,
    document_list,
    stage_history,
    stage_list,
)
from applications.services import (
    application_hire,
    application_move,
    application_rate,
    application_reject,
    application_submit_with_resume,
    application_withdraw,
)
from recruitment.api import (
    ID_BOUNDS,
    CursorPagination,
    PageFilters,
    etag_of,
    if_match_check,
    page_example,
    page_response,
    paged_schema,
    query_filters,
)

_TEXT_MAX = 20_000
# Room for the multipart framing and the small form fields around the one file, as the page.
_MULTIPART_OVERHEAD = 64 * 1024


# --- Permissions ---------------------------------------------------------------------------


class PersonOrKeyScope(BasePermission):
    """A key needs the scope of the view's `read_perm` (reads) or `write_perm` (writes); a
    person signed in passes, and the selectors show them what they may see (their companies'
    rows by role, and their own), the services checking their role for changes."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if person_of(user) is None:  # an API key's principal
            return has_perm(
                user, view.read_perm if request.method in SAFE_METHODS else view.write_perm
            )
        return True


class ApplicationAccess(PersonOrKeyScope):
    """On an application: reading needs `read_perm` in its company or being its candidate
    (unless the view says `candidate_reads = False`); a change needs the view's `write_perm`
    in its company, or, with `candidate_writes`, being its candidate."""

    def has_object_permission(self, request, view, obj) -> bool:
        user = request.user
        person = person_of(user)
        own = person is not None and obj.candidate_id == person.pk
        if request.method in SAFE_METHODS:
            return has_perm(user, view.read_perm, obj) or (own and view.candidate_reads)
        if view.candidate_writes:
            return own
        return has_perm(user, view.write_perm, obj)


# --- Shared pieces -------------------------------------------------------------------------


class UploadRejected(exceptions.APIException):
    """A file the upload service refused: its stable code, and its status (413 too large,
    503 scanner unavailable, else 400)."""

    def __init__(self, error: DjangoValidationError):
        self.status_code = uploads.rejection_status(error)
        super().__init__(detail=error.messages[0], code=error.code or "invalid")


def _upload_errors(error: DjangoValidationError) -> Exception:
    """A service's field errors stay a 400 with `fields`; the upload service's rejection of
    a file (one message with a code) keeps its code and status."""
    if hasattr(error, "error_dict") or not getattr(error, "code", None):
        return error
    return UploadRejected(error)


class _UploadApi(PartnerApi):
    """Reads a multipart body as the upload page does: a body declared larger than the limit
    is refused before it is read, and a file is read no further than the limit."""

    def initialize_request(self, request, *args, **kwargs):
        self._upload_limit = None
        self._upload_declared_too_large = False
        if request.method == "POST" and (request.content_type or "").startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            self._upload_declared_too_large = (
                length > settings.UPLOAD_MAX_BYTES + _MULTIPART_OVERHEAD
            )
            self._upload_limit = uploads.UploadSizeLimitHandler(request)
            request.upload_handlers.insert(0, self._upload_limit)
        return super().initialize_request(request, *args, **kwargs)

    def _reject(self, request, error: DjangoValidationError) -> UploadRejected:
        uploads.document_rejection_record(
            owner=request.user, error=error, ip_address=request.META.get("REMOTE_ADDR")
        )
        return UploadRejected(error)

    def _data(self, request, *, file_field: str, file_required: bool):
        """The request's data, the multipart body read under the limits, with at most one
        file (exactly one when `file_required`), sent as `file_field`."""
        if self._upload_declared_too_large:
            raise self._reject(request, uploads.file_too_large_error())
        try:
            data = request.data
        except TooManyFilesSent:
            raise self._reject(
                request,
                DjangoValidationError(
                    f"Too many files in one request; send at most "
                    f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES}.",
                    code="too_many_files",
                ),
            ) from None
        except (TooManyFieldsSent, RequestDataTooBig):
            raise exceptions.ParseError("The upload could not be read.") from None
        if self._upload_limit is not None and self._upload_limit.exceeded:
            raise self._reject(request, uploads.file_too_large_error())
        files = [file for _, group in request.FILES.lists() for file in group]
        if len(files) > 1 or (files and file_field not in request.FILES):
            raise self._reject(
                request,
                DjangoValidationError(f"Send one file, as '{file_field}'.", code="file_count"),
            )
        if file_required and not files:
            raise serializers.ValidationError(
                {file_field: ["Send the file as multipart/form-data."]}
            )
        return data


# --- Output --------------------------------------------------------------------------------


def _choices(choices) -> str:
    return "One of " + ", ".join(f"`{value}`" for value in choices.values) + "."


# Plain strings in answers, documented: an enum shared by several components has no stable name.
_STATUSES = _choices(Application.Status)
_SOURCES = _choices(Application.Source)
_STAGE_KINDS = _choices(Stage.Kind)


class _JobRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class _PersonRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()


class _StageRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=_STAGE_KINDS)


class ApplicationOutput(serializers.Serializer):
    """An application as its company sees it. Its candidate, reading their own, sees the
    stage by its candidate label, and neither the rating nor the rejection reason.

    Context: `company_ids`, the companies where the caller may view applications (None: all).
    """

    id = serializers.IntegerField()
    job = _JobRef()
    candidate = _PersonRef()
    stage = _StageRef()
    status = serializers.CharField(help_text=_STATUSES)
    source = serializers.CharField(help_text=_SOURCES)
    rating = serializers.IntegerField(allow_null=True, help_text="1 to 5, a member's rating.")
    rejection_reason = serializers.CharField()
    consent_processing = serializers.BooleanField()
    consent_retention = serializers.BooleanField()
    stage_entered_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        # Built by hand: this is the hot path of the application list (the declared fields
        # document the shape, and a test holds the two alike). The list reads flat rows
        # (`application_list_rows`: about 1.5 ms of a 20-row page's 11 went to building model
        # instances, profiled in issue 9); a single application comes as a model instance.
        row = instance if isinstance(instance, dict) else application_row(instance)
        company_ids = self.context.get("company_ids")
        as_company = company_ids is None or row["job__company_id"] in company_ids
        stage_name = (
            row["stage__name"]
            if as_company
            else Stage.name_for_candidates(row["stage__candidate_label"], row["stage__kind"])
        )
        return {
            "id": row["id"],
            "job": {"id": row["job_id"], "title": row["job__title"]},
            "candidate": {
                "id": row["candidate_id"],
                "name": row["candidate__full_name"],
                "email": row["candidate__email"],
            },
            "stage": {"id": row["stage_id"], "name": stage_name, "kind": row["stage__kind"]},
            "status": row["status"],
            "source": row["source"],
            "rating": row["rating"] if as_company else None,
            "rejection_reason": row["rejection_reason"] if as_company else "",
            "consent_processing": row["consent_processing"],
            "consent_retention": row["consent_retention"],
            "stage_entered_at": _iso(row["stage_entered_at"]),
            "created_at": _iso(row["created_at"]),
            "updated_at": _iso(row["updated_at"]),
        }


def _iso(moment) -> str:
    """As DRF's DateTimeField writes it: ISO 8601 in UTC, with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=_choices(Document.Kind))
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField()
    status = serializers.CharField(
        help_text="Text extraction, done in the background: " + _choices(Document.Status)
    )
    application = serializers.IntegerField(source="application_id", allow_null=True)
    owner = serializers.IntegerField(source="owner_id", help_text="The candidate's user id.")
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, document) -> str:
        return reverse("v1:documents-download", kwargs={"pk": document.pk})


class ApplicationDetailOutput(ApplicationOutput):
    cover_letter = serializers.CharField()
    answers = serializers.DictField(help_text="Answers to the job's questions, by key.")
    documents = DocumentOutput(
        source="visible_documents",
        many=True,
        help_text="Documents sent with it that the caller may read.",
    )

    def to_representation(self, instance):
        return {
            **super().to_representation(instance),
            "cover_letter": instance.cover_letter,
            "answers": instance.answers,
            "documents": DocumentOutput(instance.visible_documents, many=True).data,
        }


class StageChangeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    from_stage = _StageRef(allow_null=True)
    to_stage = _StageRef()
    status = serializers.CharField(help_text="The application's status afterwards: " + _STATUSES)
    actor = serializers.SerializerMethodField(help_text="Null for an API key or the system.")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(
        inline_serializer(
            name="StageChangeActor",
            fields={"id": serializers.IntegerField(), "name": serializers.CharField()},
            allow_null=True,
        )
    )
    def get_actor(self, change):
        if change.actor is None:
            return None
        return {"id": change.actor.pk, "name": change.actor.get_full_name()}


class StageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.IntegerField(source="company_id")
    name = serializers.CharField()
    kind = serializers.CharField(help_text=_STAGE_KINDS)
    position = serializers.IntegerField()
    candidate_label = serializers.CharField(help_text="What candidates see; empty: the kind.")


class _CandidateApplicationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    job = _JobRef()
    stage = _StageRef()
    status = serializers.CharField(help_text=_STATUSES)
    stage_entered_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _ProfileOutput(serializers.Serializer):
    headline = serializers.CharField()
    current_title = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, or empty.")
    phone = serializers.CharField()
    links = serializers.DictField()
    skills = serializers.ListField(child=serializers.CharField(), help_text="Skill slugs.")
    years_experience = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()


class CandidateOutput(serializers.Serializer):
    """An applicant as a company sees them: their profile, and their applications to the
    caller's companies (never those to others)."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")
    profile = serializers.SerializerMethodField(help_text="Null when they have none.")
    applications = _CandidateApplicationOutput(source="scoped_applications", many=True)

    @extend_schema_field(_ProfileOutput(allow_null=True))
    def get_profile(self, user):
        profile = getattr(user, "candidate_profile", None)
        return _ProfileOutput(profile).data if profile is not None else None


class CandidateHitOutput(serializers.Serializer):
    candidate = serializers.SerializerMethodField()
    score = serializers.FloatField(help_text="Relevance; higher is better.")
    snippet_html = serializers.CharField(
        help_text="Escaped text with <mark> around the matched words."
    )
    applications = _CandidateApplicationOutput(many=True)

    @extend_schema_field(
        inline_serializer(
            name="CandidateHitPerson",
            fields={
                "id": serializers.IntegerField(),
                "email": serializers.EmailField(),
                "name": serializers.CharField(),
                "headline": serializers.CharField(),
            },
        )
    )
    def get_candidate(self, hit):
        user = hit.candidate
        profile = getattr(user, "candidate_profile", None)
        return {
            "id": user.pk,
            "email": user.email,
            "name": user.full_name,
            "headline": profile.headline if profile is not None else "",
        }


_JOB = {"id": 310, "title": "Backend Engineer"}
_STAGE = {"id": 41, "name": "Phone screen", "kind": "screen"}
_APPLICATION = {
    "id": 5120,
    "job": _JOB,
    "candidate": {"id": 4021, "name": "Ada Lovelace", "email": "ada@example.org"},
    "stage": _STAGE,
    "status": "active",
    "source": "api",
    "rating": 4,
    "rejection_reason": "",
    "consent_processing": True,
    "consent_retention": False,
    "stage_entered_at": "2026-03-02T10:00:00Z",
    "created_at": "2026-03-01T09:12:44Z",
    "updated_at": "2026-03-02T10:00:00Z",
}
_DOCUMENT = {
    "id": 733,
    "kind": "resume",
    "name": "ada-lovelace-cv.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "status": "extracted",
    "application": 5120,
    "owner": 4021,
    "created_at": "2026-03-01T09:12:44Z",
    "download_url": "/api/v1/documents/733/download",
}
_APPLICATION_DETAIL = {
    **_APPLICATION,
    "cover_letter": "I have built Django services for ten years.",
    "answers": {"notice_period": "1 month"},
    "documents": [_DOCUMENT],
}


def _company_ids(request) -> set[int] | None:
    ids = company_ids_with(request.user, "applications.view")
    return None if ids is None else set(ids)


def _audit_candidate_read(request, *, target, company_id: int) -> None:
    """Record that a member or a key opened a candidate's personal data, with the IP."""
    audit_record(
        action="candidate.viewed",
        actor=request.user,
        target=target,
        company=Company(pk=company_id),  # only its id is written: no query for the row
        ip_address=request.META.get("REMOTE_ADDR"),
    )


def _application_answer(
    request, pk: int, code: int = status.HTTP_200_OK, *, view=None, audit_read: bool = False
) -> Response:
    """The application as the caller may see it, with its ETag (and Location when new);
    `view` checks its object permissions first. `audit_read` records the reading of someone
    else's application (a candidate reading their own is not audited)."""
    application = get_object_or_404(application_visible_list(user=request.user, detail=True), pk=pk)
    if view is not None:
        view.check_object_permissions(request, application)
    if audit_read and application.candidate_id != getattr(person_of(request.user), "pk", None):
        _audit_candidate_read(request, target=application, company_id=application.job.company_id)
    documents = document_list(user=request.user, filters={"application_id": application.pk})
    # A caller without the documents scope gets `none()`: Django would still compile its query
    # (with the select_related joins) before finding it empty, about 1 ms a read.
    application.visible_documents = [] if documents.query.is_empty() else list(documents)
    response = Response(
        ApplicationDetailOutput(application, context={"company_ids": _company_ids(request)}).data,
        status=code,
    )
    response["ETag"] = etag_of(application)
    if code == status.HTTP_201_CREATED:
        response["Location"] = reverse("v1:applications-detail", kwargs={"pk": application.pk})
    return response


# --- Applications --------------------------------------------------------------------------


class _AnswersField(serializers.DictField):
    """An object; in a multipart form, its JSON text."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)  # the form's JSON text
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("Send an object, or its JSON text.") from None
        value = super().to_internal_value(data)
        text = json.dumps(value)
        if len(text) > _TEXT_MAX:
            raise serializers.ValidationError(f"Keep the answers under {_TEXT_MAX} characters.")
        if "\\u0000" in text:  # PostgreSQL's jsonb cannot hold it
            raise serializers.ValidationError("Null characters are not allowed.")
        return value


class _SubmitFields(serializers.Serializer):
    job = serializers.IntegerField(**ID_BOUNDS)
    email = serializers.EmailField(
        required=False,
        help_text="The candidate's email: required when a member or key submits for someone "
        "(an existing person with it is used, or one is made); a person applying for "
        "themselves leaves it out.",
    )
    full_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="For a new candidate."
    )
    consent_processing = serializers.BooleanField(
        help_text="The candidate consents to the processing of their application; required."
    )
    consent_retention = serializers.BooleanField(
        default=False, help_text="The candidate lets the company keep their data for later roles."
    )
    cover_letter = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    answers = _AnswersField(required=False, help_text="Answers to the job's questions, by key.")
    source = serializers.ChoiceField(
        choices=Application.Source.choices,
        required=False,
        help_text="Where the candidate came from (default `api`); ignored for a person "
        "applying for themselves.",
    )
    document = serializers.IntegerField(
        required=False,
        help_text="A document of the candidate's the caller may read, sent as the resume.",
        **ID_BOUNDS,
    )


class ApplicationSubmitInput(_SubmitFields):
    """JSON: the resume is a document already uploaded (`document`), or none."""


class ApplicationSubmitUploadInput(_SubmitFields):
    """multipart/form-data: the resume is a file (PDF, DOCX or text), checked and scanned."""

    resume = serializers.FileField(
        required=False, allow_empty_file=True, help_text="PDF, DOCX or plain text."
    )


class ApplicationListApi(_UploadApi):
    permission_classes = [PersonOrKeyScope]
    read_perm = "applications.view"
    write_perm = "applications.create"

    class Filters(PageFilters):
        job = serializers.IntegerField(required=False, source="job_id", **ID_BOUNDS)
        stage = serializers.IntegerField(required=False, source="stage_id", **ID_BOUNDS)
        status = serializers.ChoiceField(choices=Application.Status.choices, required=False)
        candidate = serializers.IntegerField(required=False, source="candidate_id", **ID_BOUNDS)
        updated_after = serializers.DateTimeField(
            required=False, help_text="Only applications changed after this (ISO 8601), for sync."
        )

    @extend_schema(
        operation_id="v1_applications_list",
        summary="Applications, newest first",
        description="The applications to the jobs of the caller's companies (members with "
        "`applications.view`, keys with `applications:read`), and a signed-in person's own. "
        "Filter by `job`, `stage`, `status`, `candidate` and `updated_after`; follow `next` "
        "(or the `Link` header) for the following page.",
        parameters=[Filters],
        responses={200: paged_schema("ApplicationPage", ApplicationOutput), **errors(400)},
        examples=[OpenApiExample("a page", value=page_example(_APPLICATION), response_only=True)],
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        return page_response(
            self,
            request,
            application_list_rows(application_visible_list(user=request.user, filters=filters)),
            ApplicationOutput,
            context={"company_ids": _company_ids(request)},
        )

    @extend_schema(
        summary="Submit an application",
        description="For a candidate (members with `applications.create` or keys with "
        "`applications:write`, to their company's jobs: `email` names the candidate, who is "
        "made when new), or for oneself (a signed-in person, to an open job). The resume is "
        "a file in a multipart/form-data request (`resume`: checked, scanned and stored as the "
        "site's uploads are; 400 for a refused type or content, 413 too large, 503 scanner "
        "unavailable) or, in JSON, the id of a document of the candidate's (`document`). "
        "Nothing is kept when any part is refused. 409 `job_not_open` or `already_applied`.",
        request={
            "application/json": ApplicationSubmitInput,
            "multipart/form-data": ApplicationSubmitUploadInput,
        },
        responses={201: ApplicationDetailOutput, **errors(400, 409, 413)},
        examples=[
            OpenApiExample(
                "a partner's candidate",
                value={
                    "job": 310,
                    "email": "ada@example.org",
                    "full_name": "Ada Lovelace",
                    "consent_processing": True,
                    "source": "agency",
                    "document": 733,
                },
                request_only=True,
            ),
            OpenApiExample("submitted", value=_APPLICATION_DETAIL, response_only=True),
        ],
    )
    def post(self, request):
        data = self._data(request, file_field="resume", file_required=False)
        multipart = self._upload_limit is not None
        inputs = (ApplicationSubmitUploadInput if multipart else ApplicationSubmitInput)(data=data)
        inputs.is_valid(raise_exception=True)
        fields = dict(inputs.validated_data)
        job, for_someone = application_job_to_submit(user=request.user, job_id=fields.pop("job"))
        if job is None:
            raise serializers.ValidationError({"job": ["No such job open for applications."]})
        email, name = fields.pop("email", ""), fields.pop("full_name", "")
        source = fields.pop("source", Application.Source.API)
        if for_someone:
            if not email:
                raise serializers.ValidationError({"email": ["Name the candidate by email."]})
            people = {"candidate_email": email, "candidate_name": name, "source": source}
        else:
            if email and email.lower() != request.user.email.lower():
                raise serializers.ValidationError(
                    {"email": ["You apply for yourself; leave the email out."]}
                )
            people = {"candidate": request.user}
        if (document_id := fields.pop("document", None)) is not None:
            document = document_list(user=request.user).filter(pk=document_id).first()
            if document is None:
                raise serializers.ValidationError({"document": ["No such document."]})
            fields["document"] = document
        try:
            application = application_submit_with_resume(
                job=job,
                actor=request.user,
                ip_address=request.META.get("REMOTE_ADDR"),
                **people,
                **fields,
            )
        except DjangoValidationError as error:
            raise _upload_errors(error) from None
        return _application_answer(request, application.pk, status.HTTP_201_CREATED)


class _ApplicationApi(PartnerApi):
    permission_classes = [ApplicationAccess]
    read_perm = "applications.view"
    write_perm = "applications.move"
    candidate_reads = True
    candidate_writes = False

    def _application(self, request, pk: int, *, lock: bool = False) -> Application:
        """The application the caller may see (404 otherwise), checked for the method and,
        for a change, against `If-Match`. `lock` holds its row until the transaction ends,
        so two clients holding the same version cannot both pass the check."""
        applications = application_visible_list(user=request.user)
        if lock:
            applications = applications.select_for_update(of=("self",))
        application = get_object_or_404(applications, pk=pk)
        self.check_object_permissions(request, application)
        if request.method not in SAFE_METHODS:
            if_match_check(request, application)
        return application


_ACTION_ERRORS = errors(400, 404, 409, 412)


class ApplicationDetailApi(_ApplicationApi):
    write_perm = "applications.rate"

    class ApplicationUpdateInput(serializers.Serializer):
        rating = serializers.IntegerField(
            min_value=1,
            max_value=5,
            allow_null=True,
            required=False,
            help_text="1 to 5, or null to clear (`applications.rate`: hiring managers and up).",
        )
        stage = serializers.IntegerField(
            required=False,
            help_text="Move to this stage of the company's pipeline (`applications.move`); "
            "hire and reject with their actions.",
            **ID_BOUNDS,
        )

    @extend_schema(
        summary="One application",
        description="With the cover letter, the answers, the documents the caller may read, "
        "and its `ETag`, for `If-Match` on changes.",
        responses={200: ApplicationDetailOutput, **errors(404)},
        examples=[OpenApiExample("an application", value=_APPLICATION_DETAIL, response_only=True)],
    )
    def get(self, request, pk: int):
        return _application_answer(request, pk, view=self, audit_read=True)

    @extend_schema(
        summary="Rate an application, or move it to a stage",
        description="Changes `rating` (hiring managers and up) and/or `stage` (recruiters and "
        "up; `stage` names a stage of the company's pipeline, other than hired or rejected). "
        "Keys need `applications:write`. 412 when `If-Match` names an older version; the "
        "answer carries the new `ETag`.",
        request=ApplicationUpdateInput,
        responses={200: ApplicationDetailOutput, **_ACTION_ERRORS},
        examples=[OpenApiExample("rate", value={"rating": 4}, request_only=True)],
    )
    def patch(self, request, pk: int):
        data = self.ApplicationUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = data.validated_data
        if not changes:
            raise serializers.ValidationError({"non_field_errors": ["Send `rating` or `stage`."]})
        with transaction.atomic():
            application = self._application(request, pk, lock=True)
            for field, perm in (("stage", "applications.move"), ("rating", "applications.rate")):
                if field in changes and not has_perm(request.user, perm, application):
                    raise exceptions.PermissionDenied(f"You may not change the {field}.")
            if "stage" in changes:
                stage = application_stage(application=application, stage_id=changes["stage"])
                if stage is None:
                    raise serializers.ValidationError({"stage": ["No such stage in the pipeline."]})
                application = application_move(
                    application=application, stage=stage, actor=request.user
                )
            if "rating" in changes:
                application_rate(
                    application=application, rating=changes["rating"], actor=request.user
                )
        return _application_answer(request, pk)


class ApplicationMoveApi(_ApplicationApi):
    write_perm = "applications.move"

    class ApplicationMoveInput(serializers.Serializer):
        stage = serializers.IntegerField(
            help_text="A stage of the company's pipeline.", **ID_BOUNDS
        )
        reason = serializers.CharField(max_length=255, required=False, default="")

    @extend_schema(
        summary="Move an application to a stage",
        description="Recruiters and up, or keys with `applications:write`. Not to the hired or "
        "rejected stage (409 `use_hire_or_reject`: use those actions), nor to the stage it is "
        "in (409 `same_stage`); 409 `application_closed` once rejected, withdrawn or hired. "
        "Honours `If-Match` (412).",
        request=ApplicationMoveInput,
        responses={200: ApplicationDetailOutput, **_ACTION_ERRORS},
        examples=[OpenApiExample("move", value={"stage": 41}, request_only=True)],
    )
    def post(self, request, pk: int):
        data = self.ApplicationMoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            application = self._application(request, pk, lock=True)
            stage = application_stage(
                application=application, stage_id=data.validated_data["stage"]
            )
            if stage is None:
                raise serializers.ValidationError({"stage": ["No such stage in the pipeline."]})
            application_move(
                application=application,
                stage=stage,
                actor=request.user,
                reason=data.validated_data["reason"],
            )
        return _application_answer(request, pk)


class ApplicationRejectApi(_ApplicationApi):
    write_perm = "applications.reject"

    class ApplicationRejectInput(serializers.Serializer):
        reason = serializers.CharField(max_length=255, help_text="Why; kept for the company.")

    @extend_schema(
        summary="Reject an application",
        description="Moves it to the rejected stage with the reason (recruiters and up, or "
        "keys with `applications:write`). 409 `application_closed` when it is no longer "
        "active. Honours `If-Match` (412).",
        request=ApplicationRejectInput,
        responses={200: ApplicationDetailOutput, **_ACTION_ERRORS},
        examples=[
            OpenApiExample("reject", value={"reason": "The role was filled."}, request_only=True)
        ],
    )
    def post(self, request, pk: int):
        data = self.ApplicationRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            application = self._application(request, pk, lock=True)
            application_reject(
                application=application, actor=request.user, reason=data.validated_data["reason"]
            )
        return _application_answer(request, pk)


class ApplicationHireApi(_ApplicationApi):
    write_perm = "applications.hire"

    @extend_schema(
        summary="Hire the candidate",
        description="Moves the application to the hired stage (recruiters and up, or keys with "
        "`applications:write`). 409 `application_closed` when it is no longer active. "
        "Honours `If-Match` (412).",
        request=None,
        responses={200: ApplicationDetailOutput, **_ACTION_ERRORS},
    )
    def post(self, request, pk: int):
        with transaction.atomic():
            application = self._application(request, pk, lock=True)
            application_hire(application=application, actor=request.user)
        return _application_answer(request, pk)


class ApplicationWithdrawApi(_ApplicationApi):
    candidate_writes = True

    class ApplicationWithdrawInput(serializers.Serializer):
        reason = serializers.CharField(max_length=255, required=False, default="")

    @extend_schema(
        summary="Withdraw your application",
        description="The candidate, signed in, withdraws their own application (403 for "
        "anyone else who may see it, and for keys). 409 `application_closed` when it is no "
        "longer active. Honours `If-Match` (412).",
        request=ApplicationWithdrawInput,
        responses={200: ApplicationDetailOutput, **_ACTION_ERRORS},
    )
    def post(self, request, pk: int):
        data = self.ApplicationWithdrawInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            application = self._application(request, pk, lock=True)
            application_withdraw(
                application=application,
                candidate=request.user,
                reason=data.validated_data["reason"],
            )
        return _application_answer(request, pk)


class ApplicationStageHistoryApi(_ApplicationApi):
    candidate_reads = False

    @extend_schema(
        operation_id="v1_applications_stages_list",
        summary="An application's stage history",
        description="Every move, oldest first: from and to which stage, the status after it, "
        "who (null for a key or the system) and why. For its company (`applications.view`, "
        "`applications:read`); the candidate gets 403.",
        responses={200: StageChangeOutput(many=True), **errors(404)},
    )
    def get(self, request, pk: int):
        application = self._application(request, pk)
        changes = stage_history(application=application)
        return Response(StageChangeOutput(changes, many=True).data)


class StageListApi(PartnerApi):
    permission_classes = [CompanyPermission.require("applications.view")]

    @extend_schema(
        operation_id="v1_stages_list",
        summary="The pipeline stages",
        description="The stages of the caller's companies' pipelines, in order: the ids to "
        "move applications to. Members with `applications.view`, keys with "
        "`applications:read`.",
        parameters=[PageFilters],
        responses={200: paged_schema("StagePage", StageOutput), **errors(400)},
    )
    def get(self, request):
        query_filters(PageFilters, request)
        paginator = CursorPagination()
        paginator.ordering = ("company_id", "position")
        rows = stage_list(user=request.user)
        return page_response(self, request, rows, StageOutput, paginator=paginator)


# --- Candidates ----------------------------------------------------------------------------

_CANDIDATE = {
    "id": 4021,
    "email": "ada@example.org",
    "name": "Ada Lovelace",
    "profile": {
        "headline": "Senior Backend Engineer",
        "current_title": "Backend Engineer",
        "city": "Berlin",
        "region": "Berlin",
        "country": "DE",
        "phone": "+493012345678",
        "links": {"github": "https://github.com/ada"},
        "skills": ["python", "django"],
        "years_experience": 9,
        "updated_at": "2026-03-01T08:00:00Z",
    },
    "applications": [
        {
            "id": 5120,
            "job": _JOB,
            "stage": _STAGE,
            "status": "active",
            "stage_entered_at": "2026-03-02T10:00:00Z",
            "created_at": "2026-03-01T09:12:44Z",
            "updated_at": "2026-03-02T10:00:00Z",
        }
    ],
}


class _CandidateApi(PartnerApi):
    permission_classes = [CompanyPermission.require("candidates.view")]


class CandidateListApi(_CandidateApi):
    class Filters(PageFilters):
        email = serializers.EmailField(required=False, help_text="Exactly this email, any case.")
        job = serializers.IntegerField(
            required=False, source="job_id", help_text="Applied to this job.", **ID_BOUNDS
        )
        updated_after = serializers.DateTimeField(
            required=False,
            help_text="Whose profile, or an application to the caller's companies, changed "
            "after this (ISO 8601), for sync.",
        )

    @extend_schema(
        operation_id="v1_candidates_list",
        summary="Applicants, newest first",
        description="The people who applied to the caller's companies' jobs, with their "
        "applications to those companies (never to others). Members with `candidates.view` "
        "(hiring managers and up), keys with `candidates:read`.",
        parameters=[Filters],
        responses={200: paged_schema("CandidatePage", CandidateOutput), **errors(400)},
        examples=[OpenApiExample("a page", value=page_example(_CANDIDATE), response_only=True)],
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        return page_response(
            self, request, candidate_list(user=request.user, filters=filters), CandidateOutput
        )


class CandidateDetailApi(_CandidateApi):
    @extend_schema(
        summary="One applicant",
        description="404 for a person who never applied to the caller's companies.",
        responses={200: CandidateOutput, **errors(404)},
        examples=[OpenApiExample("an applicant", value=_CANDIDATE, response_only=True)],
    )
    def get(self, request, pk: int):
        candidate = get_object_or_404(candidate_list(user=request.user), pk=pk)
        # Audited in the company of their latest application the caller may see.
        company_id = candidate.scoped_applications[0].job.company_id
        _audit_candidate_read(request, target=candidate, company_id=company_id)
        return Response(CandidateOutput(candidate).data)


class CandidateSearchApi(_CandidateApi):
    class Filters(serializers.Serializer):
        q = serializers.CharField(
            max_length=500,
            help_text="Words to find in the name, profile, resume and the documents sent "
            "(web search syntax: quotes, OR, -word).",
        )
        job = serializers.IntegerField(
            required=False, help_text="Only applicants to this job.", **ID_BOUNDS
        )
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=100, default=20, help_text="At most 100."
        )

    @extend_schema(
        operation_id="v1_search_candidates",
        summary="Search applicants",
        description="Full-text search of the people who applied to the caller's companies, "
        "best first, each with a highlighted snippet and their applications to those "
        "companies. Members with `candidates.view`, keys with `candidates:read`.",
        parameters=[Filters],
        responses={
            200: inline_serializer(
                name="CandidateSearchResult",
                fields={
                    "query": serializers.CharField(),
                    "results": CandidateHitOutput(many=True),
                },
            ),
            **errors(400),
        },
        examples=[
            OpenApiExample(
                "kubernetes",
                value={
                    "query": "kubernetes",
                    "results": [
                        {
                            "candidate": {
                                "id": 4021,
                                "email": "ada@example.org",
                                "name": "Ada Lovelace",
                                "headline": "Platform Engineer",
                            },
                            "score": 0.61,
                            "snippet_html": "Ran <mark>Kubernetes</mark> clusters for five years",
                            "applications": _CANDIDATE["applications"],
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        wanted = query_filters(self.Filters, request)
        try:
            hits = candidate_search(
                user=request.user,
                query=wanted["q"],
                job_id=wanted.get("job"),
                limit=wanted["limit"],
                perm="candidates.view",
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {"q" if name == "query" else name: messages
                 for name, messages in error.message_dict.items()}
            ) from None  # fmt: skip
        return Response({"query": wanted["q"], "results": CandidateHitOutput(hits, many=True).data})


# --- Documents -----------------------------------------------------------------------------


class _DocumentApi(PartnerApi):
    permission_classes = [PersonOrKeyScope]
    read_perm = "documents.download"
    write_perm = "applications.create"

    def _document(self, request, pk: int) -> Document:
        return get_object_or_404(document_list(user=request.user), pk=pk)


class DocumentUploadInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="PDF, DOCX or plain text.")
    kind = serializers.ChoiceField(choices=Document.Kind.choices, default=Document.Kind.RESUME)
    application = serializers.IntegerField(
        required=False,
        help_text="Send it with this application: your own, or, for members and keys, one of "
        "the company's (required for keys).",
        **ID_BOUNDS,
    )


class DocumentListApi(_UploadApi, _DocumentApi):
    class Filters(PageFilters):
        application = serializers.IntegerField(required=False, source="application_id", **ID_BOUNDS)
        kind = serializers.ChoiceField(choices=Document.Kind.choices, required=False)
        created_after = serializers.DateTimeField(
            required=False, help_text="Only documents added after this (ISO 8601), for sync."
        )

    @extend_schema(
        operation_id="v1_documents_list",
        summary="Documents, newest first",
        description="A person's own documents, and those sent with applications to the "
        "caller's companies where they may download documents (recruiters and up, keys with "
        "`documents:read`). Filter by `application`, `kind` and `created_after`.",
        parameters=[Filters],
        responses={200: paged_schema("DocumentPage", DocumentOutput), **errors(400)},
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        return page_response(
            self, request, document_list(user=request.user, filters=filters), DocumentOutput
        )

    @extend_schema(
        summary="Upload a document",
        description="multipart/form-data with one `file` (PDF, DOCX or plain text): checked "
        "(the type from its content, not its name), scanned for malware and stored privately, "
        "then its text is extracted in the background. A person uploads their own; members "
        "who may create applications, and keys with `applications:write`, upload to their "
        "company's applications, for the candidate. 400 with the reason's code for a refused "
        "file, 413 too large (or over the candidate's quota), 503 scanner unavailable.",
        request={"multipart/form-data": DocumentUploadInput},
        responses={201: DocumentOutput, **errors(400, 413)},
        examples=[OpenApiExample("uploaded", value=_DOCUMENT, response_only=True)],
    )
    def post(self, request):
        data = self._data(request, file_field="file", file_required=True)
        inputs = DocumentUploadInput(data=data)
        inputs.is_valid(raise_exception=True)
        wanted = inputs.validated_data
        application = None
        if (application_id := wanted.get("application")) is not None:
            application = application_for_documents(
                user=request.user, application_id=application_id
            )
            if application is None:
                raise serializers.ValidationError({"application": ["No such application."]})
        try:
            document = document_add(
                actor=request.user,
                file=wanted["file"],
                kind=wanted["kind"],
                application=application,
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except DjangoValidationError as error:
            raise _upload_errors(error) from None
        response = Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("v1:documents-detail", kwargs={"pk": document.pk})
        return response


class DocumentDetailApi(_DocumentApi):
    @extend_schema(
        summary="A document's details",
        description="Its name, type, size, checksum and extraction status; the file itself "
        "is at `download_url`.",
        responses={200: DocumentOutput, **errors(404)},
        examples=[OpenApiExample("a document", value=_DOCUMENT, response_only=True)],
    )
    def get(self, request, pk: int):
        return Response(DocumentOutput(self._document(request, pk)).data)


class DocumentDownloadApi(_DocumentApi):
    @extend_schema(
        operation_id="v1_documents_download",
        summary="Download a document",
        description="The file as an attachment (with `nosniff` and a sandboxing CSP), or a "
        "302 to a signed storage URL valid for minutes. Reads by anyone but the owner are "
        "audited.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The file."
            ),
            302: OpenApiResponse(description="A short-lived signed URL to the file."),
            **errors(404),
        },
    )
    def get(self, request, pk: int):
        self._document(request, pk)  # 404 in the API's words before the page's own check
        # The page's view: the same permission check, audit and response headers.
        return pages.document_download(request._request, pk=pk)
