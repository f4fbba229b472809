"""Liveness and readiness probes, outside the versioned API and open to anonymous callers."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        if not client.ping():
            raise ConnectionError("no PONG")
    finally:
        client.close()


def check_storage() -> None:
    storage = storages["private"]
    payload = uuid.uuid4().hex.encode()
    name = storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(payload))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise OSError("read back different bytes")
    finally:
        storage.delete(name)


def _checks() -> dict[str, Callable[[], None]]:
    checks = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    checks["storage"] = check_storage
    return checks


def _probe_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a failing dependency raises; anything else is a bug and should surface."""
    import redis

    errors: list[type[BaseException]] = [DatabaseError, OSError, redis.RedisError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        pass
    else:
        errors += [BotoCoreError, ClientError]
    return tuple(errors)


def _run(check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except _probe_errors() as exc:
        logger.warning("health check failed", extra={"check": check.__name__, "error": repr(exc)})
        if isinstance(exc, DatabaseError):
            connection.close_if_unusable_or_obsolete()
        # Anyone may call the probe: the answer names the failing check, not its exception's
        # class ("OperationalError" while the database restarted, in an issue-9 fault run); the
        # log line above has the details.
        result = {"status": "error", "error": "unavailable"}
    else:
        result = {"status": "ok"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    results = {name: _run(check) for name, check in _checks().items()}
    healthy = all(r["status"] == "ok" for r in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results},
        status=200 if healthy else 503,
    )
