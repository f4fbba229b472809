"""Idempotent POSTs for the API: `Idempotency-Key: <up to 255 printable characters>`.

The first request with a key runs and its answer (any status below 500) is kept for
IDEMPOTENCY_TTL seconds (24 h). Within that time the same key, from the same caller, gets
the kept answer again with `Idempotent-Replayed: true`, and the request is not run twice.
A duplicate that arrives while the first is still running gets 409 `idempotency_in_progress`;
the same key with a different request (method, path or body) gets 422 `idempotency_mismatch`.

Keys are scoped per caller: per API key, or per signed-in user. Answers are kept in the cache
(Redis), not the database: they are replays, not records.
"""

from __future__ import annotations

import hashlib
import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework import status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
_LOCK_SECONDS = 300  # longer than any request may run (gunicorn's timeout is 60 s)


def _error(code: str, message: str, http_status: int) -> Response:
    return Response({"error": {"code": code, "message": message, "fields": {}}}, status=http_status)


def _forget(lock_key: str) -> None:
    try:
        cache.delete(lock_key)
    except redis.RedisError as error:  # it expires by itself after _LOCK_SECONDS
        logger.warning("idempotency lock not released, the cache is unavailable: %s", error)


def _caller(request) -> str | None:
    prefix = getattr(request.auth, "prefix", None)
    if prefix:
        return f"key:{prefix}"
    user = request.user
    if user is not None and user.is_authenticated and user.pk is not None:
        return f"user:{user.pk}"
    return None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    content_type = request.content_type or ""
    digest.update(content_type.encode())
    if content_type.startswith("multipart/"):
        # An upload's body is streamed to disk, never held whole: its length stands for it.
        digest.update(str(request.META.get("CONTENT_LENGTH", "")).encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


class IdempotentPostMixin:
    """For API views: honour `Idempotency-Key` on POST. Put it before APIView in the bases."""

    def dispatch(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return super().dispatch(request, *args, **kwargs)
        # Authentication runs inside dispatch; run it here first to know whose key it is.
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request = drf_request
        self.args, self.kwargs = args, kwargs
        self.headers = self.default_response_headers
        try:
            self.perform_authentication(drf_request)
            caller = _caller(drf_request)
        except Exception as error:  # noqa: BLE001 - DRF's own handler answers it (401)
            response = self.handle_exception(error)
            return self.finalize_response(drf_request, response, *args, **kwargs)
        if caller is None:
            return super().dispatch(request, *args, **kwargs)  # refused by the permissions
        if not key or len(key) > 255 or not key.isprintable():
            response = _error(
                "invalid_idempotency_key",
                f"{HEADER} must be 1 to 255 printable characters.",
                status.HTTP_400_BAD_REQUEST,
            )
            return self.finalize_response(drf_request, response, *args, **kwargs)

        name = hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
        kept_key, lock_key = f"idempotency:{name}", f"idempotency:{name}:lock"
        fingerprint = _fingerprint(request)
        try:
            kept = cache.get(kept_key)
            locked = kept is not None or cache.add(lock_key, fingerprint, timeout=_LOCK_SECONDS)
            if not locked:
                kept = cache.get(kept_key)  # finished just now?
        except redis.RedisError as error:  # the promise cannot be kept: 503, nothing done
            response = self.handle_exception(error)
            return self.finalize_response(drf_request, response, *args, **kwargs)
        if not locked:
            if kept is None:
                response = _error(
                    "idempotency_in_progress",
                    f"A request with this {HEADER} is still being processed; retry later.",
                    status.HTTP_409_CONFLICT,
                )
                return self.finalize_response(drf_request, response, *args, **kwargs)
        if kept is not None:
            return self._replay(drf_request, kept, fingerprint, *args, **kwargs)
        try:
            response = super().dispatch(request, *args, **kwargs)
        except BaseException:
            _forget(lock_key)
            raise
        if response.status_code < 500:
            if hasattr(response, "render"):
                response.render()
            answer = {
                "fingerprint": fingerprint,
                "status": response.status_code,
                "content": response.content,
                "headers": {
                    header: value
                    for header, value in response.items()
                    if not header.lower().startswith("x-ratelimit")
                },
            }
            try:
                cache.set(kept_key, answer, timeout=settings.IDEMPOTENCY_TTL)
            except redis.RedisError as error:  # done, but a retry would run it again
                logger.error("idempotent answer not kept, the cache is unavailable: %s", error)
        _forget(lock_key)
        return response

    def _replay(self, drf_request, answer: dict, fingerprint: str, *args, **kwargs):
        if answer["fingerprint"] != fingerprint:
            response = _error(
                "idempotency_mismatch",
                f"This {HEADER} was used for a different request.",
                status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
            return self.finalize_response(drf_request, response, *args, **kwargs)
        replay = HttpResponse(answer["content"], status=answer["status"])
        for name, value in answer["headers"].items():
            replay[name] = value
        replay["Idempotent-Replayed"] = "true"
        return replay
