"""What a search gives back: the page of hits, the total, the facets and the suggestion."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from jobs.models import Job
from jobs.search.inputs import MAX_OFFSET, JobSearchFilters


@dataclass(frozen=True)
class JobHit:
    job: Job
    position: int  # 1-based, in the whole result list
    score: float
    # text_rank, recency, text_position, semantic_distance, semantic_position, rrf: whichever
    # took part in this result's score.
    score_parts: dict[str, float | int | None]
    title_html: str  # escaped, with <mark> around matched words
    snippet_html: str


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    values: list[FacetValue]
    # Counted on a sample and scaled (the set was larger than FACET_MAX_ROWS).
    approximate: bool = False


@dataclass(frozen=True)
class JobSearchResult:
    query: str
    query_used: str  # the corrected query when the original found nothing
    filters: JobSearchFilters
    sort: str
    page: int
    page_size: int
    results: list[JobHit]
    # How many jobs match: counted when total_is_exact, otherwise estimated from a sample and
    # rounded to two significant digits (show "about 59,000").
    total: int
    total_is_exact: bool
    facets: dict[str, Facet]
    did_you_mean: str | None
    mode_used: str  # fulltext, hybrid or semantic
    took_ms: float
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    cached: bool = False  # read from the result cache (jobs/search/caches.py)

    @property
    def num_pages(self) -> int:
        reachable = min(self.total, MAX_OFFSET + self.page_size)
        return max(1, math.ceil(reachable / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages
