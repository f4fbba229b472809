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
candidate. Copies of up to PROJECTED_CANDIDATES jobs take the one exact pass. Each job's
stored features (about 0.5 kB) are kept in marshal's format, which reads in half the time of
JSON.

Reading 200 jobs' features back cost about 2 ms a candidate, and scoring them 3 ms more, so a
shortlist is ranked on its jobs' parts instead (`jobs_shortlist_in_memory`): the copy also
keeps, for each part of a score (`scoring.PART_FIELDS`: the role, the requirements, the place,
the salary...), the distinct values among the open jobs once, and each job as its row of
indexes into them. One candidate's `ShortlistScorer` scores each distinct part once, and only
the jobs returned have their whole features read to be explained.

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
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection

from pipeline.matching.features import FEATURES_VERSION
from pipeline.matching.scoring import PART_FIELDS, PartsIndex
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
    # Each job's row of part indexes into `parts` (scoring.PART_FIELDS order; -1s for a job
    # without current features), and for each part the distinct values of its fields.
    part_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int32))
    parts: dict[str, list[bytes]] = field(default_factory=dict)
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


def _parts_index(
    ids: np.ndarray, decoded: dict[int, dict]
) -> tuple[np.ndarray, dict[str, list[bytes]]]:
    """Each job's row of part indexes (-1s for a job without current features), and each
    part's distinct values."""
    index = PartsIndex()
    rows = np.full((len(ids), len(PART_FIELDS)), -1, dtype=np.int32)
    for row, pk in enumerate(ids.tolist()):
        job = decoded.get(pk)
        if job is not None and job.get("version") == FEATURES_VERSION:
            rows[row] = index.add(job)
    return rows, index.parts


def open_job_vectors_load() -> _Copy:
    """Read every open job's vector (and stored features) into this process's copy now."""
    global _copy
    ids, matrix, texts = open_job_vectors_read(with_features=True)
    decoded = {pk: json.loads(text) for pk, text in texts.items()}
    del texts
    part_rows, parts = _parts_index(ids, decoded)
    features = {pk: marshal.dumps(job) for pk, job in decoded.items()}
    del decoded
    basis, projected = _principal(matrix)
    _copy = _Copy(
        ids=ids,
        matrix=matrix,
        features=features,
        made_at=time.monotonic(),
        basis=basis,
        projected=projected,
        part_rows=part_rows,
        parts=parts,
    )
    megabytes = (matrix.nbytes + sum(map(len, features.values())) + part_rows.nbytes) / 1e6
    megabytes += sum(len(value) for values in parts.values() for value in values) / 1e6
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


def _nearest(copy: _Copy, vector, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows of `copy`, cosine similarities) of the `limit` jobs nearest to `vector`, best
    first (ties by job id)."""
    empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if not len(copy.ids) or limit <= 0:
        return empty
    query = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    if norm == 0.0:
        return empty
    query = query / norm  # a new array: the caller's vector stays as it was
    wanted = max(PROJECTED_CANDIDATES, PROJECTED_FACTOR * limit)
    if copy.projected is None or wanted >= len(copy.ids):
        rows, similarities = np.arange(len(copy.ids)), copy.matrix @ query
    else:  # the first pass on the principal directions, then the best of it exactly
        rough = copy.projected @ (query @ copy.basis)
        rows = np.argpartition(-rough, wanted - 1)[:wanted]
        similarities = copy.matrix[rows] @ query
    count = min(limit, len(rows))
    top = np.argpartition(-similarities, count - 1)[:count]
    top = top[np.lexsort((copy.ids[rows[top]], -similarities[top]))]
    return rows[top], similarities[top]


def _searched(vector, limit: int) -> tuple[_Copy, np.ndarray, np.ndarray] | None:
    """(the copy, `_nearest` in it), or None without a copy (or with memory search off)."""
    if not settings.MATCH_MEMORY_SEARCH:
        return None
    copy = _current()
    if copy is None:
        return None
    return copy, *_nearest(copy, vector, limit)


def jobs_nearest_in_memory(vector, *, limit: int) -> list[tuple[int, float]] | None:
    """(job id, cosine similarity) of the `limit` open jobs nearest to `vector`, best first
    (ties by job id), from this process's copy; None when there is no copy yet."""
    if (searched := _searched(vector, limit)) is None:
        return None
    copy, rows, similarities = searched
    return list(zip(copy.ids[rows].tolist(), similarities.tolist(), strict=True))


def _features_of(copy: _Copy | None, ids: list[int]) -> dict[int, dict]:
    """Matching features of `ids` from the copy, or read now when it has none current."""
    kept = copy.features if copy is not None else {}
    features: dict[int, dict] = {}
    for job_id in ids:
        data = kept.get(job_id)
        if data is not None:
            features[job_id] = marshal.loads(data)  # nosec B302 # bytes this process marshalled itself (open_job_vectors_load), never outside input
    stale = [
        job_id for job_id in ids if features.get(job_id, {}).get("version") != FEATURES_VERSION
    ]
    if stale:
        features.update(job_features_many(stale))
    return features


@dataclass(frozen=True)
class Shortlist:
    """The open jobs nearest to a candidate, from the copy, for `ShortlistScorer`."""

    # (job id, similarity, its part indexes or None when the copy has no current features),
    # nearest first; only jobs still open.
    jobs: list[tuple[int, float, list[int] | None]]
    parts: dict[str, list[bytes]]
    copy: _Copy

    def features(self, ids: list[int]) -> dict[int, dict]:
        """Whole matching features of `ids` (to explain a score, or to score a job the copy
        has no parts of)."""
        return _features_of(self.copy, ids)


def jobs_shortlist_in_memory(vector, *, limit: int) -> Shortlist | None:
    """The `limit` open jobs nearest to `vector` (as `jobs_nearest_in_memory`), with their
    parts; None when there is no copy yet. Jobs closed since the copy was made are dropped."""
    if (searched := _searched(vector, limit)) is None:
        return None
    copy, rows, similarities = searched
    ids = copy.ids[rows].tolist()
    still_open = open_job_ids_among(ids)
    parts = copy.part_rows[rows].tolist() if len(copy.part_rows) else [[-1]] * len(ids)
    return Shortlist(
        jobs=[
            (job_id, similarity, indexes if indexes[0] >= 0 else None)
            for job_id, similarity, indexes in zip(ids, similarities.tolist(), parts, strict=True)
            if job_id in still_open
        ],
        parts=copy.parts,
        copy=copy,
    )
