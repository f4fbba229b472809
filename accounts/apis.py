"""The accounts part of the partner API (`/api/v1/`): the signed-in person (`users/me`) and a
company's outbound webhooks.

- `users/me`: a person's own account, for the session only (an API key has no person: 403).
- `webhooks`: members with `webhooks.manage` (admins and owners) or keys with the
  `webhooks:write` scope, in their own company; another company's endpoint answers 404.
  Signing, retries and the event catalogue are described in `accounts.webhooks`.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.models import (
    DigestFrequency,
    RemotePreference,
    SalaryPeriod,
    Seniority,
    WebhookDelivery,
)
from accounts.partner_api import PartnerApi, errors
from accounts.permissions import CompanyPermission, person_of
from accounts.selectors import user_me
from accounts.services import user_me_update
from accounts.webhooks import (
    ALL_EVENTS,
    SUBSCRIBABLE_EVENTS,
    WEBHOOK_EVENTS,
    webhook_company_for,
    webhook_delivery_list,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_list,
    webhook_endpoint_update,
    webhook_ping,
    webhook_redeliver,
    webhook_secret_mask,
    webhook_secret_rotate,
)
from recruitment.api import (
    ID_BOUNDS,
    PageFilters,
    page_example,
    page_response,
    paged_schema,
    query_filters,
)

# For the schema's ENUM_NAME_OVERRIDES, which can't name a nested class.
WebhookDeliveryStatus = WebhookDelivery.Status


# --- Shared pieces ----------------------------------------------------------------------------


class StrictInput(serializers.Serializer):
    """An input that names the fields it does not know (a typo is a 400, not a silent no-op)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


# --- users/me ---------------------------------------------------------------------------------


class SignedInPerson(BasePermission):
    """A person signed in (the session): an API key acts for a company, not for a person."""

    message = (
        "This is a person's own account: sign in. An API key acts for a company, not a person."
    )

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and person_of(user) is not None)


class MeMembershipOutput(serializers.Serializer):
    company_id = serializers.IntegerField()
    company = serializers.CharField(source="company.name")
    company_slug = serializers.CharField(source="company.slug")
    role = serializers.CharField()


class MeProfileLinksInput(StrictInput):
    linkedin = serializers.URLField(required=False, allow_blank=True, max_length=500)
    github = serializers.URLField(required=False, allow_blank=True, max_length=500)
    other = serializers.ListField(
        child=serializers.URLField(max_length=500), required=False, max_length=20
    )


class MeProfileEducationInput(StrictInput):
    degree = serializers.CharField(required=False, allow_blank=True, max_length=200)
    institution = serializers.CharField(required=False, allow_blank=True, max_length=200)
    start = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)
    end = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)


class MeProfileWorkInput(StrictInput):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    company = serializers.CharField(required=False, allow_blank=True, max_length=200)
    start = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)
    end = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)


class MeCandidateProfileOutput(serializers.Serializer):
    headline = serializers.CharField()
    summary = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, or empty.")
    remote_preference = serializers.ChoiceField(choices=RemotePreference.choices)
    desired_salary_min = serializers.IntegerField(allow_null=True)
    desired_salary_currency = serializers.CharField(help_text="ISO 4217, or empty.")
    desired_salary_period = serializers.ChoiceField(choices=SalaryPeriod.choices)
    seniority = serializers.CharField(help_text="One of the seniority levels, or empty.")
    years_experience = serializers.IntegerField(allow_null=True)
    skills = serializers.ListField(child=serializers.CharField(), help_text="Skill slugs.")
    phone = serializers.CharField(help_text="E.164, or empty.")
    links = serializers.DictField(help_text='{"linkedin": url, "github": url, "other": [urls]}')
    current_title = serializers.CharField()
    education = serializers.ListField(child=serializers.DictField())
    work_history = serializers.ListField(child=serializers.DictField())
    confirmed_fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="Fields the candidate set or confirmed: resume parsing never changes them.",
    )
    updated_at = serializers.DateTimeField()


class MeNotificationPreferencesOutput(serializers.Serializer):
    application_updates = serializers.BooleanField()
    interview_updates = serializers.BooleanField()
    match_digest = serializers.ChoiceField(choices=DigestFrequency.choices)
    recruiter_digest = serializers.ChoiceField(choices=DigestFrequency.choices)
    product_news = serializers.BooleanField()


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_candidate = serializers.BooleanField()
    memberships = MeMembershipOutput(many=True, source="memberships_")
    candidate_profile = MeCandidateProfileOutput(
        source="candidate_profile_",
        allow_null=True,
        help_text="Null for a person without a candidate profile.",
    )
    notification_preferences = MeNotificationPreferencesOutput()


