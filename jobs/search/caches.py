"""Caches: the open jobs at a glance (which size windows and samples) and the vectors of
recent queries, in each process; and whole results, shared through Django's cache.

A result is kept for SEARCH_CACHE_SECONDS under the search's inputs and the generation of the
searchable data: a sequence that every committed change to jobs or companies moves on
(migration jobs/0006), so no change is ever served from before it. What the seconds bound is
what time alone changes: a job passing its `closes_at`, recency in the ranking, the "posted
within" facet. A search inside a caller's transaction may see that transaction's own
uncommitted writes, so it neither reads nor fills the cache. Without the cache (Redis down) a
search is only slower.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from jobs import embeddings
from jobs.search import tuning

logger = logging.getLogger(__name__)

_cache_lock = threading.Lock()
_quantile_cache: tuple[float, _Quantiles] | None = None
_CACHE_SECONDS = 60.0


_SALARY_TOP = "coalesce(j.salary_max_yearly, j.salary_min_yearly)"


@dataclass(frozen=True)
class _Quantiles:
    """The open jobs at a glance, from the smallest sample of at least ESTIMATE_SAMPLE of
    them (all of them on small tables): how many there are, and the publication times and top
    salaries of the sample, in order. At most a minute old, which is enough: they only size
    windows and samples."""

    open_jobs: int
    rate: int  # each sampled job stands for this many
    published: list[datetime]  # newest first
    salary: list[int | None]  # highest first, no salary last

    def cutoff(self, key: str, window: int):
        """About the key of the `window`-th open job in that order (None: no cutoff)."""
        values = self.published if key == "newest" else self.salary
        index = window // self.rate
        if window >= self.open_jobs or index >= len(values):
            return None
        return values[index]

    def position(self, published_at: datetime) -> int:
        """About how many open jobs are newer than `published_at`."""
        return self.rate * sum(1 for value in self.published if value > published_at)


def _quantiles(cursor) -> _Quantiles:
    global _quantile_cache
    now = time.monotonic()
    cached = _quantile_cache
    if cached is None or now - cached[0] > _CACHE_SECONDS:
        rows: list[tuple] = []
        rate = 1
        for rate in (*reversed(tuning.SAMPLE_RATES), 1):
            where = "j.status = 'open'"
            params: list[Any] = []
            if rate > 1:
                where += " AND j.search_vector @@ %s::tsquery"
                params.append(f"'sample 1/{rate}'")
            cursor.execute(
                f"SELECT j.published_at, {_SALARY_TOP} FROM jobs_job j WHERE {where}",  # nosec B608 # SQL from fixed parts; values bound
                params,
            )
            rows = cursor.fetchall()
            if len(rows) >= tuning.ESTIMATE_SAMPLE:
                break
        value = _Quantiles(
            open_jobs=len(rows) * rate,
            rate=rate,
            published=sorted((row[0] for row in rows), reverse=True),
            salary=sorted(
                (row[1] for row in rows), key=lambda v: (v is not None, v or 0), reverse=True
            ),
        )
        with _cache_lock:
            _quantile_cache = cached = (now, value)
    return cached[1]


def _open_job_count(cursor) -> int:
    return _quantiles(cursor).open_jobs


def search_caches_clear() -> None:
    """Forget the cached open-job count and query vectors (tests, after bulk changes)."""
    global _quantile_cache
    with _cache_lock:
        _quantile_cache = None
    query_vectors_clear()


# The vectors of the last QUERY_VECTORS_KEPT query texts, and those being made in the
# background (`query_vector_prefetch`), by lower-cased text.
QUERY_VECTORS_KEPT = 1024
_vectors: OrderedDict[str, tuple[float, ...]] = OrderedDict()
_vectors_pending: dict[str, Future] = {}
_vectors_lock = threading.Lock()
# One thread per process encodes ahead: a search starts it, then counts and ranks on the
# database while the model works (torch and the database both release the GIL). Made in the
# process that uses it: a forked child inherits no threads.
_encoder: tuple[int, ThreadPoolExecutor] | None = None


def _encoder_of_this_process() -> ThreadPoolExecutor:
    global _encoder
    if _encoder is None or _encoder[0] != os.getpid():
        _encoder = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="query-vector"))
    return _encoder[1]


def _encode(key: str) -> tuple[float, ...]:
    try:
        vector = tuple(embeddings.embed_query(key))
    except BaseException:
        with _vectors_lock:
            _vectors_pending.pop(key, None)
        raise
    with _vectors_lock:
        _vectors[key] = vector
        _vectors.move_to_end(key)
        while len(_vectors) > QUERY_VECTORS_KEPT:
            _vectors.popitem(last=False)
        _vectors_pending.pop(key, None)
    return vector


def query_vector_prefetch(text: str) -> None:
    """Start making the vector of `text` in the background, unless it is kept or on its way."""
    key = text.lower()
    with _vectors_lock:
        if key in _vectors or key in _vectors_pending:
            return
        _vectors_pending[key] = _encoder_of_this_process().submit(_encode, key)


def _query_vector(text: str) -> tuple[float, ...]:
    """The vector of `text`: kept, awaited from the background, or made now."""
    key = text.lower()
    with _vectors_lock:
        vector = _vectors.get(key)
        if vector is not None:
            _vectors.move_to_end(key)
            return vector
        pending = _vectors_pending.get(key)
    return pending.result() if pending is not None else _encode(key)


def query_vectors_clear() -> None:
    """Forget the kept query vectors (what is on its way still arrives)."""
    with _vectors_lock:
        _vectors.clear()


def result_key(cursor, inputs: tuple) -> str | None:
    """The cache key of a search's result: its validated inputs and the data's generation
    (None: SEARCH_CACHE_SECONDS is 0). The caller leaves out searches inside its caller's
    transaction (see the module)."""
    if settings.SEARCH_CACHE_SECONDS <= 0:
        return None
    # The sequence's oid tells a database made anew (tests) from the one the keys were made on.
    cursor.execute(
        "SELECT 'jobs_search_generation'::regclass::oid::bigint, last_value, is_called "
        "FROM jobs_search_generation"
    )
    generation = ":".join(map(str, cursor.fetchone()))
    digest = hashlib.sha256(repr(inputs).encode()).hexdigest()[:32]
    return f"jobs-search:{connection.settings_dict['NAME']}:{generation}:{digest}"


def result_cached(key: str) -> dict[str, Any] | None:
    try:
        return cache.get(key)
    except redis.RedisError as error:
        logger.warning("search result cache unavailable: %s", error)
        return None


def result_keep(key: str, result: dict[str, Any]) -> None:
    try:
        cache.set(key, result, timeout=settings.SEARCH_CACHE_SECONDS)
    except redis.RedisError as error:
        logger.warning("search result not cached: %s", error)
