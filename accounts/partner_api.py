"""What every partner API view (`/api/v1/`) stands on.

- `PartnerApi`: an API key (`Authorization: Bearer <prefix>.<secret>`) or the session (the
  browsable API), the per-caller rate limit with its headers, and idempotent POSTs.
- `CompanyPermission.require(read, write)` (in `accounts.permissions`) decides who may: a
  member by their role in the object's company, a key by its scopes, in its own company only.
- `errors(...)`: the documented error answers of an operation, for `extend_schema`.

A key's request is its company, not a person: `request.user` is an `ApiKeyPrincipal`, which
`has_perm`, `company_ids_with` and the selectors understand; services record it in the audit
trail by its key (`person_of(actor)` gives the User to store, or None).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.clerk_auth import ClerkSessionAuthentication
from accounts.throttling import ApiRateThrottle, RateLimitHeadersMixin
from recruitment.idempotency import IdempotentPostMixin

ErrorOutput = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
            },
        )
    },
)

_ERROR_TEXT = {
    400: "Invalid input; `fields` says which and why.",
    401: "No credentials, or an unknown, revoked or expired API key.",
    403: "Authenticated, but neither the role nor the key's scopes allow this.",
    404: "No such object, or one of another company (the two answer alike).",
    409: "A business rule refused it (e.g. the job is closed), or a duplicate request with the "
    "same Idempotency-Key is still running.",
    412: "If-Match named an older version: fetch the object again, then retry.",
    413: "The upload is larger than allowed.",
    415: "The upload's type is not accepted.",
    422: "This Idempotency-Key was used for a different request.",
    429: "The rate limit is spent: retry after `Retry-After` seconds.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error answers: 401, 403 and 429 always, plus `codes`."""
    wanted = sorted({401, 403, 429, *codes})
    return {
        code: OpenApiResponse(
            response=ErrorOutput,
            description=_ERROR_TEXT[code],
            examples=[
                OpenApiExample(
                    f"error {code}",
                    value={
                        "error": {
                            "code": "invalid",
                            "message": _ERROR_TEXT[code],
                            "fields": {"title": ["This field is required."]} if code == 400 else {},
                        }
                    },
                    status_codes=[str(code)],
                    response_only=True,
                )
            ],
        )  # fmt: skip
        for code in wanted
    }


class PartnerApi(IdempotentPostMixin, RateLimitHeadersMixin, APIView):
    """Base of the partner API views. Subclasses state `permission_classes`."""

    authentication_classes = [
        ApiKeyAuthentication,
        ClerkSessionAuthentication,
        SessionAuthentication,
    ]
    throttle_classes = [ApiRateThrottle]
