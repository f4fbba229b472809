"""Jobs in the partner API (`/api/v1/`): a company's jobs, the public board, and job search.

- `jobs`, `jobs/<id>`, `jobs/<id>/publish|close`: members by role (`jobs.view` to read,
  `jobs.create`, `jobs.edit`, `jobs.publish` to write), or a company's keys with `jobs:read` /
  `jobs:write`, in their own company only. Another company's job answers 404.
- `public/jobs`, `public/jobs/<id>`: open jobs, for anyone, without the internal fields.
- `search/jobs`: the job board's search (`jobs.search.search_jobs`) over open jobs, with
  filters and facets, for anyone.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from accounts.models import SalaryPeriod, Seniority
from accounts.partner_api import PartnerApi, errors
from accounts.permissions import CompanyPermission
from jobs.descriptions import html_sanitise, html_to_text
from jobs.models import Job
from jobs.search import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    SORTS,
    Facet,
    search_jobs,
)
from jobs.selectors import (
    job_create_company,
    job_list,
    job_list_company,
    job_public_company,
    job_public_list,
)
from jobs.services import job_close, job_create, job_delete, job_publish, job_update
from recruitment.api import (
    ID_BOUNDS,
    CursorPagination,
    etag_of,
    if_match_check,
    page_example,
    page_response,
    paged_schema,
    rows_data,
)


class PublicReadOnly(BasePermission):
    """Anyone, signed in or not, may read (GET, HEAD, OPTIONS); nobody may write.

    For the public board and job search, which show open jobs only.
    """

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS


# --- Output ----------------------------------------------------------------------------------


class JobCompanyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class PublicJobOutput(serializers.Serializer):
    """What anyone may see of an open job."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()
    company = JobCompanyOutput()
    city = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, or empty.")
    remote = serializers.CharField()
    employment_type = serializers.CharField()
    seniority = serializers.CharField(help_text="Empty when the posting does not say.")
    salary_min = serializers.IntegerField(allow_null=True)
    salary_max = serializers.IntegerField(allow_null=True)
    salary_currency = serializers.CharField(help_text="ISO 4217, or empty without a salary.")
    salary_period = serializers.CharField()
    skills = serializers.ListField(
        source="skill_slugs", child=serializers.CharField(), help_text="Skill slugs."
    )
    published_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)


class JobQuestionOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    required = serializers.BooleanField(required=False)


class PublicJobDetailOutput(PublicJobOutput):
    description_html = serializers.CharField(help_text="Sanitised HTML.")
    description_text = serializers.CharField()
    questions = JobQuestionOutput(many=True, help_text="What an application must answer.")
    external_url = serializers.CharField(help_text="The original posting, when scraped.")


class JobOutput(PublicJobOutput):
    """A job as its company sees it: the list's row (no description or questions)."""

    status = serializers.CharField()
    external_id = serializers.CharField(help_text="The job's id in the partner's system.")
    created_by = serializers.IntegerField(
        source="created_by_id", allow_null=True, help_text="The member who created it."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class JobDetailOutput(JobOutput):
    description_html = serializers.CharField(help_text="Sanitised HTML.")
    description_text = serializers.CharField()
    questions = JobQuestionOutput(many=True)
    external_url = serializers.CharField()


_COMPANY_EXAMPLE = {"id": 3, "slug": "acme-robotics", "name": "Acme Robotics"}
_PUBLIC_JOB_EXAMPLE = {
    "id": 310,
    "title": "Backend Engineer",
    "slug": "backend-engineer",
    "company": _COMPANY_EXAMPLE,
    "city": "Berlin",
    "region": "Berlin",
    "country": "DE",
    "remote": "hybrid",
    "employment_type": "full_time",
    "seniority": "senior",
    "salary_min": 70000,
    "salary_max": 90000,
    "salary_currency": "EUR",
    "salary_period": "year",
    "skills": ["python", "django", "postgresql"],
    "published_at": "2026-02-27T09:00:00Z",
    "closes_at": None,
}
_JOB_EXAMPLE = {
    **_PUBLIC_JOB_EXAMPLE,
    "status": "open",
    "external_id": "HR-2291",
    "created_by": 17,
    "created_at": "2026-02-20T14:03:11Z",
    "updated_at": "2026-02-27T09:00:00Z",
}
_DETAIL_EXTRA = {
    "description_html": "<p>Build the platform with Python and PostgreSQL.</p>",
    "description_text": "Build the platform with Python and PostgreSQL.",
    "questions": [
        {
            "key": "work_permit",
            "label": "Do you have the right to work here?",
            "type": "boolean",
            "required": True,
        },
    ],
    "external_url": "",
}
_JOB_DETAIL_EXAMPLE = {**_JOB_EXAMPLE, **_DETAIL_EXTRA}
_PUBLIC_JOB_DETAIL_EXAMPLE = {**_PUBLIC_JOB_EXAMPLE, **_DETAIL_EXTRA}


_ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="The job's version; send it back in `If-Match` to update safely.",
    response=[200],
)
_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="The `ETag` you read: the change is refused with 412 if the job changed since.",
)