_ME_EXAMPLE = {
    "id": 4021,
    "email": "ada@example.org",
    "full_name": "Ada Lovelace",
    "is_candidate": True,
    "memberships": [],
    "candidate_profile": {
        "headline": "Senior Backend Engineer",
        "summary": "Ten years of Python and PostgreSQL.",
        "city": "Berlin",
        "region": "Berlin",
        "country": "DE",
        "remote_preference": "hybrid",
        "desired_salary_min": 85000,
        "desired_salary_currency": "EUR",
        "desired_salary_period": "year",
        "seniority": "senior",
        "years_experience": 10,
        "skills": ["python", "django", "postgresql"],
        "phone": "+493012345678",
        "links": {"github": "https://github.com/ada"},
        "current_title": "Backend Engineer",
        "education": [
            {"degree": "BSc", "institution": "TU Berlin", "start": "2008", "end": "2011"}
        ],
        "work_history": [{"title": "Backend Engineer", "company": "Acme", "start": "2019"}],
        "confirmed_fields": ["headline", "skills"],
        "updated_at": "2026-03-04T16:02:11Z",
    },
    "notification_preferences": {
        "application_updates": True,
        "interview_updates": True,
        "match_digest": "weekly",
        "recruiter_digest": "daily",
        "product_news": False,
    },
}


class MeProfileInput(StrictInput):
    headline = serializers.CharField(required=False, allow_blank=True, max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    region = serializers.CharField(required=False, allow_blank=True, max_length=100)
    country = serializers.RegexField(
        r"^([A-Z]{2})?$", required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2."
    )
    remote_preference = serializers.ChoiceField(choices=RemotePreference.choices, required=False)
    desired_salary_min = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**31 - 1
    )
    desired_salary_currency = serializers.RegexField(
        r"^([A-Z]{3})?$", required=False, allow_blank=True, help_text="ISO 4217."
    )
    desired_salary_period = serializers.ChoiceField(choices=SalaryPeriod.choices, required=False)
    seniority = serializers.ChoiceField(choices=Seniority.choices, required=False, allow_blank=True)
    years_experience = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=70
    )
    skills = serializers.ListField(
        child=serializers.SlugField(max_length=100),
        required=False,
        max_length=100,
        help_text="Skill slugs, e.g. python, django.",
    )
    phone = serializers.RegexField(
        r"^(\+[1-9][0-9]{6,14})?$",
        required=False,
        allow_blank=True,
        help_text="E.164, e.g. +493012345678.",
    )
    links = MeProfileLinksInput(required=False)
    current_title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    education = MeProfileEducationInput(many=True, required=False, max_length=50)
    work_history = MeProfileWorkInput(many=True, required=False, max_length=50)

    def validate_skills(self, value):
        return list(dict.fromkeys(slug.lower() for slug in value))


class MeNotificationPreferencesInput(StrictInput):
    application_updates = serializers.BooleanField(required=False)
    interview_updates = serializers.BooleanField(required=False)
    match_digest = serializers.ChoiceField(choices=DigestFrequency.choices, required=False)
    recruiter_digest = serializers.ChoiceField(choices=DigestFrequency.choices, required=False)
    product_news = serializers.BooleanField(required=False)


