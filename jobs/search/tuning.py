"""The numbers that tune job search: the bounds that keep every step small at 100k+ jobs,
the ranking, the semantic search and typo tolerance.

Code reads them as `tuning.NAME`, so setting one here (or on `jobs.search`) takes effect."""

COUNT_CAP = 2_000
RANK_CANDIDATES = 250
# Facets of larger sets are counted on a sample of about this many. 2,000 rather than 4,000:
# the board's uncached searches at 100k jobs went from p95 83-101 ms to 69 ms (benchmarks/pages.py),
# and facet counts of large sets are rounded estimates either way.
FACET_MAX_ROWS = 2_000
SAMPLE_RATES = (4, 16, 64)
ESTIMATE_SAMPLE = 1_000  # estimates come from a sample of at least about this many open jobs
PHRASE_CHECKS = 3_000  # a count checks the positions of at most about this many rows
FACET_PHRASE_CHECKS = 500  # and facets those of at most about this many
SKILL_FACET_SIZE = 30
# ts_rank weights for D, C, B, A (PostgreSQL's defaults) and normalisation 32: rank/(rank+1).
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
RECENCY_HALF_LIFE_DAYS = 30.0
RECENCY_BOOST = 0.5  # a job posted now scores up to 1.5× an equally relevant old one

RRF_K = 60
SEMANTIC_CANDIDATES = 50  # neighbours fused with the full-text ranking
SEMANTIC_MAX_RESULTS = 200  # semantic search alone pages through at most this many
SEMANTIC_MAX_DISTANCE = 0.8  # cosine distance; beyond it a neighbour is not a result
HNSW_EF_SEARCH = 100
HNSW_MAX_SCAN = 2_000
SEMANTIC_EXACT_LIMIT = 2_000  # filtered sets this small are scanned exactly, not by HNSW

# Typo tolerance: few results means the corrected query is worth a try.
FEW_RESULTS = 3
TRIGRAM_THRESHOLD = 0.25