def _with_etag(job: Job, output: type[serializers.Serializer], code: int = 200) -> Response:
    response = Response(output(job).data, status=code)
    response["ETag"] = etag_of(job)
    return response


# --- Input -----------------------------------------------------------------------------------


class JobQuestionInput(serializers.Serializer):
    key = serializers.SlugField(max_length=50)
    label = serializers.CharField(max_length=300)
    type = serializers.ChoiceField(choices=["text", "boolean", "choice"])
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=50
    )
    required = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs["type"] == "choice" and not attrs.get("choices"):
            raise serializers.ValidationError({"choices": ["A choice question needs choices."]})
        if attrs["type"] != "choice":
            attrs.pop("choices", None)
        return attrs


class JobInput(serializers.Serializer):
    """The fields of a job a partner writes; status moves only through publish and close."""

    company = serializers.IntegerField(
        required=False,
        help_text="The company's id. A key creates in its own company; a member of several "
        "companies must name one. A job stays in its company.",
        **ID_BOUNDS,
    )
    title = serializers.CharField(max_length=200)
    description_html = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100_000,
        help_text="HTML; sanitised (a small allow-list of text tags, no scripts or styles).",
    )
    description_text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100_000,
        help_text="Plain text; made from `description_html` when left out.",
    )
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    region = serializers.CharField(required=False, allow_blank=True, max_length=100)
    country = serializers.RegexField(
        r"^[A-Z]{2}$", required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2."
    )
    remote = serializers.ChoiceField(choices=Job.Remote.choices, required=False)
    employment_type = serializers.ChoiceField(choices=Job.EmploymentType.choices, required=False)
    seniority = serializers.ChoiceField(choices=Seniority.choices, required=False, allow_blank=True)
    salary_min = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2_147_483_647
    )
    salary_max = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2_147_483_647
    )
    salary_currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, allow_blank=True, help_text="ISO 4217."
    )
    salary_period = serializers.ChoiceField(choices=SalaryPeriod.choices, required=False)
    questions = JobQuestionInput(many=True, required=False, max_length=50)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    external_url = serializers.URLField(required=False, allow_blank=True, max_length=1000)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=255)

    def validate_description_html(self, value: str) -> str:
        return html_sanitise(value)

    def validate_questions(self, value: list[dict]) -> list[dict]:
        keys = [question["key"] for question in value]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError("Each question needs its own key.")
        return value

    def validate(self, attrs):
        if attrs.get("description_html") and "description_text" not in attrs:
            attrs["description_text"] = html_to_text(attrs["description_html"])
        return attrs


class JobFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Job.Status.choices, required=False)
    remote = serializers.ChoiceField(choices=Job.Remote.choices, required=False)
    company = serializers.IntegerField(
        required=False, help_text="Only this company's jobs (its id; one of yours).", **ID_BOUNDS
    )
    updated_after = serializers.DateTimeField(
        required=False, help_text="Only jobs changed after this time (ISO 8601), for sync."
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=500, help_text="Rows per page (default 50)."
    )
    cursor = serializers.CharField(
        required=False, help_text="The `next` link's cursor, to read the following page."
    )


class PublicJobFilters(serializers.Serializer):
    remote = serializers.ChoiceField(choices=Job.Remote.choices, required=False)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$", required=False, help_text="ISO 3166-1 alpha-2."
    )
    company = serializers.SlugField(required=False, help_text="The company's slug.")
    updated_after = serializers.DateTimeField(
        required=False, help_text="Only jobs changed after this time (ISO 8601), for sync."
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=500, help_text="Rows per page (default 50)."
    )
    cursor = serializers.CharField(
        required=False, help_text="The `next` link's cursor, to read the following page."
    )