class MeApi(PartnerApi):
    permission_classes = [SignedInPerson]

    class MeUpdateInput(StrictInput):
        full_name = serializers.CharField(required=False, max_length=200)
        candidate_profile = MeProfileInput(required=False)
        notification_preferences = MeNotificationPreferencesInput(required=False)

    def _answer(self, request) -> Response:
        return Response(MeOutput(user_me(user=request.user)).data)

    @extend_schema(
        operation_id="v1_users_me_retrieve",
        summary="The signed-in person: profile, companies and preferences",
        description="Who is signed in: name and email, their company memberships and roles, "
        "their candidate profile (null if they have none) and their notification and digest "
        "preferences. Session only: an API key acts for a company, not a person (403).",
        responses={200: MeOutput, **errors()},
        examples=[OpenApiExample("a candidate", value=_ME_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        return self._answer(request)

    @extend_schema(
        operation_id="v1_users_me_partial_update",
        summary="Change one's own name, candidate profile or preferences",
        description="Send only what changes. `candidate_profile` fields you set count as "
        "confirmed: parsing a resume later never overwrites them. Profile fields need a "
        "candidate profile (400 otherwise). The email is changed through the account pages, "
        "where it is verified. All or nothing: one bad field changes nothing.",
        request=MeUpdateInput,
        responses={200: MeOutput, **errors(400)},
        examples=[
            OpenApiExample(
                "change a headline and a digest",
                value={
                    "candidate_profile": {"headline": "Staff Engineer", "skills": ["python"]},
                    "notification_preferences": {"match_digest": "daily"},
                },
                request_only=True,
            )
        ],
    )
    def patch(self, request):
        data = self.MeUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user_me_update(
            user=request.user,
            full_name=values.get("full_name"),
            profile=values.get("candidate_profile"),
            preferences=values.get("notification_preferences"),
        )
        return self._answer(request)


# --- Webhooks ---------------------------------------------------------------------------------


class MaskedSecretField(serializers.CharField):
    def to_representation(self, value):
        return webhook_secret_mask(value)


class WebhookEndpointOutput(serializers.Serializer):
    id = serializers.IntegerField()
    company_id = serializers.IntegerField()
    url = serializers.URLField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    secret = MaskedSecretField(help_text="Masked; shown in full only when created or rotated.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointSecretOutput(WebhookEndpointOutput):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_…`): store it now, it is not shown again."
    )


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint_id = serializers.IntegerField()
    event_id = serializers.CharField(help_text="Sent as `webhook-id`; the same on every attempt.")
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(help_text="When a pending delivery is tried next.")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class WebhookDeliveryDetailOutput(WebhookDeliveryOutput):
    payload = serializers.DictField(help_text="The body sent: {type, timestamp, data}.")
    response_excerpt = serializers.CharField(help_text="The start of the receiver's last answer.")


class WebhookEventOutput(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    example = serializers.DictField(help_text="An example of the event's `data`.")


_ENDPOINT_EXAMPLE = {
    "id": 9,
    "company_id": 3,
    "url": "https://hooks.example.org/recruitment",
    "description": "HRIS sync",
    "events": ["application.created", "application.hired"],
    "is_active": True,
    "secret": "whsec_…Zk4=",
    "created_at": "2026-03-01T10:00:00Z",
    "updated_at": "2026-03-01T10:00:00Z",
}
_SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3VmH6Ys6Zk4="
_DELIVERY_EXAMPLE = {
    "id": 1207,
    "endpoint_id": 9,
    "event_id": "msg_5b1f0c9e2a7d4e3f8a6b1c2d3e4f5a6b",
    "event_type": "application.created",
    "status": "succeeded",
    "attempts": 1,
    "next_attempt_at": "2026-03-02T09:15:33Z",
    "last_attempt_at": "2026-03-02T09:14:03Z",
    "last_status_code": 200,
    "last_error": "",
    "created_at": "2026-03-02T09:14:03Z",
    "delivered_at": "2026-03-02T09:14:03Z",
}
_EVENTS_HELP = (
    "Event types: "
    + ", ".join(SUBSCRIBABLE_EVENTS)
    + f", or `{ALL_EVENTS}` for all. A `ping` is sent on creation and on request."
)


class _WebhookApi(PartnerApi):
    permission_classes = [CompanyPermission.require("webhooks.manage")]

    def _endpoint(self, request, pk: int):
        endpoint = get_object_or_404(webhook_endpoint_list(user=request.user), pk=pk)
        self.check_object_permissions(request, endpoint)
        return endpoint

    def _delivery(self, request, pk: int, delivery_id: int):
        endpoint = self._endpoint(request, pk)
        delivery = get_object_or_404(webhook_delivery_list(endpoint=endpoint), pk=delivery_id)
        delivery.endpoint = endpoint
        return delivery


class WebhookEventListApi(_WebhookApi):
    @extend_schema(
        operation_id="v1_webhooks_events_list",
        summary="The webhook event types",
        description="Every event type an endpoint can subscribe to, with what it means and an "
        'example of its `data`. Each delivery is a POST of `{"type", "timestamp", '
        '"data"}` signed as Standard Webhooks (svix): headers `webhook-id`, '
        "`webhook-timestamp` and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of "
        "`id.timestamp.body` with the endpoint's secret, base64-decoded after `whsec_`). "
        "Answer 2xx within 10 s; anything else is retried with growing waits.",
        responses={200: WebhookEventOutput(many=True), **errors()},
    )
    def get(self, request):
        events = [
            {"type": name, "description": description, "example": example}
            for name, (description, example) in WEBHOOK_EVENTS.items()
        ]
        return Response(WebhookEventOutput(events, many=True).data)


class WebhookListApi(_WebhookApi):
    class Filters(PageFilters):
        is_active = serializers.BooleanField(required=False)
        updated_after = serializers.DateTimeField(
            required=False, help_text="Only endpoints changed after this (ISO 8601)."
        )

    class WebhookCreateInput(StrictInput):
        url = serializers.URLField(
            max_length=2000, help_text="http(s) URL the events are POSTed to."
        )
        events = serializers.ListField(
            child=serializers.CharField(max_length=50),
            min_length=1,
            max_length=len(SUBSCRIBABLE_EVENTS) + 1,
            help_text=_EVENTS_HELP,
        )
        description = serializers.CharField(required=False, allow_blank=True, max_length=200)
        company = serializers.IntegerField(
            required=False,
            **ID_BOUNDS,
            help_text="The company's id; needed only by a member who manages several.",
        )

    @extend_schema(
        operation_id="v1_webhooks_list",
        summary="The company's webhook endpoints",
        description="Endpoints of the caller's company (a member: of every company where they "
        "manage webhooks), newest first. Filter by `is_active` and `updated_after`.",
        parameters=[Filters],
        responses={200: paged_schema("WebhookEndpointPage", WebhookEndpointOutput), **errors(400)},
        examples=[
            OpenApiExample(
                "one endpoint", value=page_example(_ENDPOINT_EXAMPLE), response_only=True
            )
        ],
    )
    def get(self, request):
        filters = query_filters(self.Filters, request)
        endpoints = webhook_endpoint_list(user=request.user, filters=filters)
        return page_response(self, request, endpoints, WebhookEndpointOutput)

    @extend_schema(
        operation_id="v1_webhooks_create",
        summary="Subscribe an endpoint to events",
        description="Creates the endpoint, answers its signing secret in full (the only time "
        "it is shown, apart from a rotation) and queues a `ping` to it. The URL must be http(s) "
        "without credentials; in production it must resolve to a public address. " + _EVENTS_HELP,
        request=WebhookCreateInput,
        responses={201: WebhookEndpointSecretOutput, **errors(400, 409)},
        examples=[
            OpenApiExample(
                "subscribe",
                value={
                    "url": "https://hooks.example.org/recruitment",
                    "events": ["application.created", "application.hired"],
                    "description": "HRIS sync",
                },
                request_only=True,
            ),
            OpenApiExample(
                "created",
                value={**_ENDPOINT_EXAMPLE, "secret": _SECRET_EXAMPLE},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request):
        data = self.WebhookCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        company = webhook_company_for(user=request.user, company_id=values.get("company"))
        endpoint = webhook_endpoint_create(
            company=company,
            url=values["url"],
            events=values["events"],
            description=values.get("description", ""),
            actor=request.user,
        )
        response = Response(
            WebhookEndpointSecretOutput(endpoint).data, status=status.HTTP_201_CREATED
        )
        response["Location"] = reverse("v1:webhooks-detail", kwargs={"pk": endpoint.pk})
        return response


class WebhookDetailApi(_WebhookApi):
    class WebhookUpdateInput(StrictInput):
        url = serializers.URLField(required=False, max_length=2000)
        events = serializers.ListField(
            child=serializers.CharField(max_length=50),
            required=False,
            min_length=1,
            max_length=len(SUBSCRIBABLE_EVENTS) + 1,
            help_text=_EVENTS_HELP,
        )
        description = serializers.CharField(required=False, allow_blank=True, max_length=200)
        is_active = serializers.BooleanField(
            required=False, help_text="False stops deliveries; pending ones then fail."
        )

    @extend_schema(
        operation_id="v1_webhooks_retrieve",
        summary="One webhook endpoint",
        description="The endpoint with its secret masked.",
        responses={200: WebhookEndpointOutput, **errors(404)},
        examples=[OpenApiExample("an endpoint", value=_ENDPOINT_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        return Response(WebhookEndpointOutput(self._endpoint(request, pk)).data)

    @extend_schema(
        operation_id="v1_webhooks_partial_update",
        summary="Change a webhook endpoint",
        description="Send only what changes: `url`, `events`, `description`, `is_active`.",
        request=WebhookUpdateInput,
        responses={200: WebhookEndpointOutput, **errors(400, 404)},
        examples=[OpenApiExample("pause", value={"is_active": False}, request_only=True)],
    )
    def patch(self, request, pk: int):
        endpoint = self._endpoint(request, pk)
        data = self.WebhookUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(
            endpoint=endpoint, actor=request.user, **data.validated_data
        )
        return Response(WebhookEndpointOutput(endpoint).data)

    @extend_schema(
        operation_id="v1_webhooks_destroy",
        summary="Delete a webhook endpoint",
        description="Deletes the endpoint and its delivery log; nothing more is sent to it.",
        responses={204: None, **errors(404)},
    )
    def delete(self, request, pk: int):
        webhook_endpoint_delete(endpoint=self._endpoint(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(_WebhookApi):
    @extend_schema(
        operation_id="v1_webhooks_rotate_secret",
        summary="Give an endpoint a new signing secret",
        description="Answers the new secret in full. The old one stops signing at once: "
        "deploy the new secret to the receiver right away.",
        request=None,
        responses={200: WebhookEndpointSecretOutput, **errors(404)},
        examples=[
            OpenApiExample(
                "rotated",
                value={**_ENDPOINT_EXAMPLE, "secret": _SECRET_EXAMPLE},
                response_only=True,
            )
        ],
    )
    def post(self, request, pk: int):
        endpoint = webhook_secret_rotate(endpoint=self._endpoint(request, pk), actor=request.user)
        return Response(WebhookEndpointSecretOutput(endpoint).data)


class WebhookPingApi(_WebhookApi):
    @extend_schema(
        operation_id="v1_webhooks_ping",
        summary="Send a ping to an endpoint",
        description="Queues a `ping` event to this endpoint and answers the queued delivery; "
        "follow it in the endpoint's deliveries.",
        request=None,
        responses={202: WebhookDeliveryOutput, **errors(404)},
    )
    def post(self, request, pk: int):
        delivery = webhook_ping(endpoint=self._endpoint(request, pk), actor=request.user)
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryListApi(_WebhookApi):
    class Filters(PageFilters):
        status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)
        event_type = serializers.ChoiceField(choices=list(WEBHOOK_EVENTS), required=False)
        created_after = serializers.DateTimeField(
            required=False, help_text="Only deliveries queued after this (ISO 8601)."
        )

    @extend_schema(
        operation_id="v1_webhooks_deliveries_list",
        summary="An endpoint's deliveries",
        description="The delivery log, newest first: status, attempts, the last status code "
        "and error, and when the next attempt is due. Filter by `status`, `event_type` and "
        "`created_after`.",
        parameters=[Filters],
        responses={
            200: paged_schema("WebhookDeliveryPage", WebhookDeliveryOutput),
            **errors(400, 404),
        },
        examples=[
            OpenApiExample(
                "one delivery", value=page_example(_DELIVERY_EXAMPLE), response_only=True
            )
        ],
    )
    def get(self, request, pk: int):
        endpoint = self._endpoint(request, pk)
        filters = query_filters(self.Filters, request)
        deliveries = webhook_delivery_list(endpoint=endpoint, filters=filters).defer(
            "payload", "response_excerpt"
        )
        return page_response(self, request, deliveries, WebhookDeliveryOutput)


class WebhookDeliveryDetailApi(_WebhookApi):
    @extend_schema(
        operation_id="v1_webhooks_deliveries_retrieve",
        summary="One delivery, with its body",
        description="The delivery with the body sent and the start of the last answer.",
        responses={200: WebhookDeliveryDetailOutput, **errors(404)},
        examples=[
            OpenApiExample(
                "a delivery",
                value={
                    **_DELIVERY_EXAMPLE,
                    "payload": {
                        "type": "application.created",
                        "timestamp": "2026-03-02T09:14:03Z",
                        "data": WEBHOOK_EVENTS["application.created"][1],
                    },
                    "response_excerpt": "ok",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, pk: int, delivery_id: int):
        delivery = self._delivery(request, pk, delivery_id)
        return Response(WebhookDeliveryDetailOutput(delivery).data)


class WebhookRedeliverApi(_WebhookApi):
    @extend_schema(
        operation_id="v1_webhooks_deliveries_redeliver",
        summary="Send a delivery again",
        description="Starts a new cycle of attempts for the delivery, now: pending again, "
        "attempts from 0, the same `webhook-id` (receivers that dedupe see the same message). "
        "A disabled endpoint answers 409.",
        request=None,
        responses={202: WebhookDeliveryOutput, **errors(404, 409)},
    )
    def post(self, request, pk: int, delivery_id: int):
        delivery = webhook_redeliver(
            delivery=self._delivery(request, pk, delivery_id), actor=request.user
        )
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
