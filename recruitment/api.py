"""Project-wide API conventions: the one business error, the error envelope, pagination.

Apps import this module; it imports no app.
"""

from __future__ import annotations

import logging

import redis
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from drf_spectacular.utils import inline_serializer
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule was broken (e.g. applying to a closed job).

    `code` is a stable machine-readable string; `message` is for people; `extra` adds fields.
    """

    status_code = status.HTTP_409_CONFLICT

    def __init__(self, message: str, *, code: str = "conflict", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


def _error(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _as_fields(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: _as_fields(value) if isinstance(value, dict) else _flatten(value)
            for key, value in detail.items()
        }
    return {"non_field_errors": _flatten(detail)}


def _flatten(value) -> list[str]:
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_flatten(item))
        return out
    return [str(value)]


logger = logging.getLogger(__name__)

# The database, the cache (rate limits, idempotency) or the task broker cannot be reached: a 503
# the client may retry, not a 500. (OperationalError: the server restarting or away, a lost
# connection, a deadlock or a cancelled statement; with the database down, the API answered
# Django's HTML 500 page in an issue-9 fault run.)
UNAVAILABLE = (OperationalError, redis.RedisError, BrokerError)
UNAVAILABLE_RETRY_AFTER = 30


def exception_handler(exc, context):
    """Turn every error into `{"error": {"code", "message", "fields"}}`."""
    if isinstance(exc, UNAVAILABLE):
        logger.error("service unavailable: %s: %s", type(exc).__name__, exc)
        return Response(
            _error(
                "service_unavailable",
                "A service behind the API (the database, the cache or the task queue) is "
                "unavailable. Retry later.",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    if isinstance(exc, ApplicationError):
        body = _error(exc.code, exc.message)
        body["error"].update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # A service's refusal says why ("Only its author edits a note."); keep it.
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer a generic 500
    if isinstance(exc, exceptions.ValidationError):
        response.data = _error("invalid", "The input is not valid.", _as_fields(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = _error(
            code if isinstance(code, str) else "error",
            str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail),
        )
    return response


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object changed since you read it: fetch it again, then retry."
    default_code = "precondition_failed"


def etag_of(obj) -> str:
    """A strong ETag of a row with `updated_at`: it changes with every save."""
    return f'"{obj.pk}-{int(obj.updated_at.timestamp() * 1_000_000)}"'


def if_match_check(request, obj) -> None:
    """Refuse an update with 412 when `If-Match` names another version of `obj`.

    Without the header the update goes ahead; `*` matches any version.
    """
    wanted = request.headers.get("If-Match")
    if wanted is None:
        return
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    if "*" not in tags and etag_of(obj) not in tags:
        raise PreconditionFailed()


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination with `page_size` up to 500 and an RFC 8288 `Link` header."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:  # DRF's answer to an undecodable cursor; it is bad input
            raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]}) from None

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError):
            # A cursor is opaque but can be forged: a position that is not a value of the
            # ordering field fails in the query. That is the client's error, not ours.
            raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]}) from None

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        links = []
        if (next_url := self.get_next_link()) is not None:
            links.append(f'<{next_url}>; rel="next"')
        if (previous_url := self.get_previous_link()) is not None:
            links.append(f'<{previous_url}>; rel="prev"')
        if links:
            response["Link"] = ", ".join(links)
        return response


# Bounds of a database id given in a request: a larger number is a 400, not a 500.
ID_BOUNDS = {"min_value": 1, "max_value": 2**63 - 1}


class PageFilters(serializers.Serializer):
    """The query parameters of every cursor-paged list; a list's own filters extend it."""

    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=500, help_text="Rows per page (default 50)."
    )
    cursor = serializers.CharField(
        required=False, help_text="The `next` link's cursor, to read the following page."
    )


def query_filters(filters_class: type[serializers.Serializer], request) -> dict:
    """The request's query parameters, validated by `filters_class` (400 when bad).

    A parameter that is absent stays absent (a QueryDict would read a missing boolean as
    False); a list field takes every value given for its name, another field the last one.
    """
    fields = filters_class().fields
    params = {
        name: values if isinstance(fields.get(name), serializers.ListField) else values[-1]
        for name, values in request.query_params.lists()
    }
    filters = filters_class(data=params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


def page_response(
    view,
    request,
    rows,
    output: type[serializers.Serializer],
    *,
    paginator: pagination.BasePagination | None = None,
    context: dict | None = None,
) -> Response:
    """One page of `rows` (a queryset or list) serialized by `output`, with its links."""
    paginator = paginator or CursorPagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(rows_data(output, page, context=context))


_BOUND_OUTPUTS: dict[type[serializers.Serializer], serializers.Serializer] = {}


def rows_data(
    output: type[serializers.Serializer], rows, *, context: dict | None = None
) -> list[dict]:
    """`output(rows, many=True, context=context).data`, made faster without a context.

    DRF builds a serializer's fields, and those of every serializer nested in it, by deep
    copies for each instance: for a list of 20 jobs that cost about as much as the rows. An
    output serializer without a context keeps nothing of a call, so one bound instance per
    class serves every request of the process.
    """
    if context:
        return output(rows, many=True, context=context).data
    serializer = _BOUND_OUTPUTS.get(output)
    if serializer is None:
        serializer = _BOUND_OUTPUTS.setdefault(output, output())
    return [serializer.to_representation(row) for row in rows]


def paged_schema(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """The documented shape of a page: the `next` and `previous` links and the rows."""
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


def page_example(row: dict) -> dict:
    """A documented example of a page holding `row`."""
    return {
        "next": "https://jobs.example.org/api/v1/...?cursor=cD0xMjM0",
        "previous": None,
        "results": [row],
    }
