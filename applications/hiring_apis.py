"""Interviews, scorecards, offers and notes in the partner API (`/api/v1/`).

Who sees and writes what is `applications.hiring`'s docstring. Keys: `interviews:read|write`,
`offers:read|write`, and for notes `applications:read|write`. A key writes no scorecard (403
`person_required`): a scorecard is a person's judgement, so the interviewer signs in.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from accounts.models import SalaryPeriod
from accounts.partner_api import PartnerApi, errors
from accounts.permissions import CompanyPermission, person_of
from applications.hiring import (
    INTERVIEWERS_MAX,
    KEY_WRITES_NO_SCORECARD,
    RATING_MAX,
    RATING_MIN,
    application_for_hiring,
    interview_cancel,
    interview_list,
    interview_schedule,
    interview_update,
    note_create,
    note_delete,
    note_list,
    note_update,
    offer_accept,
    offer_create,
    offer_decline,
    offer_list,
    offer_send,
    offer_update,
    offer_withdraw,
    scorecard_list,
    scorecard_submit,
    scorecard_update,
)
from applications.models import Interview, Offer, Scorecard
from recruitment.api import (
    ID_BOUNDS,
    PageFilters,
    etag_of,
    if_match_check,
    page_example,
    page_response,
    paged_schema,
    query_filters,
)

_BODY_MAX = 20_000


# --- Shared pieces -------------------------------------------------------------------------


class SyncFilters(PageFilters):
    updated_after = serializers.DateTimeField(
        required=False, help_text="Only rows changed after this time (ISO 8601), for sync."
    )


def _answer(obj, output: type[serializers.Serializer], *, created_at: str | None = None):
    """The object with its ETag; 201 with Location when `created_at` names its URL."""
    response = Response(
        output(obj).data, status=status.HTTP_201_CREATED if created_at else status.HTTP_200_OK
    )
    response["ETag"] = etag_of(obj)
    if created_at:
        response["Location"] = reverse(created_at, kwargs={"pk": obj.pk})
    return response


def _application(request, perm: str, application_id: int):
    application = application_for_hiring(
        user=request.user, perm=perm, application_id=application_id
    )
    if application is None:  # missing, or another company's: they read alike
        raise ValidationError({"application": ["No such application."]})
    return application


class PersonWrites(BasePermission):
    """Writes by a signed-in person only: an API key acts for a company, not a person."""

    message = KEY_WRITES_NO_SCORECARD
    code = "person_required"

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or person_of(request.user) is not None


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


_PERSON = {"id": 31, "name": "Grace Hopper"}


# --- Interviews ----------------------------------------------------------------------------


class InterviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    job = serializers.IntegerField(source="application.job_id")
    candidate = PersonOutput(source="application.candidate")
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField(help_text="IANA name, for the invites.")
    location = serializers.CharField()
    meeting_url = serializers.CharField()
    status = serializers.ChoiceField(choices=Interview.Status.choices)
    interviewers = PersonOutput(source="interviewers.all", many=True)
    sequence = serializers.IntegerField(help_text="iCalendar SEQUENCE: raised by each change.")
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


_INTERVIEW = {
    "id": 812,
    "application": 5120,
    "job": 77,
    "candidate": {"id": 4021, "name": "Ada Lovelace"},
    "title": "Technical interview",
    "starts_at": "2025-03-04T10:00:00Z",
    "ends_at": "2025-03-04T11:00:00Z",
    "timezone": "Europe/Berlin",
    "location": "",
    "meeting_url": "https://meet.example.org/abc-defg-hij",
    "status": "scheduled",
    "interviewers": [_PERSON],
    "sequence": 0,
    "created_by": 12,
    "created_at": "2025-02-25T09:12:44Z",
    "updated_at": "2025-02-25T09:12:44Z",
}


class _InterviewFields(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="IANA name, e.g. Europe/Berlin (default UTC)."
    )
    location = serializers.CharField(max_length=255, required=False, allow_blank=True)
    meeting_url = serializers.URLField(max_length=200, required=False, allow_blank=True)
    interviewers = serializers.ListField(
        child=serializers.IntegerField(**ID_BOUNDS),
        max_length=INTERVIEWERS_MAX,
        required=False,
        source="interviewer_ids",
        help_text="User ids of the panel: members of the application's company.",
    )


class _InterviewApi(PartnerApi):
    permission_classes = [CompanyPermission.require("interviews.view", write="interviews.schedule")]

    def _interview(self, request, pk: int) -> Interview:
        interviews = interview_list(user=request.user).select_related("application__job")
        interview = get_object_or_404(interviews, pk=pk)
        self.check_object_permissions(request, interview)
        return interview


class InterviewListApi(_InterviewApi):
    class Filters(SyncFilters):
        application = serializers.IntegerField(required=False, source="application_id", **ID_BOUNDS)
        status = serializers.ChoiceField(choices=Interview.Status.choices, required=False)
        starts_after = serializers.DateTimeField(required=False, help_text="Starting at or after.")
        starts_before = serializers.DateTimeField(required=False, help_text="Starting before.")

    class InterviewScheduleInput(_InterviewFields):
        application = serializers.IntegerField(**ID_BOUNDS)

    @extend_schema(
        operation_id="v1_interviews_list",
        summary="Interviews, newest first",
        description="Hiring managers and up (and keys with `interviews:read`) see all their "
        "company's interviews; an interviewer sees the interviews they sit on. Filter by "
        "`application`, `status`, `starts_after`/`starts_before` and `updated_after`.",
        parameters=[Filters],
        responses={200: paged_schema("InterviewPage", InterviewOutput), **errors(400)},
        examples=[OpenApiExample("a page", value=page_example(_INTERVIEW), response_only=True)],
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        return page_response(
            self, request, interview_list(user=request.user, filters=filters), InterviewOutput
        )

    @extend_schema(
        summary="Schedule an interview",
        description="Schedules an interview of an active application (409 "
        "`application_closed` otherwise). `ends_at` must follow `starts_at`; the interviewers "
        "must be members of the application's company. Recruiters and up, or keys with "
        "`interviews:write`.",
        request=InterviewScheduleInput,
        responses={201: InterviewOutput, **errors(400, 409)},
        examples=[
            OpenApiExample(
                "schedule",
                value={
                    "application": 5120,
                    "title": "Technical interview",
                    "starts_at": "2025-03-04T10:00:00Z",
                    "ends_at": "2025-03-04T11:00:00Z",
                    "timezone": "Europe/Berlin",
                    "meeting_url": "https://meet.example.org/abc-defg-hij",
                    "interviewers": [31],
                },
                request_only=True,
            ),
            OpenApiExample("scheduled", value=_INTERVIEW, response_only=True),
        ],
    )
    def post(self, request):
        data = self.InterviewScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        application = _application(request, "interviews.schedule", fields.pop("application"))
        interview = interview_schedule(application=application, actor=request.user, **fields)
        return _answer(interview, InterviewOutput, created_at="v1:interviews-detail")


class InterviewDetailApi(_InterviewApi):
    class InterviewUpdateInput(_InterviewFields):
        status = serializers.ChoiceField(
            choices=[Interview.Status.COMPLETED, Interview.Status.NO_SHOW],
            required=False,
            help_text="Record what happened; cancel with the cancel action.",
        )

    @extend_schema(
        summary="One interview",
        description="With its `ETag`, for `If-Match` on changes.",
        responses={200: InterviewOutput, **errors(404)},
        examples=[OpenApiExample("an interview", value=_INTERVIEW, response_only=True)],
    )
    def get(self, request, pk: int):
        return _answer(self._interview(request, pk), InterviewOutput)

    @extend_schema(
        summary="Change an interview",
        description="Reschedule, move or change the panel of a scheduled interview (each "
        "change raises `sequence`, so calendars replace the invite), or record it `completed` "
        "or `no_show`. 409 for a cancelled interview; 412 when `If-Match` names an older "
        "version.",
        request=InterviewUpdateInput,
        responses={200: InterviewOutput, **errors(400, 404, 409, 412)},
    )
    def patch(self, request, pk: int):
        interview = self._interview(request, pk)
        if_match_check(request, interview)
        data = self.InterviewUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        interview = interview_update(interview=interview, actor=request.user, **data.validated_data)
        return _answer(interview, InterviewOutput)


class InterviewCancelApi(_InterviewApi):
    class InterviewCancelInput(serializers.Serializer):
        reason = serializers.CharField(max_length=255, required=False, allow_blank=True)

    @extend_schema(
        summary="Cancel an interview",
        description="Cancels a scheduled interview (409 otherwise) and raises its `sequence`. "
        "The interview stays readable, cancelled.",
        request=InterviewCancelInput,
        responses={200: InterviewOutput, **errors(400, 404, 409, 412)},
    )
    def post(self, request, pk: int):
        interview = self._interview(request, pk)
        if_match_check(request, interview)
        data = self.InterviewCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        interview = interview_cancel(interview=interview, actor=request.user, **data.validated_data)
        return _answer(interview, InterviewOutput)


# --- Scorecards ----------------------------------------------------------------------------


class ScorecardOutput(serializers.Serializer):
    id = serializers.IntegerField()
    interview = serializers.IntegerField(source="interview_id")
    application = serializers.IntegerField(source="interview.application_id")
    author = PersonOutput()
    ratings = serializers.DictField(child=serializers.IntegerField(), help_text="{criterion: 1..4}")
    recommendation = serializers.CharField(help_text="Empty in a draft without one.")
    notes = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="Null for a draft.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


_SCORECARD = {
    "id": 301,
    "interview": 812,
    "application": 5120,
    "author": _PERSON,
    "ratings": {"Problem solving": 4, "Communication": 3},
    "recommendation": "yes",
    "notes": "Clear about trade-offs; strong on SQL.",
    "submitted_at": "2025-03-04T12:30:00Z",
    "created_at": "2025-03-04T12:30:00Z",
    "updated_at": "2025-03-04T12:30:00Z",
}


class _ScorecardFields(serializers.Serializer):
    ratings = serializers.DictField(
        child=serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX),
        required=False,
        help_text=f"{{criterion: {RATING_MIN}..{RATING_MAX}}}",
    )
    recommendation = serializers.ChoiceField(
        choices=Scorecard.Recommendation.choices, required=False, allow_blank=True
    )
    notes = serializers.CharField(max_length=_BODY_MAX, required=False, allow_blank=True)


_SCORECARD_WRITE = [
    CompanyPermission.require("interviews.view", write="interviews.feedback"),
    PersonWrites,
]


class InterviewScorecardListApi(_InterviewApi):
    permission_classes = _SCORECARD_WRITE

    class Filters(SyncFilters):
        submitted = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="Only submitted, or drafts."
        )

    class ScorecardSubmitInput(_ScorecardFields):
        draft = serializers.BooleanField(
            default=False, help_text="Keep it as a draft, to submit later (PATCH `submit`)."
        )

    @extend_schema(
        operation_id="v1_interviews_scorecards_list",
        summary="An interview's scorecards",
        description="An interviewer reads their own scorecard, and the others' of an "
        "interview once theirs is submitted; hiring managers and up, and keys with "
        "`interviews:read`, read all.",
        parameters=[Filters],
        responses={200: paged_schema("ScorecardPage", ScorecardOutput), **errors(400, 404)},
    )
    def get(self, request, pk: int):
        interview = self._interview(request, pk)
        filters = query_filters(self.Filters, request) | {"interview_id": interview.pk}
        return page_response(
            self, request, scorecard_list(user=request.user, filters=filters), ScorecardOutput
        )

    @extend_schema(
        summary="Write your scorecard of an interview",
        description="The signed-in person's scorecard: an interviewer on the interview, or a "
        "recruiter and up. Ratings 1 to 4 per criterion; a submitted scorecard needs a "
        "`recommendation`, a draft (`draft: true`) may wait. One per person and interview "
        "(409 `scorecard_exists` names yours). An API key writes none: 403 `person_required`.",
        request=ScorecardSubmitInput,
        responses={201: ScorecardOutput, **errors(400, 404, 409)},
        examples=[
            OpenApiExample(
                "submit",
                value={
                    "ratings": {"Problem solving": 4, "Communication": 3},
                    "recommendation": "yes",
                    "notes": "Clear about trade-offs; strong on SQL.",
                },
                request_only=True,
            ),
            OpenApiExample("submitted", value=_SCORECARD, response_only=True),
        ],
    )
    def post(self, request, pk: int):
        interview = self._interview(request, pk)
        data = self.ScorecardSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        scorecard = scorecard_submit(interview=interview, actor=request.user, **data.validated_data)
        return _answer(scorecard, ScorecardOutput, created_at="v1:scorecards-detail")


class ScorecardListApi(PartnerApi):
    permission_classes = [CompanyPermission.require("interviews.view")]

    class Filters(SyncFilters):
        interview = serializers.IntegerField(required=False, source="interview_id", **ID_BOUNDS)
        submitted = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="Only submitted, or drafts."
        )

    @extend_schema(
        operation_id="v1_scorecards_list",
        summary="Scorecards, newest first",
        description="Every scorecard the caller may read (as for an interview's), for sync "
        "with `updated_after`. Filter by `interview` and `submitted`.",
        parameters=[Filters],
        responses={200: paged_schema("ScorecardSyncPage", ScorecardOutput), **errors(400)},
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        return page_response(
            self, request, scorecard_list(user=request.user, filters=filters), ScorecardOutput
        )


class ScorecardDetailApi(PartnerApi):
    permission_classes = _SCORECARD_WRITE

    class ScorecardUpdateInput(_ScorecardFields):
        submit = serializers.BooleanField(default=False, help_text="Submit a draft.")

    def _scorecard(self, request, pk: int) -> Scorecard:
        scorecards = scorecard_list(user=request.user).select_related("interview__application__job")
        scorecard = get_object_or_404(scorecards, pk=pk)
        self.check_object_permissions(request, scorecard.interview)
        return scorecard

    @extend_schema(
        summary="One scorecard",
        responses={200: ScorecardOutput, **errors(404)},
        examples=[OpenApiExample("a scorecard", value=_SCORECARD, response_only=True)],
    )
    def get(self, request, pk: int):
        return _answer(self._scorecard(request, pk), ScorecardOutput)

    @extend_schema(
        summary="Edit your scorecard",
        description="Its author only (403 for anyone else, and for API keys). `submit: true` "
        "submits a draft; a submitted scorecard keeps a recommendation.",
        request=ScorecardUpdateInput,
        responses={200: ScorecardOutput, **errors(400, 404, 412)},
    )
    def patch(self, request, pk: int):
        scorecard = self._scorecard(request, pk)
        if_match_check(request, scorecard)
        data = self.ScorecardUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        scorecard = scorecard_update(scorecard=scorecard, actor=request.user, **data.validated_data)
        return _answer(scorecard, ScorecardOutput)


# --- Offers --------------------------------------------------------------------------------


class OfferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    salary = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(help_text="ISO 4217")
    salary_period = serializers.ChoiceField(choices=SalaryPeriod.choices)
    start_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Offer.Status.choices)
    sent_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


_OFFER = {
    "id": 90,
    "application": 5120,
    "salary": "72000.00",
    "currency": "EUR",
    "salary_period": "year",
    "start_date": "2025-05-01",
    "status": "draft",
    "sent_at": None,
    "responded_at": None,
    "created_by": 12,
    "created_at": "2025-03-10T08:00:00Z",
    "updated_at": "2025-03-10T08:00:00Z",
}


class _OfferFields(serializers.Serializer):
    salary = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217, e.g. EUR.")
    salary_period = serializers.ChoiceField(choices=SalaryPeriod.choices, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)


class _OfferApi(PartnerApi):
    permission_classes = [CompanyPermission.require("offers.view", write="offers.manage")]

    def _offer(self, request, pk: int) -> Offer:
        offer = get_object_or_404(
            offer_list(user=request.user).select_related("application__job"), pk=pk
        )
        self.check_object_permissions(request, offer.application.job)
        return offer


class OfferListApi(_OfferApi):
    class Filters(SyncFilters):
        application = serializers.IntegerField(required=False, source="application_id", **ID_BOUNDS)
        status = serializers.ChoiceField(choices=Offer.Status.choices, required=False)

    class OfferCreateInput(_OfferFields):
        application = serializers.IntegerField(**ID_BOUNDS)

    @extend_schema(
        operation_id="v1_offers_list",
        summary="Offers, newest first",
        description="Offers of the caller's company: hiring managers and up, or keys with "
        "`offers:read`. Filter by `application`, `status` and `updated_after`.",
        parameters=[Filters],
        responses={200: paged_schema("OfferPage", OfferOutput), **errors(400)},
        examples=[OpenApiExample("a page", value=page_example(_OFFER), response_only=True)],
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        return page_response(
            self, request, offer_list(user=request.user, filters=filters), OfferOutput
        )

    @extend_schema(
        summary="Draft an offer",
        description="A draft offer for an active application (409 `application_closed` "
        "otherwise); an application has one live (draft, sent or accepted) offer at most (409 "
        "`offer_exists`). Then send it, and record the answer. Recruiters and up, or keys with "
        "`offers:write`.",
        request=OfferCreateInput,
        responses={201: OfferOutput, **errors(400, 409)},
        examples=[
            OpenApiExample(
                "draft",
                value={
                    "application": 5120,
                    "salary": "72000.00",
                    "currency": "EUR",
                    "salary_period": "year",
                    "start_date": "2025-05-01",
                },
                request_only=True,
            ),
            OpenApiExample("drafted", value=_OFFER, response_only=True),
        ],
    )
    def post(self, request):
        data = self.OfferCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        application = _application(request, "offers.manage", fields.pop("application"))
        offer = offer_create(application=application, actor=request.user, **fields)
        return _answer(offer, OfferOutput, created_at="v1:offers-detail")


class OfferDetailApi(_OfferApi):
    class OfferUpdateInput(_OfferFields):
        pass

    @extend_schema(
        summary="One offer",
        responses={200: OfferOutput, **errors(404)},
        examples=[OpenApiExample("an offer", value=_OFFER, response_only=True)],
    )
    def get(self, request, pk: int):
        return _answer(self._offer(request, pk), OfferOutput)

    @extend_schema(
        summary="Change a draft offer",
        description="Only a draft changes (409 `offer_not_draft`): withdraw a sent offer and "
        "make a new one.",
        request=OfferUpdateInput,
        responses={200: OfferOutput, **errors(400, 404, 409, 412)},
    )
    def patch(self, request, pk: int):
        offer = self._offer(request, pk)
        if_match_check(request, offer)
        data = self.OfferUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        offer = offer_update(offer=offer, actor=request.user, **data.validated_data)
        return _answer(offer, OfferOutput)


class _OfferActionApi(_OfferApi):
    service = None

    def _act(self, request, pk: int):
        offer = self._offer(request, pk)
        if_match_check(request, offer)
        return _answer(type(self).service(offer=offer, actor=request.user), OfferOutput)


_ACTION = {"request": None, "responses": {200: OfferOutput, **errors(404, 409, 412)}}


class OfferSendApi(_OfferActionApi):
    service = staticmethod(offer_send)

    @extend_schema(
        summary="Send an offer",
        description="draft → sent, for an active application. 409 `invalid_transition` from "
        "any other status.",
        **_ACTION,
    )
    def post(self, request, pk: int):
        return self._act(request, pk)


class OfferAcceptApi(_OfferActionApi):
    service = staticmethod(offer_accept)

    @extend_schema(
        summary="Record that the candidate accepted",
        description="sent → accepted, for an active application. Hiring the application is "
        "its own action.",
        **_ACTION,
    )
    def post(self, request, pk: int):
        return self._act(request, pk)


class OfferDeclineApi(_OfferActionApi):
    service = staticmethod(offer_decline)

    @extend_schema(
        summary="Record that the candidate declined", description="sent → declined.", **_ACTION
    )
    def post(self, request, pk: int):
        return self._act(request, pk)


class OfferWithdrawApi(_OfferActionApi):
    service = staticmethod(offer_withdraw)

    @extend_schema(
        summary="Withdraw an offer",
        description="draft or sent → withdrawn; then the application may get a new offer.",
        **_ACTION,
    )
    def post(self, request, pk: int):
        return self._act(request, pk)


# --- Notes ---------------------------------------------------------------------------------


class NoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    author = PersonOutput(allow_null=True, help_text="Null when an API key wrote it.")
    api_key = serializers.IntegerField(
        source="api_key_id", allow_null=True, help_text="The key that wrote it, if one did."
    )
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


_NOTE = {
    "id": 1402,
    "application": 5120,
    "author": _PERSON,
    "api_key": None,
    "body": "Strong on SQL; ask about on-call in the next round.",
    "created_at": "2025-03-04T13:00:00Z",
    "updated_at": "2025-03-04T13:00:00Z",
}


class _NoteApi(PartnerApi):
    permission_classes = [
        CompanyPermission.require("applications.view", write="applications.comment")
    ]

    def _note(self, request, pk: int):
        note = get_object_or_404(
            note_list(user=request.user).select_related("application__job"), pk=pk
        )
        self.check_object_permissions(request, note.application.job)
        return note


class NoteListApi(_NoteApi):
    class Filters(SyncFilters):
        application = serializers.IntegerField(required=False, source="application_id", **ID_BOUNDS)

    class NoteCreateInput(serializers.Serializer):
        application = serializers.IntegerField(**ID_BOUNDS)
        body = serializers.CharField(max_length=_BODY_MAX)

    @extend_schema(
        operation_id="v1_notes_list",
        summary="Notes on applications, newest first",
        description="Notes of the caller's company: hiring managers and up, or keys with "
        "`applications:read`. Filter by `application` and `updated_after`.",
        parameters=[Filters],
        responses={200: paged_schema("NotePage", NoteOutput), **errors(400)},
        examples=[OpenApiExample("a page", value=page_example(_NOTE), response_only=True)],
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        return page_response(
            self, request, note_list(user=request.user, filters=filters), NoteOutput
        )

    @extend_schema(
        summary="Write a note on an application",
        description="Hiring managers and up, or keys with `applications:write` (the key is "
        "then the note's author: `author` is null and `api_key` names it).",
        request=NoteCreateInput,
        responses={201: NoteOutput, **errors(400)},
        examples=[
            OpenApiExample(
                "a note",
                value={"application": 5120, "body": _NOTE["body"]},
                request_only=True,
            ),
            OpenApiExample("written", value=_NOTE, response_only=True),
        ],
    )
    def post(self, request):
        data = self.NoteCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = _application(
            request, "applications.comment", data.validated_data["application"]
        )
        note = note_create(
            application=application, body=data.validated_data["body"], actor=request.user
        )
        return _answer(note, NoteOutput, created_at="v1:notes-detail")


class NoteDetailApi(_NoteApi):
    class NoteUpdateInput(serializers.Serializer):
        body = serializers.CharField(max_length=_BODY_MAX)

    @extend_schema(
        summary="One note",
        responses={200: NoteOutput, **errors(404)},
        examples=[OpenApiExample("a note", value=_NOTE, response_only=True)],
    )
    def get(self, request, pk: int):
        return _answer(self._note(request, pk), NoteOutput)

    @extend_schema(
        summary="Edit your note",
        description="Its author only: the member, or the API key, that wrote it (403 for "
        "anyone else).",
        request=NoteUpdateInput,
        responses={200: NoteOutput, **errors(400, 404, 412)},
    )
    def patch(self, request, pk: int):
        note = self._note(request, pk)
        if_match_check(request, note)
        data = self.NoteUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = note_update(note=note, body=data.validated_data["body"], actor=request.user)
        return _answer(note, NoteOutput)

    @extend_schema(
        summary="Delete your note",
        description="Its author only, as for edits. Gone for good: it then answers 404.",
        request=None,
        responses={204: None, **errors(404, 412)},
    )
    def delete(self, request, pk: int):
        note = self._note(request, pk)
        if_match_check(request, note)
        note_delete(note=note, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
