"""`search_jobs`: validate, then run the steps of one search in one transaction."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction

from jobs.search import tuning
from jobs.search.caches import query_vector_prefetch, result_cached, result_keep, result_key
from jobs.search.facets import _Facets
from jobs.search.highlight import _Highlighting
from jobs.search.inputs import JobSearchFilters, _validate
from jobs.search.ranking import _Candidates, _Ranking
from jobs.search.results import JobSearchResult
from jobs.search.semantic import _embeddings_exist, _fuse, _Semantic
from jobs.search.spelling import correct_query


def search_jobs(
    *,
    query: str = "",
    filters: JobSearchFilters | Mapping[str, Any] | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
    mode: str = "auto",
    facets: bool = True,
) -> JobSearchResult:
    """Search open jobs. Raise ValidationError (messages per field) for bad input.

    A result made since the last change to jobs or companies, at most SEARCH_CACHE_SECONDS
    ago, comes from the cache (`cached`; see jobs/search/caches.py)."""
    started = time.perf_counter()
    query, sort, page, page_size, mode = _validate(query, sort, page, page_size, mode)
    search_filters = JobSearchFilters.from_data(filters)
    # Inside a caller's transaction a search may see its uncommitted writes: never cached.
    cacheable = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        inputs = (query, search_filters, sort, page, page_size, mode, facets)
        key = result_key(cursor, inputs) if cacheable else None
        result = result_cached(key) if key else None
        cached = result is not None
        if result is None:
            run = _Search(cursor, query, search_filters, sort, page, page_size, mode, facets)
            # jit costs more than it saves here; seq scans would read every search_vector
            # from TOAST, and plain index scans with an @@ filter do the same row by row:
            # bitmap scans read only what the GIN index already matched. Steps that want an
            # index scan ask.
            run.set(jit="off", enable_seqscan="off")
            result = run.execute()
            run.restore()  # the caller's transaction may go on: leave its settings as they were
            if key:
                result_keep(key, result)
    took = round((time.perf_counter() - started) * 1000, 2)
    if cached:
        result = {**result, "timings": {"cache": took}}
    return JobSearchResult(**result, took_ms=took, cached=cached)


class _Search(_Ranking, _Semantic, _Highlighting, _Facets):
    # -- the run --

    def execute(self) -> dict[str, Any]:
        mode_used = self._resolve_mode()  # an index-only probe, before index scans go off
        if mode_used in ("hybrid", "semantic"):
            query_vector_prefetch(self.query)  # the model works while the database counts
        self._index_scans(False)
        self._lap("mode")
        query_used = self.query
        did_you_mean = None
        tsquery = self._tsquery(self.query)
        where = self._where(tsquery)
        total, exact = self._total(tsquery, where)
        self._lap("count")
        if tsquery is not None and exact and total < tuning.FEW_RESULTS:
            corrected = correct_query(self.query)
            if corrected:
                corrected_tsquery = self._tsquery(corrected)
                corrected_where = self._where(corrected_tsquery)
                corrected_total, corrected_exact = self._total(corrected_tsquery, corrected_where)
                if corrected_total > total:
                    did_you_mean = corrected
                    if total == 0:
                        query_used, tsquery, where = corrected, corrected_tsquery, corrected_where
                        total, exact = corrected_total, corrected_exact
            self._lap("correct")

        semantic: list[tuple[int, float, bool]] = []
        if mode_used in ("hybrid", "semantic") and query_used:
            semantic = self._semantic(query_used, tsquery)
            self._lap("semantic")
            if not semantic and mode_used == "semantic":
                mode_used = "fulltext"

        if mode_used == "semantic":
            ranked = _Candidates(
                ids=[pk for pk, _, _ in semantic],
                parts={
                    pk: {"semantic_distance": round(d, 4), "semantic_position": i + 1}
                    for i, (pk, d, _) in enumerate(semantic)
                },
                older_than=None,
            )
            total, exact = len(semantic), True
        else:
            ranked = self._ranked(tsquery, where, total, exact)
            self._lap("rank")
            if mode_used == "hybrid":
                only_semantic = sum(1 for _, _, text_match in semantic if not text_match)
                ranked = _fuse(ranked, semantic)
                total += only_semantic

        page_ids, parts = self._page(ranked, where, total, exact)
        self._lap("page")
        hits = self._hits(page_ids, parts, tsquery)
        self._lap("hits")
        facets = {}
        if self.want_facets:
            facets = self._facets(tsquery)
            self._lap("facets")
        return {
            "query": self.query,
            "query_used": query_used,
            "filters": self.filters,
            "sort": self.sort,
            "page": self.page,
            "page_size": self.page_size,
            "results": hits,
            "total": total,
            "total_is_exact": exact,
            "facets": facets,
            "did_you_mean": did_you_mean,
            "mode_used": mode_used,
            "timings": self.timings,
        }

    def _resolve_mode(self) -> str:
        if not self.query or self.mode == "fulltext":
            return "fulltext"
        if self.sort != "relevance":
            return "fulltext"  # newest or best paid first: ranking by meaning has no say
        if not _embeddings_exist(self.cursor):
            return "fulltext"
        return "hybrid" if self.mode == "auto" else self.mode
