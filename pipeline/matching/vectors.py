"""The open jobs' vectors held in this process's memory, for an exact nearest-job search in
milliseconds.

One candidate's shortlist among 100k jobs through the HNSW index costs 20-30 ms at the
ef_search that reaches a recall of about 0.9; a product of one float32 matrix (1.5 kB a job,
plus its stored features as JSON text, about 0.5 kB) with the candidate's vector costs about
10 ms and is exact.

The copy is made on first use and renewed when older than MATCH_MEMORY_MAX_AGE seconds, by a
background thread, so no request waits for it: until the first copy is there, searches go
through the index. A job published since the copy was made is missed until the next one; a job
closed since then is dropped when its features are read (only open jobs are read). With
MATCH_MEMORY_MAX_AGE=0 every search reads the vectors anew (the tests; tiny sites), and with
MATCH_MEMORY_SEARCH=false the index is always used.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection

from pipeline.matching.features import FEATURES_VERSION
from pipeline.matching.selectors import job_features_many, open_job_vectors_read, open_jobs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Copy:
    ids: np.ndarray  # job ids, int64
    matrix: np.ndarray  # their vectors scaled to length 1, float32, one row per id
    features: dict[int, str]  # each job's stored matching features, as JSON text
    made_at: float  # time.monotonic()


_copy: _Copy | None = None
_renewing = threading.Lock()


def open_job_vectors_load() -> _Copy:
    """Read every open job's vector (and stored features) into this process's copy now."""
    global _copy
    ids, matrix, features = open_job_vectors_read(with_features=True)
    _copy = _Copy(
        ids=ids,
        matrix=matrix,
        features=features,
        made_at=time.monotonic(),
    )
    megabytes = (matrix.nbytes + sum(map(len, features.values()))) / 1e6
    logger.info("open job vectors in memory: %d jobs, %.0f MB", len(ids), megabytes)
    return _copy


def _renew_in_background() -> None:
    if not _renewing.acquire(blocking=False):
        return  # already under way

    def renew() -> None:
        try:
            open_job_vectors_load()
        except DatabaseError:
            logger.exception("open job vectors not renewed; the index serves meanwhile")
        finally:
            connection.close()  # this thread's own connection
            _renewing.release()

    threading.Thread(target=renew, name="open-job-vectors", daemon=True).start()


def _current() -> _Copy | None:
    max_age = settings.MATCH_MEMORY_MAX_AGE
    if max_age <= 0:
        return open_job_vectors_load()
    copy = _copy
    if copy is None or time.monotonic() - copy.made_at > max_age:
        _renew_in_background()
    return copy


def jobs_nearest_in_memory(vector, *, limit: int) -> list[tuple[int, float]] | None:
    """(job id, cosine similarity) of the `limit` open jobs nearest to `vector`, best first
    (ties by job id), from this process's copy; None when there is no copy yet."""
    if not settings.MATCH_MEMORY_SEARCH:
        return None
    copy = _current()
    if copy is None:
        return None
    if not len(copy.ids) or limit <= 0:
        return []
    query = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    if norm == 0.0:
        return []
    similarities = copy.matrix @ (query / norm)
    count = min(limit, len(copy.ids))
    top = np.argpartition(-similarities, count - 1)[:count]
    top = top[np.lexsort((copy.ids[top], -similarities[top]))]
    return [(int(copy.ids[i]), float(similarities[i])) for i in top]


def jobs_features_in_order(nearest: list[tuple[int, float]]) -> list[tuple[int, float, dict]]:
    """`nearest` with each job's matching features (from the copy when it has them), dropping
    jobs no longer open; features missing or made by an older reader are read now."""
    ids = [job_id for job_id, _ in nearest]
    still_open = set(open_jobs().filter(pk__in=ids).values_list("pk", flat=True))
    kept = _copy.features if _copy is not None else {}
    features: dict[int, dict] = {}
    for job_id in ids:
        text = kept.get(job_id)
        if job_id in still_open and text is not None:
            features[job_id] = json.loads(text)
    stale = [
        job_id
        for job_id in still_open
        if features.get(job_id, {}).get("version") != FEATURES_VERSION
    ]
    if stale:
        features.update(job_features_many(stale))
    return [
        (job_id, similarity, features[job_id])
        for job_id, similarity in nearest
        if job_id in still_open
    ]