# The columns a row of the lists shows (PublicJobOutput and JobOutput): the descriptions and
# questions are read for one job only.
_PUBLIC_ROW_COLUMNS = (
    "title", "slug", "city", "region", "country", "remote", "employment_type", "seniority",
    "salary_min", "salary_max", "salary_currency", "salary_period", "skill_slugs",
    "published_at", "closes_at", "company__id", "company__slug", "company__name",
)  # fmt: skip
_ROW_COLUMNS = (
    *_PUBLIC_ROW_COLUMNS, "status", "external_id", "created_by", "created_at", "updated_at",
)  # fmt: skip


# --- A company's jobs ------------------------------------------------------------------------


def _job(request, pk: int, view) -> Job:
    """The caller's job `pk` (404 for a missing one or another company's), object-checked."""
    job = get_object_or_404(job_list(user=request.user), pk=pk)
    view.check_object_permissions(request, job)
    return job


class JobListApi(PartnerApi):
    permission_classes = [CompanyPermission.require("jobs.view", write="jobs.create")]

    @extend_schema(
        operation_id="v1_jobs_list",
        summary="The company's jobs, newest first",
        description="Jobs of the companies where you may view jobs (a key: its company), in "
        "every status, newest first, without descriptions and questions (read one job for "
        "those). Filter by `status`, `remote`, `company` (the id of one of your companies) and "
        "`updated_after` (ISO 8601, for incremental sync); `page_size` up to 500, then follow "
        "`next` (or the `Link` header).",
        parameters=[JobFilters],
        responses={200: paged_schema("JobPage", JobOutput), **errors(400)},
        examples=[
            OpenApiExample("a page of jobs", value=page_example(_JOB_EXAMPLE), response_only=True)
        ],
    )
    def get(self, request):
        filters = JobFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        company_id = wanted.get("company")
        if (
            company_id is not None
            and job_list_company(user=request.user, company_id=company_id) is None
        ):
            raise serializers.ValidationError({"company": ["Unknown company."]})
        jobs = job_list(
            user=request.user,
            filters={
                "status": wanted.get("status"),
                "remote": wanted.get("remote"),
                "company_id": company_id,
                "updated_after": wanted.get("updated_after"),
            },
        )
        return page_response(self, request, jobs.only(*_ROW_COLUMNS), JobOutput)

    @extend_schema(
        operation_id="v1_jobs_create",
        summary="Create a job",
        description="Creates a draft job (publish it with `POST jobs/{id}/publish`). Members "
        "with `jobs.create` (recruiters and up) or keys with `jobs:write`. A key creates in "
        "its own company; a member of several companies names `company`. `description_html` "
        "is sanitised. Send an `Idempotency-Key` header to retry safely: the same key gives "
        "the same answer and creates one job.",
        request=JobInput,
        responses={201: JobDetailOutput, **errors(400, 409, 422)},
        examples=[
            OpenApiExample(
                "a new job",
                value={
                    "title": "Backend Engineer",
                    "description_html": "<p>Build the platform with Python and PostgreSQL.</p>",
                    "city": "Berlin",
                    "country": "DE",
                    "remote": "hybrid",
                    "seniority": "senior",
                    "salary_min": 70000,
                    "salary_max": 90000,
                    "salary_currency": "EUR",
                    "external_id": "HR-2291",
                },
                request_only=True,
            ),
            OpenApiExample(
                "the job created",
                value={**_JOB_DETAIL_EXAMPLE, "status": "draft", "published_at": None},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request):
        data = JobInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        company = job_create_company(user=request.user, company_id=fields.pop("company", None))
        job = job_create(company=company, actor=request.user, **fields)
        response = _with_etag(job, JobDetailOutput, status.HTTP_201_CREATED)
        response["Location"] = reverse("v1:jobs-detail", kwargs={"pk": job.pk})
        return response


class JobDetailApi(PartnerApi):
    permission_classes = [CompanyPermission.require("jobs.view", write="jobs.edit")]

    @extend_schema(
        operation_id="v1_jobs_retrieve",
        summary="One job",
        description="The job with its description and questions, and its `ETag` header for "
        "`If-Match` on changes. Another company's job answers 404.",
        responses={200: JobDetailOutput, **errors(404)},
        parameters=[_ETAG_HEADER],
        examples=[OpenApiExample("a job", value=_JOB_DETAIL_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        return _with_etag(_job(request, pk, self), JobDetailOutput)

    @extend_schema(
        operation_id="v1_jobs_partial_update",
        summary="Change a job",
        description="Changes the fields sent (not its status: publish and close do). Members "
        "with `jobs.edit` or keys with `jobs:write`. With `If-Match: <ETag>`, a job changed "
        "since that version is left alone and 412 answers; the new `ETag` comes back.",
        request=JobInput,
        parameters=[_IF_MATCH, _ETAG_HEADER],
        responses={200: JobDetailOutput, **errors(400, 404, 412)},
        examples=[
            OpenApiExample(
                "a new title", value={"title": "Staff Backend Engineer"}, request_only=True
            ),
        ],
    )
    def patch(self, request, pk: int):
        data = JobInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        company_id = fields.pop("company", None)
        # The row is locked from the If-Match check to the write, so two clients holding the
        # same version cannot both pass the check.
        with transaction.atomic():
            # Every column (no deferred ones): the service validates and saves the whole row.
            jobs = job_list(user=request.user).defer(None).select_for_update(of=("self",))
            job = get_object_or_404(jobs, pk=pk)
            self.check_object_permissions(request, job)
            if company_id not in (None, job.company_id):
                raise serializers.ValidationError({"company": ["A job stays in its company."]})
            if_match_check(request, job)
            job = job_update(job=job, actor=request.user, **fields)
        return _with_etag(job, JobDetailOutput)

    @extend_schema(
        operation_id="v1_jobs_destroy",
        summary="Delete a job (or archive it)",
        description="A job nobody applied to is deleted. A job with applications is archived "
        "instead (closed first when open), so the applications and their history stay; it "
        "remains readable with status `archived`, and deleting it again changes nothing. "
        "Either way 204. Members with `jobs.edit` and `jobs.publish` (recruiters and up) or "
        "keys with `jobs:write`. Honours `If-Match`.",
        parameters=[_IF_MATCH],
        responses={204: None, **errors(404, 412)},
    )
    def delete(self, request, pk: int):
        job = _job(request, pk, self)
        if_match_check(request, job)
        job_delete(job=job, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _JobTransitionApi(PartnerApi):
    """A status change: `transition` is the service (job_publish, job_close)."""

    permission_classes = [CompanyPermission.require("jobs.view", write="jobs.publish")]
    transition: staticmethod

    def post(self, request, pk: int):
        job = _job(request, pk, self)
        if_match_check(request, job)
        job = type(self).transition(job=job, actor=request.user)
        return _with_etag(job, JobDetailOutput)


class JobPublishApi(_JobTransitionApi):
    transition = staticmethod(job_publish)

    @extend_schema(
        operation_id="v1_jobs_publish",
        summary="Publish a job",
        description="Opens a draft or closed job on the board (published now). Members with "
        "`jobs.publish` (recruiters and up) or keys with `jobs:write`. 409 "
        "`invalid_transition` for an open or archived job.",
        request=None,
        parameters=[_IF_MATCH, _ETAG_HEADER],
        responses={200: JobDetailOutput, **errors(404, 409, 412)},
        examples=[OpenApiExample("the job, open", value=_JOB_DETAIL_EXAMPLE, response_only=True)],
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


class JobCloseApi(_JobTransitionApi):
    transition = staticmethod(job_close)

    @extend_schema(
        operation_id="v1_jobs_close",
        summary="Close a job",
        description="Takes an open job off the board; its applications go on. Members with "
        "`jobs.publish` or keys with `jobs:write`. 409 `invalid_transition` for a job that "
        "is not open.",
        request=None,
        parameters=[_IF_MATCH, _ETAG_HEADER],
        responses={200: JobDetailOutput, **errors(404, 409, 412)},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


# --- The public board --------------------------------------------------------------------------


class PublicJobPagination(CursorPagination):
    ordering = ("-published_at", "-id")


class PublicJobListApi(PartnerApi):
    permission_classes = [PublicReadOnly]

    @extend_schema(
        operation_id="v1_public_jobs_list",
        summary="Open jobs, for anyone",
        description="Every open job (not past its closing date), most recently published "
        "first, without the company's internal fields. No authentication needed. Filter by "
        "`remote`, `country`, `company` (a slug) and `updated_after`; `page_size` up to 500, "
        "then follow `next`. To search, use `search/jobs`.",
        parameters=[PublicJobFilters],
        responses={200: paged_schema("PublicJobPage", PublicJobOutput), **errors(400)},
        auth=[{}],
        examples=[
            OpenApiExample(
                "a page of open jobs", value=page_example(_PUBLIC_JOB_EXAMPLE), response_only=True
            )
        ],
    )
    def get(self, request):
        filters = PublicJobFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = dict(filters.validated_data)
        if "country" in wanted:
            wanted["country"] = wanted["country"].upper()
        if "company" in wanted and job_public_company(slug=wanted["company"]) is None:
            raise serializers.ValidationError({"company": ["Unknown company."]})
        jobs = job_public_list(filters=wanted).only(*_PUBLIC_ROW_COLUMNS)
        return page_response(self, request, jobs, PublicJobOutput, paginator=PublicJobPagination())


class PublicJobDetailApi(PartnerApi):
    permission_classes = [PublicReadOnly]

    @extend_schema(
        operation_id="v1_public_jobs_retrieve",
        summary="One open job, for anyone",
        description="An open job with its description and application questions. A job that "
        "is not open (or does not exist) answers 404. No authentication needed.",
        responses={200: PublicJobDetailOutput, **errors(404)},
        auth=[{}],
        examples=[
            OpenApiExample("an open job", value=_PUBLIC_JOB_DETAIL_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request, pk: int):
        job = get_object_or_404(job_public_list(), pk=pk)
        return Response(PublicJobDetailOutput(job).data)


# --- Search ----------------------------------------------------------------------------------


class JobSearchFilters(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        help_text='Words, "a phrase", `OR`, `-word` (web search syntax); typos are corrected '
        "when they find nothing. Empty: every open job.",
    )
    city = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    country = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, help_text="ISO 3166-1 alpha-2."
    )
    remote = serializers.ListField(
        child=serializers.ChoiceField(choices=Job.Remote.choices), required=False
    )
    employment_type = serializers.ListField(
        child=serializers.ChoiceField(choices=Job.EmploymentType.choices), required=False
    )
    seniority = serializers.ListField(
        child=serializers.ChoiceField(choices=Seniority.choices), required=False
    )
    company = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, help_text="Company slugs."
    )
    skills = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="Skill slugs; a job must have all of them.",
    )
    salary_min = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100_000_000,
        help_text="Yearly, in EUR: jobs whose range reaches it (jobs without a salary are left "
        "out).",
    )
    salary_max = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100_000_000,
        help_text="Yearly, in EUR: jobs whose range starts at or below it.",
    )
    posted_within_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    sort = serializers.ChoiceField(choices=SORTS, required=False, default="relevance")
    mode = serializers.ChoiceField(
        choices=["fulltext", "auto", "hybrid", "semantic"],
        required=False,
        default="fulltext",
        help_text="`fulltext` (default, fastest); `auto` adds meaning (hybrid) when jobs have "
        "embeddings; `hybrid` and `semantic` ask for it.",
    )
    facets = serializers.BooleanField(
        required=False, default=True, help_text="Count per filter value (default true)."
    )
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=MAX_OFFSET)
    page_size = serializers.IntegerField(
        required=False, default=20, min_value=1, max_value=MAX_PAGE_SIZE
    )

    def validate(self, attrs):
        if (attrs["page"] - 1) * attrs["page_size"] >= MAX_OFFSET:
            raise serializers.ValidationError(
                {"page": [f"Results stop at {MAX_OFFSET:,}; narrow the search instead."]}
            )
        return attrs


# The engine's filters, and the engine's name of a parameter where it differs.
_SEARCH_FILTERS = ("city", "country", "remote", "employment_type", "seniority", "company",
                   "skills", "salary_min", "salary_max", "posted_within_days")  # fmt: skip
_PARAMETER_OF = {"query": "q"}


class JobHitOutput(serializers.Serializer):
    position = serializers.IntegerField(help_text="1-based, in the whole result list.")
    score = serializers.FloatField()
    title_html = serializers.CharField(help_text="The title, escaped, matches in <mark>.")
    snippet_html = serializers.CharField(help_text="Matching passages, escaped, in <mark>.")
    job = PublicJobOutput()


class FacetValueOutput(serializers.Serializer):
    value = serializers.CharField(help_text="The filter value to send back to narrow.")
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class FacetOutput(serializers.Serializer):
    values = FacetValueOutput(many=True)
    approximate = serializers.BooleanField(
        help_text="Counted on a sample of a large result set, scaled and rounded."
    )


class JobSearchOutput(serializers.Serializer):
    query = serializers.CharField()
    query_used = serializers.CharField(help_text="The corrected query when q found nothing.")
    did_you_mean = serializers.CharField(allow_null=True)
    mode_used = serializers.CharField()
    sort = serializers.CharField()
    total = serializers.IntegerField()
    total_is_exact = serializers.BooleanField(
        help_text="False: `total` is estimated from a sample and rounded."
    )
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = JobHitOutput(many=True)
    facets = serializers.DictField(
        child=FacetOutput(),
        help_text="By filter: city, country, remote, employment_type, seniority, company, "
        "skills, salary, posted_within_days. Each counts with every other filter applied.",
    )
    took_ms = serializers.FloatField()


_SEARCH_EXAMPLE = {
    "query": "python",
    "query_used": "python",
    "did_you_mean": None,
    "mode_used": "fulltext",
    "sort": "relevance",
    "total": 1840,
    "total_is_exact": True,
    "page": 1,
    "page_size": 20,
    "num_pages": 92,
    "next": "https://jobs.example.org/api/v1/search/jobs?q=python&page=2",
    "previous": None,
    "results": [
        {
            "position": 1,
            "score": 0.61,
            "title_html": "Senior <mark>Python</mark> Engineer",
            "snippet_html": "Build the platform with <mark>Python</mark> and PostgreSQL.",
            "job": _PUBLIC_JOB_EXAMPLE,
        }
    ],
    "facets": {
        "remote": {
            "values": [
                {"value": "hybrid", "label": "Hybrid", "count": 910, "selected": False},
                {"value": "remote", "label": "Remote", "count": 520, "selected": False},
                {"value": "onsite", "label": "On site", "count": 410, "selected": False},
            ],
            "approximate": False,
        }
    },
    "took_ms": 6.2,
}


def _facets_data(facets: dict[str, Facet]) -> dict[str, dict]:
    """The facets as FacetOutput documents them, built directly: a search can count hundreds
    of values (every city of the matches), which a serializer per value makes milliseconds."""
    return {
        name: {
            "values": [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in facet.values
            ],
            "approximate": facet.approximate,
        }
        for name, facet in facets.items()
    }


class JobSearchApi(PartnerApi):
    permission_classes = [PublicReadOnly]

    @extend_schema(
        operation_id="v1_search_jobs",
        summary="Search open jobs",
        description="The job board's search over open jobs: ranked full text (title, skills, "
        "company and place, description) with typo correction, the filters, and facets (counts "
        "per value of each filter, with the other filters applied) next to the results. "
        "Several values of a filter (repeat the parameter: `remote=remote&remote=hybrid`) mean "
        "any of them; skills mean all. Salaries are yearly in EUR. Pages by number: `page` and "
        "`page_size` (up to 100), results stop at 10,000; `next`/`previous` and the `Link` "
        "header give the neighbours. Large totals are estimates (`total_is_exact`). "
        "No authentication needed.",
        parameters=[JobSearchFilters],
        responses={200: JobSearchOutput, **errors(400)},
        auth=[{}],
        examples=[OpenApiExample("python jobs", value=_SEARCH_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        params = JobSearchFilters(data=request.query_params)
        params.is_valid(raise_exception=True)
        wanted = params.validated_data
        try:
            result = search_jobs(
                query=wanted.get("q", ""),
                filters={name: wanted[name] for name in _SEARCH_FILTERS if name in wanted},
                sort=wanted["sort"],
                page=wanted["page"],
                page_size=wanted["page_size"],
                mode=wanted["mode"],
                facets=wanted["facets"],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {
                    _PARAMETER_OF.get(name, name): messages
                    for name, messages in error.message_dict.items()
                }
            ) from None
        url = request.build_absolute_uri()
        next_url = previous_url = None
        if result.has_next:
            next_url = replace_query_param(url, "page", result.page + 1)
        if result.page > 1:
            previous_url = (
                remove_query_param(url, "page")
                if result.page == 2
                else replace_query_param(url, "page", result.page - 1)
            )
        body = {
            "query": result.query,
            "query_used": result.query_used,
            "did_you_mean": result.did_you_mean,
            "mode_used": result.mode_used,
            "sort": result.sort,
            "total": result.total,
            "total_is_exact": result.total_is_exact,
            "page": result.page,
            "page_size": result.page_size,
            "num_pages": result.num_pages,
            "next": next_url,
            "previous": previous_url,
            "results": rows_data(JobHitOutput, result.results),
            "facets": _facets_data(result.facets),
            "took_ms": result.took_ms,
        }
        response = Response(body)
        links = [
            f'<{u}>; rel="{rel}"'
            for u, rel in ((next_url, "next"), (previous_url, "prev"))
            if u is not None
        ]
        if links:
            response["Link"] = ", ".join(links)
        return response
