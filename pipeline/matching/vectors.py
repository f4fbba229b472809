"""The open jobs' vectors held in this process's memory, for a nearest-job search in a few
milliseconds.

One candidate's shortlist among 100k jobs through the HNSW index costs 20-30 ms at the
ef_search that reaches a recall of about 0.9. The product of one float32 matrix (1.5 kB a job)
with the candidate's vector is exact, but reading 130 MB costs about 11 ms. So the search
takes two passes: every job is ranked on its vector's first PROJECTED_DIMS principal
directions (a 64-column copy, a sixth of the reading), then the PROJECTED_CANDIDATES best (or
PROJECTED_FACTOR times the jobs asked for, if more) are measured exactly on their whole
vectors. Similarities are always exact; only a job the first pass ranked far too low could be
missed: among 84k jobs (benchmarks/_matching.py) the final top 20 was exact search's for every
candidate. Copies of up to PROJECTED_CANDIDATES jobs take the one exact pass. Each job's stored features (about
0.5 kB) are kept in marshal's format, which reads in half the time of JSON.

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
import marshal
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection

from pipeline.matching.features import FEATURES_VERSION
from pipeline.matching.selectors import (
    job_features_many,
    open_job_ids_among,
    open_job_vectors_read,
)

logger = logging.getLogger(__name__)

PROJECTED_DIMS = 64
PROJECTED_CANDIDATES = 4_000  # at least; or PROJECTED_FACTOR times the jobs asked for
PROJECTED_FACTOR = 20


@dataclass(frozen=True)
class _Copy:
    ids: np.ndarray  # job ids, int64
    matrix: np.ndarray  # their vectors scaled to length 1, float32, one row per id
    features: dict[int, bytes]  # each job's stored matching features, marshalled
    made_at: float  # time.monotonic()
    # The first pass: `matrix` projected on `basis`, its principal directions (None: one pass).
    basis: np.ndarray | None = None  # float32, dimensions × PROJECTED_DIMS
    projected: np.ndarray | None = None  # float32, one row per id


def _principal(matrix: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(basis, projection) of the first pass, or (None, None) for a copy small enough to
    measure whole."""
    if len(matrix) <= PROJECTED_CANDIDATES or matrix.shape[1] <= PROJECTED_DIMS:
        return None, None
    # Directions of largest energy: the eigenvectors of the Gram matrix (dimensions²).
    values, directions = np.linalg.eigh((matrix.T @ matrix).astype(np.float64))
    largest = np.argsort(values)[::-1][:PROJECTED_DIMS]
    basis = np.ascontiguousarray(directions[:, largest], dtype=np.float32)
    return basis, np.ascontiguousarray(matrix @ basis)


_copy: _Copy | None = None
_renewing = threading.Lock()


def open_job_vectors_load() -> _Copy:
    """Read every open job's vector (and stored features) into this process's copy now."""
    global _copy
    ids, matrix, texts = open_job_vectors_read(with_features=True)
    features = {pk: marshal.dumps(json.loads(text)) for pk, text in texts.items()}
    del texts
    basis, projected = _principal(matrix)
    _copy = _Copy(
        ids=ids,
        matrix=matrix,
        features=features,
        made_at=time.monotonic(),
        basis=basis,
        projected=projected,
    )
    megabytes = (matrix.nbytes + sum(map(len, features.values()))) / 1e6
    if projected is not None:
        megabytes += projected.nbytes / 1e6
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
    query = query / norm  # a new array: the caller's vector stays as it was
    wanted = max(PROJECTED_CANDIDATES, PROJECTED_FACTOR * limit)
    if copy.projected is None or wanted >= len(copy.ids):
        ids, similarities = copy.ids, copy.matrix @ query
    else:  # the first pass on the principal directions, then the best of it exactly
        rough = copy.projected @ (query @ copy.basis)
        rows = np.argpartition(-rough, wanted - 1)[:wanted]
        ids, similarities = copy.ids[rows], copy.matrix[rows] @ query
    count = min(limit, len(ids))
    top = np.argpartition(-similarities, count - 1)[:count]
    top = top[np.lexsort((ids[top], -similarities[top]))]
    return [(int(ids[i]), float(similarities[i])) for i in top]


def jobs_features_in_order(nearest: list[tuple[int, float]]) -> list[tuple[int, float, dict]]:
    """`nearest` with each job's matching features (from the copy when it has them), dropping
    jobs no longer open; features missing or made by an older reader are read now."""
    ids = [job_id for job_id, _ in nearest]
    still_open = open_job_ids_among(ids)
    kept = _copy.features if _copy is not None else {}
    features: dict[int, dict] = {}
    for job_id in ids:
        data = kept.get(job_id)
        if job_id in still_open and data is not None:
            features[job_id] = marshal.loads(data)  # nosec B302 # bytes this process marshalled itself (job_features_load), never outside input
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
