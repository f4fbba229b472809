"""Rate limits of the partner API: a fixed window per API key (or per signed-in user), counted
in the cache (Redis), announced on every answer with X-RateLimit-Limit/Remaining/Reset, and a
429 with Retry-After once spent.

The limit is settings.API_RATE_LIMIT ("600/minute"; units second, minute, hour, day).
"""

from __future__ import annotations

import logging
import re
import time

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey

logger = logging.getLogger(__name__)

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """ "600/minute" → (600, 60)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*", rate or "")
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT={rate!r}: use a count per second, minute, hour or day, e.g. 600/minute"
        )
    return int(match[1]), _UNITS[match[2]]


def _count(key: str, timeout: int) -> int:
    """Add this request to the counter `key` (made with `timeout` seconds to live); return
    the count. On Redis in one round trip (INCR, then EXPIRE NX, pipelined)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        # Django's Redis cache stores integers as themselves, so INCR counts what cache.incr
        # would, under the same key.
        client = backend._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, timeout, nx=True)
        used, _ = pipe.execute()
        return used
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, timeout=timeout)
        return 1


class ApiRateThrottle(BaseThrottle):
    def _identity(self, request) -> str | None:
        if isinstance(request.auth, ApiKey):
            return f"key:{request.auth.prefix}"
        if request.user and request.user.is_authenticated and request.user.pk is not None:
            return f"user:{request.user.pk}"
        return None  # anonymous requests are refused by authentication, not counted

    def allow_request(self, request, view) -> bool:
        identity = self._identity(request)
        if identity is None:
            return True
        limit, window = rate_parse(settings.API_RATE_LIMIT)
        now = time.time()
        start = int(now // window * window)
        key = f"ratelimit:{identity}:{window}:{start}"
        try:
            used = _count(key, window + 1)
        except redis.RedisError as error:
            # Without the counter the API still answers (unlimited) rather than fail.
            logger.warning("rate limit not counted, the cache is unavailable: %s", error)
            return True
        self.reset = start + window
        self.wait_seconds = max(1, int(self.reset - now + 0.999))
        request.rate_limit = (limit, max(0, limit - used), self.reset)
        return used <= limit

    def wait(self) -> float:
        return self.wait_seconds


class RateLimitHeadersMixin:
    """For API views with ApiRateThrottle: the X-RateLimit headers on every answer."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        limit = getattr(request, "rate_limit", None)
        if limit is not None:
            response["X-RateLimit-Limit"] = str(limit[0])
            response["X-RateLimit-Remaining"] = str(limit[1])
            response["X-RateLimit-Reset"] = str(limit[2])
        return response
