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
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
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
                f"SELECT j.published_at, {_SALARY_TOP} FROM jobs_job j WHERE {where}", params
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
    _query_vector.cache_clear()


@lru_cache(maxsize=1024)
def _query_vector(text: str) -> tuple[float, ...]:
    # The same query text gives the same vector: keep the last thousand.
    return tuple(embeddings.embed_query(text.lower()))


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
