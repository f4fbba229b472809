"""Search by meaning: the nearest open jobs by embedding (pgvector HNSW, or an exact scan of a
small filtered set), and their fusion with the full-text ranking (reciprocal rank fusion)."""

from __future__ import annotations

from jobs.search import tuning
from jobs.search.caches import _query_vector
from jobs.search.matches import _Matches
from jobs.search.ranking import _Candidates
from jobs.search.sql import _Where


class _Semantic(_Matches):
    def _semantic(self, text: str, tsquery: str | None) -> list[tuple[int, float, bool]]:
        """Nearest open jobs by meaning: (id, cosine distance, matches the text too)."""
        vector = _query_vector(text)
        literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
        wanted = tuning.SEMANTIC_CANDIDATES
        if self.mode == "semantic":  # the neighbours are the results: as many as the page needs
            wanted = min(max(wanted, self.offset + self.page_size), tuning.SEMANTIC_MAX_RESULTS)
        # The filters as plain conditions, which the index scan tests on each neighbour.
        filters = self.base & self._filters_only()
        exact_scan = False
        if self.conditions:
            # Few jobs pass the filters: find them through the GIN index and measure each.
            kept = self.all_filters & _Where("j.embedding IS NOT NULL", [])
            n, exact = self._count(kept)
            if exact and n <= tuning.SEMANTIC_EXACT_LIMIT:
                exact_scan, filters = True, kept
        matches = "j.search_vector @@ %s::tsquery" if tsquery else "FALSE"
        match_params = [tsquery] if tsquery else []
        if not exact_scan:
            self._index_scans(True)
            # Filters are checked on the neighbours the index yields; iterative scans go on
            # until enough pass, up to HNSW_MAX_SCAN: a filter that keeps few of the jobs
            # near the query gives fewer neighbours rather than a slow search.
            self.set(
                **{
                    "hnsw.ef_search": str(max(tuning.HNSW_EF_SEARCH, wanted)),
                    "hnsw.iterative_scan": "relaxed_order",
                    "hnsw.max_scan_tuples": str(tuning.HNSW_MAX_SCAN),
                }
            )
        # relaxed_order may return neighbours slightly out of order: sort them again.
        rows = self._fetchall(
            f"""
            SELECT id, distance, text_match FROM (
                SELECT j.id, j.embedding <=> %s::vector AS distance, {matches} AS text_match
                  FROM jobs_job j
                 WHERE j.embedding IS NOT NULL AND {filters.sql}
                 ORDER BY j.embedding <=> %s::vector
                 LIMIT %s
            ) nearest ORDER BY distance, id
            """,  # nosec B608 # SQL from fixed parts; values bound
            [literal, *match_params, *filters.params, literal, wanted],
        )  # fmt: skip
        if not exact_scan:
            self._index_scans(False)
        return [(pk, d, m) for pk, d, m in rows if d <= tuning.SEMANTIC_MAX_DISTANCE]


def _fuse(ranked: _Candidates, semantic: list[tuple[int, float, bool]]) -> _Candidates:
    """Reciprocal rank fusion of the full-text ranking and the nearest neighbours."""
    scores: dict[int, float] = {}
    parts: dict[int, dict[str, float | int | None]] = {}
    for position, pk in enumerate(ranked.ids, start=1):
        scores[pk] = 1 / (tuning.RRF_K + position)
        parts[pk] = dict(ranked.parts.get(pk, {}))
    for position, (pk, distance, _) in enumerate(semantic, start=1):
        scores[pk] = scores.get(pk, 0.0) + 1 / (tuning.RRF_K + position)
        parts.setdefault(pk, {})
        parts[pk].update(semantic_distance=round(distance, 4), semantic_position=position)
    ordered = sorted(scores, key=lambda pk: (-scores[pk], pk))
    for pk in ordered:
        parts[pk]["rrf"] = round(scores[pk], 6)
    return _Candidates(ids=ordered, parts=parts, older_than=ranked.older_than)


def _embeddings_exist(cursor) -> bool:
    """Do open jobs have embeddings? (one probe of a partial index)"""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM jobs_job WHERE status = 'open' AND embedding IS NOT NULL)"
    )
    return bool(cursor.fetchone()[0])
