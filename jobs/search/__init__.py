"""Job search: ranked full text, typo tolerance, filters, facets, semantic and hybrid search.

`search_jobs` is the one entry point; the job board, the API and the back office call it.
Only open jobs (status open, not past `closes_at`) are ever searched.

Full text
    `websearch_to_tsquery('english', q)` against `Job.search_vector` (title A, skills B, company
    and place C, description D; kept by the triggers of migration 0004), ranked by `ts_rank`
    blended with recency. Snippets and titles are highlighted with `ts_headline` for the page of
    results only, HTML-escaped, with `<mark>` as the only markup.

Why it stays fast at 100k+ jobs (see benchmarks/search.py)
    `ORDER BY ts_rank(...) LIMIT 20` scores every match; a term in a third of the jobs costs
    hundreds of milliseconds. Here no step reads more than a bounded number of rows:

    - Words and categorical filters are one tsquery: the triggers index the filter values as
      lexemes ('country DE', 'skill python'; a lexeme with a space, which no query text can
      produce), so the GIN index answers both, and no plan reads the vector of each row a
      filter keeps to test the words (the planner does not know that reading it from TOAST is
      what costs). Salary and date are plain conditions.
    - Samples: the triggers also give a fixed 1/4, 1/16 and 1/64 of the jobs (by a hash of
      the id) a sample lexeme; ANDed into the tsquery it samples the matches straight from the
      GIN index, without bias.
    - Totals are counted up to COUNT_CAP; larger ones are estimated from a sample of at least
      ESTIMATE_SAMPLE jobs, rounded to two significant digits and flagged (`total_is_exact`;
      show "about 59,000"). The count is not even tried when the sample shows a large set.
    - Relevance scores a bounded candidate set: every match when there are at most
      2 × RANK_CANDIDATES (exact ranking); otherwise the matches in a recency window sized
      from the match rate to hold about RANK_CANDIDATES, read by a BitmapAnd of the GIN and
      (status, published_at) indexes, at most 2 × RANK_CANDIDATES of them. Recency is part of
      the score, so the newest matches are where the best blended scores are; a query broad
      enough to be bounded has plenty of title matches among them. Results past the
      candidates continue with the older matches, newest first: every match stays reachable.
    - Newest and best-paid orders read a window of that order in the same way (per-process
      quantiles of both orders size it; a window holding too few is widened).
    - Facets count every job of a small set, and a sample of a large one (about
      FACET_MAX_ROWS rows at most), scaled, rounded and flagged `approximate` ("~3,600").
    - The heap is narrow (descriptions, vectors and embeddings live in TOAST), so the rows
      that are read are cheap to read, and a vector is read only to score a candidate.

Semantic and hybrid
    The query is embedded with `jobs.embeddings.embed_query` (the model loads on the first
    semantic search in the process, never at import; vectors of recent queries are kept). A
    search that will need the vector starts making it in a background thread first, so the
    model works while the database counts and ranks.
    pgvector's HNSW index gives the nearest open jobs (`hnsw.ef_search` = HNSW_EF_SEARCH,
    iterative scans for filters, at most HNSW_MAX_SCAN index tuples; a small filtered set is
    measured exactly instead); hybrid fuses SEMANTIC_CANDIDATES of them with the full-text
    ranking by reciprocal rank fusion (k = 60). Hybrid is the default when open jobs have
    embeddings; otherwise, and for the newest and best-paid orders, full text.
"""

import logging

from jobs.search.caches import query_vectors_clear, search_caches_clear
from jobs.search.engine import search_jobs
from jobs.search.facets import POSTED_WITHIN_DAYS, SALARY_AT_LEAST
from jobs.search.inputs import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    MODES,
    SORTS,
    JobSearchFilters,
)
from jobs.search.results import Facet, FacetValue, JobHit, JobSearchResult
from jobs.search.salary import (
    CURRENCY_RATES_EUR,
    PERIODS_PER_YEAR,
    currency_rates,
    salary_yearly,
)
from jobs.search.spelling import correct_query
from jobs.search.tuning import (
    COUNT_CAP,
    ESTIMATE_SAMPLE,
    FACET_MAX_ROWS,
    FACET_PHRASE_CHECKS,
    FEW_RESULTS,
    HNSW_EF_SEARCH,
    HNSW_MAX_SCAN,
    PHRASE_CHECKS,
    RANK_CANDIDATES,
    RANK_WEIGHTS,
    RECENCY_BOOST,
    RECENCY_HALF_LIFE_DAYS,
    RRF_K,
    SAMPLE_RATES,
    SEMANTIC_CANDIDATES,
    SEMANTIC_EXACT_LIMIT,
    SEMANTIC_MAX_DISTANCE,
    SEMANTIC_MAX_RESULTS,
    SKILL_FACET_SIZE,
    TRIGRAM_THRESHOLD,
)

__all__ = [
    "COUNT_CAP",
    "CURRENCY_RATES_EUR",
    "ESTIMATE_SAMPLE",
    "FACET_MAX_ROWS",
    "FACET_PHRASE_CHECKS",
    "FEW_RESULTS",
    "HNSW_EF_SEARCH",
    "HNSW_MAX_SCAN",
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_LENGTH",
    "MODES",
    "PERIODS_PER_YEAR",
    "PHRASE_CHECKS",
    "POSTED_WITHIN_DAYS",
    "RANK_CANDIDATES",
    "RANK_WEIGHTS",
    "RECENCY_BOOST",
    "RECENCY_HALF_LIFE_DAYS",
    "RRF_K",
    "SALARY_AT_LEAST",
    "SAMPLE_RATES",
    "SEMANTIC_CANDIDATES",
    "SEMANTIC_EXACT_LIMIT",
    "SEMANTIC_MAX_DISTANCE",
    "SEMANTIC_MAX_RESULTS",
    "SKILL_FACET_SIZE",
    "SORTS",
    "TRIGRAM_THRESHOLD",
    "Facet",
    "FacetValue",
    "JobHit",
    "JobSearchFilters",
    "JobSearchResult",
    "correct_query",
    "query_vectors_clear",  # benchmarks/search.py: every hybrid search encodes its query
    "currency_rates",
    "salary_yearly",
    "search_caches_clear",
    "search_jobs",
]

logger = logging.getLogger(__name__)
