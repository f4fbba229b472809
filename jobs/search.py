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
    semantic search in the process, never at import; vectors of recent queries are kept).
    pgvector's HNSW index gives the nearest open jobs (`hnsw.ef_search` = HNSW_EF_SEARCH,
    iterative scans for filters, at most HNSW_MAX_SCAN index tuples; a small filtered set is
    measured exactly instead); hybrid fuses SEMANTIC_CANDIDATES of them with the full-text
    ranking by reciprocal rank fusion (k = 60). Hybrid is the default when open jobs have
    embeddings; otherwise, and for the newest and best-paid orders, full text.
"""

from __future__ import annotations

import html
import logging
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Company, SalaryPeriod, Seniority
from jobs import embeddings
from jobs.models import Job, Skill

logger = logging.getLogger(__name__)

SORTS = ("relevance", "newest", "salary")
MODES = ("auto", "fulltext", "hybrid", "semantic")
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10_000  # deeper pages are refused; nobody pages past 10,000 results
MAX_QUERY_LENGTH = 500

COUNT_CAP = 2_000
RANK_CANDIDATES = 250
FACET_MAX_ROWS = 4_000  # facets of larger sets are counted on a sample of about this many
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

POSTED_WITHIN_DAYS = (1, 3, 7, 14, 30)
SALARY_AT_LEAST = (30_000, 50_000, 75_000, 100_000, 150_000)

# Units of EUR per unit of each currency the platform sees (a fixed table, refreshed by hand;
# `jobs.services.currency_rates_sync` writes it, converted to settings.SEARCH_CURRENCY).
CURRENCY_RATES_EUR: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "USD": Decimal("0.92"),
    "GBP": Decimal("1.17"),
    "CHF": Decimal("1.05"),
    "PLN": Decimal("0.23"),
    "SEK": Decimal("0.087"),
    "DKK": Decimal("0.134"),
    "CAD": Decimal("0.68"),
    "AUD": Decimal("0.61"),
    "SGD": Decimal("0.69"),
    "INR": Decimal("0.011"),
    "JPY": Decimal("0.0062"),
    "BRL": Decimal("0.17"),
}
# Working periods per year; the salary trigger of migration 0004 uses the same numbers.
PERIODS_PER_YEAR: dict[str, int] = {
    SalaryPeriod.YEAR: 1,
    SalaryPeriod.MONTH: 12,
    SalaryPeriod.WEEK: 48,
    SalaryPeriod.DAY: 200,
    SalaryPeriod.HOUR: 1_600,
}

# ts_headline marks matches with these private-use characters; the text is escaped, then they
# become <mark> tags. They are removed from the source text first, so no text can forge one.
_OPEN, _CLOSE = "\ue000", "\ue001"
_HEADLINE = (
    f'StartSel="{_OPEN}", StopSel="{_CLOSE}", MaxWords=30, MinWords=12, ShortWord=2, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_TITLE_HEADLINE = f'StartSel="{_OPEN}", StopSel="{_CLOSE}", HighlightAll=true'
_SNIPPET_WORDS = 30
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_WORD = re.compile(r"[^\W\d_]+")


def currency_rates(target: str | None = None) -> dict[str, Decimal]:
    """Units of `target` (default settings.SEARCH_CURRENCY) per unit of each currency."""
    target = (target or settings.SEARCH_CURRENCY).upper()
    if target not in CURRENCY_RATES_EUR:
        raise ValueError(f"no rate for SEARCH_CURRENCY {target!r}; add it to CURRENCY_RATES_EUR")
    base = CURRENCY_RATES_EUR[target]
    return {
        currency: (rate / base).quantize(Decimal("0.00000001"))
        for currency, rate in CURRENCY_RATES_EUR.items()
    }


def salary_yearly(amount: int | None, currency: str, period: str) -> int | None:
    """`amount` per `period` in `currency`, per year in settings.SEARCH_CURRENCY."""
    rate = currency_rates().get((currency or "").upper())
    if amount is None or rate is None or period not in PERIODS_PER_YEAR:
        return None
    return int((Decimal(amount) * rate * PERIODS_PER_YEAR[period]).quantize(Decimal("1")))


# --- Input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSearchFilters:
    """Narrow a search. Several values of one filter mean any of them; skills mean all.

    Salaries are yearly, in settings.SEARCH_CURRENCY: `salary_min` keeps jobs whose range
    reaches it, `salary_max` jobs whose range starts at or below it; either one leaves out jobs
    without a salary.
    """

    city: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    remote: tuple[str, ...] = ()
    employment_type: tuple[str, ...] = ()
    seniority: tuple[str, ...] = ()
    company: tuple[str, ...] = ()  # company slugs
    skills: tuple[str, ...] = ()  # skill slugs, all required
    salary_min: int | None = None
    salary_max: int | None = None
    posted_within_days: int | None = None

    @classmethod
    def from_data(cls, data: JobSearchFilters | Mapping[str, Any] | None) -> JobSearchFilters:
        """Validate filters from a mapping (a form, query parameters, JSON); raise
        ValidationError with a message per field."""
        if isinstance(data, JobSearchFilters):
            data = data.as_dict()
        data = dict(data or {})
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        known = set(cls.__dataclass_fields__)
        for name in sorted(set(data) - known):
            errors[name] = ["Unknown filter."]

        choices = {
            "remote": Job.Remote.values,
            "employment_type": Job.EmploymentType.values,
            "seniority": Seniority.values,
        }
        for name in ("city", "country", "remote", "employment_type", "seniority", "company"):
            items, problem = _strings(data.get(name))
            if problem:
                errors[name] = [problem]
                continue
            if name == "country":
                items = [item.upper() for item in items]
                bad = [item for item in items if not re.fullmatch(r"[A-Z]{2}", item)]
                if bad:
                    errors[name] = [f"Use ISO 3166-1 alpha-2 codes, not {', '.join(bad)}."]
            elif name in choices:
                bad = [item for item in items if item not in choices[name]]
                if bad:
                    errors[name] = [
                        f"Unknown value {', '.join(bad)}; choose from {', '.join(choices[name])}."
                    ]
            elif name == "company":
                bad = [item for item in items if not _SLUG.match(item)]
                if bad:
                    errors[name] = [f"Not a company slug: {', '.join(bad)}."]
            elif any(len(item) > 100 for item in items):
                errors[name] = ["Ensure each value has at most 100 characters."]
            values[name] = tuple(dict.fromkeys(items))

        skills, problem = _strings(data.get("skills"))
        if problem or any(not _SLUG.match(s) for s in skills):
            errors["skills"] = [problem or "Use skill slugs, e.g. python, machine-learning."]
        elif skills:
            known_skills = set(Skill.objects.filter(slug__in=skills).values_list("slug", flat=True))
            unknown = [s for s in skills if s not in known_skills]
            if unknown:
                errors["skills"] = [f"Unknown skill: {', '.join(unknown)}."]
        values["skills"] = tuple(dict.fromkeys(skills))
        if values.get("company") and "company" not in errors:
            found = set(
                Company.objects.filter(slug__in=values["company"]).values_list("slug", flat=True)
            )
            unknown = [slug for slug in values["company"] if slug not in found]
            if unknown:
                errors["company"] = [f"Unknown company: {', '.join(unknown)}."]

        for name, low, high in (
            ("salary_min", 0, 100_000_000),
            ("salary_max", 0, 100_000_000),
            ("posted_within_days", 1, 365),
        ):
            number, problem = _integer(data.get(name), low, high)
            if problem:
                errors[name] = [problem]
            values[name] = number
        if (
            values.get("salary_min") is not None
            and values.get("salary_max") is not None
            and values["salary_min"] > values["salary_max"]
        ):
            errors["salary_max"] = ["Must be at least salary_min."]
        if errors:
            raise ValidationError(errors)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, as plain JSON-ready values."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value in ((), None):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @property
    def is_empty(self) -> bool:
        return not self.as_dict()


def _strings(value: Any) -> tuple[list[str], str | None]:
    if value is None or value == "":
        return [], None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        return [], "Give a string or a list of strings."
    items = []
    for item in value:
        if not isinstance(item, str):
            return [], "Give a string or a list of strings."
        if item.strip():
            items.append(item.strip())
    if len(items) > 50:
        return [], "Give at most 50 values."
    return items, None


def _integer(value: Any, low: int, high: int) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, "Enter a whole number."
    if isinstance(value, str):
        if not re.fullmatch(r"\s*\d+\s*", value):
            return None, "Enter a whole number."
        value = int(value)
    if not isinstance(value, int):
        return None, "Enter a whole number."
    if not low <= value <= high:
        return None, f"Enter a number from {low:,} to {high:,}."
    return value, None


# --- Output --------------------------------------------------------------------------------


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

    @property
    def num_pages(self) -> int:
        reachable = min(self.total, MAX_OFFSET + self.page_size)
        return max(1, math.ceil(reachable / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


# --- The search ----------------------------------------------------------------------------


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
    """Search open jobs. Raise ValidationError (messages per field) for bad input."""
    started = time.perf_counter()
    query, sort, page, page_size, mode = _validate(query, sort, page, page_size, mode)
    search_filters = JobSearchFilters.from_data(filters)
    with transaction.atomic(), connection.cursor() as cursor:
        run = _Search(cursor, query, search_filters, sort, page, page_size, mode, facets)
        # jit costs more than it saves here; seq scans would read every search_vector from
        # TOAST, and plain index scans with an @@ filter do the same row by row: bitmap scans
        # read only what the GIN index already matched. Steps that want an index scan ask.
        run.set(jit="off", enable_seqscan="off")
        result = run.execute()
        run.restore()  # the caller's transaction may go on: leave its settings as they were
    took = (time.perf_counter() - started) * 1000
    return JobSearchResult(**result, took_ms=round(took, 2))


def _validate(query, sort, page, page_size, mode) -> tuple[str, str, int, int, str]:
    errors: dict[str, list[str]] = {}
    if not isinstance(query, str):
        errors["query"] = ["Enter text."]
        query = ""
    query = " ".join(query.replace("\x00", " ").split())
    if len(query) > MAX_QUERY_LENGTH:
        errors["query"] = [f"Ensure the query has at most {MAX_QUERY_LENGTH} characters."]
    if sort not in SORTS:
        errors["sort"] = [f"Choose one of {', '.join(SORTS)}."]
    if mode not in MODES:
        errors["mode"] = [f"Choose one of {', '.join(MODES)}."]
    page_number, problem = _integer(page, 1, MAX_OFFSET)
    if problem or page_number is None:
        errors["page"] = [problem or "Enter a page number."]
    size, problem = _integer(page_size, 1, MAX_PAGE_SIZE)
    if problem or size is None:
        errors["page_size"] = [problem or "Enter a page size."]
    if not errors and (page_number - 1) * size >= MAX_OFFSET:
        errors["page"] = [f"Results stop at {MAX_OFFSET:,}; narrow the search instead."]
    if errors:
        raise ValidationError(errors)
    return query, sort, page_number, size, mode


@dataclass
class _Where:
    """A WHERE clause with its parameters (psycopg `%s` placeholders)."""

    sql: str
    params: list[Any]

    def __and__(self, other: _Where) -> _Where:
        return _Where(f"({self.sql}) AND ({other.sql})", [*self.params, *other.params])


@dataclass(frozen=True)
class _Sample:
    """Text matches among a 1/rate sample of the open jobs."""

    rate: int
    matching: int  # pass every filter
    base: int  # fail at most one filter: the set the facets count
    visited: int  # rows the index yields for the words (before phrases and filters)
    phrase: bool  # the query has a phrase, which each visited row's vector is read to check


@dataclass
class _Candidates:
    """A ranked list of job ids, and where the results after it come from."""

    ids: list[int]
    parts: dict[int, dict[str, float | int | None]]
    # Results after the ranked list: older matches than this, newest first (None: no more).
    older_than: datetime | None
    older_offset_base: int = 0


class _Search:
    def __init__(self, cursor, query, filters, sort, page, page_size, mode, facets):
        self.cursor = cursor
        self.query = query
        self.filters = filters
        self.sort = sort
        self.page = page
        self.page_size = page_size
        self.mode = mode
        self.want_facets = facets
        self.now = timezone.now()
        self.offset = (page - 1) * page_size
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()
        self._samples: dict[str, _Sample] = {}
        self._settings: dict[str, str | None] = {}  # what the search changed, as it was
        self.company_ids: dict[str, int] = {}
        if filters.company:
            self.company_ids = dict(
                Company.objects.filter(slug__in=filters.company).values_list("slug", "id")
            )
        self.base = _Where(
            "j.status = 'open' AND (j.closes_at IS NULL OR j.closes_at > %s)", [self.now]
        )
        # Every filter as an SQL condition (facets and the nearest-neighbour search test rows
        # with these), and the same filters as the index sees them: lexemes for the ones the
        # triggers index, conditions for salary and date.
        self.conditions = self._conditions()
        self.lexemes = self._filter_lexemes()
        self.numeric = self.base
        for name, where in self.conditions:
            if name in ("salary", "posted_within_days"):
                self.numeric = self.numeric & where
        self.all_filters = self._where(None)

    def _lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round((now - self._clock) * 1000, 2)
        self._clock = now

    # -- building blocks --

    def _conditions(self) -> list[tuple[str, _Where]]:
        f = self.filters
        out: list[tuple[str, _Where]] = []
        for name, column in (
            ("city", "city"),
            ("country", "country"),
            ("remote", "remote"),
            ("employment_type", "employment_type"),
            ("seniority", "seniority"),
        ):
            values = getattr(f, name)
            if values:
                out.append((name, _Where(f"j.{column} = ANY(%s)", [list(values)])))
        if f.company:
            out.append(
                ("company", _Where("j.company_id = ANY(%s)", [list(self.company_ids.values())]))
            )
        if f.skills:
            out.append(("skills", _Where("j.skill_slugs @> %s::varchar[]", [list(f.skills)])))
        salary = []
        params: list[Any] = []
        if f.salary_min is not None:
            salary.append("coalesce(j.salary_max_yearly, j.salary_min_yearly) >= %s")
            params.append(f.salary_min)
        if f.salary_max is not None:
            salary.append("coalesce(j.salary_min_yearly, j.salary_max_yearly) <= %s")
            params.append(f.salary_max)
        if salary:
            out.append(("salary", _Where(" AND ".join(salary), params)))
        if f.posted_within_days is not None:
            since = self.now - timedelta(days=f.posted_within_days)
            out.append(("posted_within_days", _Where("j.published_at >= %s", [since])))
        return out

    def _filter_lexemes(self) -> str | None:
        """The categorical filters as a tsquery of the triggers' filter lexemes."""
        f = self.filters
        clauses = []
        for name, prefix in (
            ("city", "city"),
            ("country", "country"),
            ("remote", "remote"),
            ("employment_type", "employment"),
            ("seniority", "seniority"),
        ):
            values = getattr(f, name)
            if values:
                clauses.append(" | ".join(_lexeme(f"{prefix} {v}") for v in values))
        if f.company:
            ids = self.company_ids.values()
            clauses.append(" | ".join(_lexeme(f"company {pk}") for pk in ids) or "'no company'")
        clauses += [_lexeme(f"skill {slug}") for slug in f.skills]
        return " & ".join(f"( {clause} )" for clause in clauses) or None

    def _fetchall(self, sql: str, params: list[Any]) -> list[tuple]:
        self.cursor.execute(sql, params)
        return self.cursor.fetchall()

    def _fetchval(self, sql: str, params: list[Any]):
        self.cursor.execute(sql, params)
        row = self.cursor.fetchone()
        return row[0] if row else None

    def set(self, **values: str) -> None:
        """Set planner settings for the rest of the search (transaction-local)."""
        for name, value in _set_local(self.cursor, values).items():
            self._settings.setdefault(name, value)

    def restore(self) -> None:
        _restore(self.cursor, self._settings)

    def _index_scans(self, on: bool) -> None:
        self.set(enable_indexscan="on" if on else "off", enable_bitmapscan="off" if on else "on")

    @staticmethod
    def _text(tsquery: str, sample: int = 1) -> _Where:
        if sample == 1:
            return _Where("j.search_vector @@ %s::tsquery", [tsquery])
        token = f"'sample 1/{sample}'"
        if not tsquery:
            return _Where("j.search_vector @@ %s::tsquery", [token])
        return _Where("j.search_vector @@ (%s::tsquery && %s::tsquery)", [tsquery, token])

    def _match(self, tsquery: str | None, sample: int = 1) -> _Where:
        """Open jobs matching the text (all of them without text), before filters."""
        if tsquery is None:
            return self.base if sample == 1 else self.base & self._text("", sample)
        return self.base & self._text(tsquery, sample)

    def _tsquery(self, text: str) -> str | None:
        """The tsquery of `text`, or None when it has no words to look for."""
        if not text:
            return None
        value = self._fetchval("SELECT websearch_to_tsquery('english', %s)::text", [text])
        return value or None

    # -- counting --

    def _where(self, tsquery: str | None) -> _Where:
        """Open jobs passing the filters and matching the text: the words and the categorical
        filters are one tsquery, answered by the GIN index alone."""
        parts = [part for part in (tsquery, self.lexemes) if part]
        if not parts:
            return self.numeric
        return self.numeric & self._text(" & ".join(f"( {part} )" for part in parts))

    def _count(self, where: _Where) -> tuple[int, bool]:
        """(count, True) when there are at most COUNT_CAP rows, else (COUNT_CAP + 1, False)."""
        n = self._fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM jobs_job j WHERE {where.sql} LIMIT %s) c",
            [*where.params, COUNT_CAP + 1],
        )
        return n, n <= COUNT_CAP

    def _sample(self, tsquery: str | None) -> _Sample:
        """Count the text matches in the 1/rate sample, which holds about ESTIMATE_SAMPLE
        open jobs or more (rate 1, everything, on small tables)."""
        key = tsquery or ""
        if key not in self._samples:
            open_jobs = self._open_jobs()
            rate = next((r for r in reversed(SAMPLE_RATES) if open_jobs / r >= ESTIMATE_SAMPLE), 1)
            # A phrase is checked against each row's positions (the index cannot), so the
            # rows the index yields for the words alone are what checking a phrase costs.
            loose = _without_phrases(tsquery) if tsquery else None
            phrase = "TRUE"
            phrase_params: list[Any] = []
            if loose != tsquery:
                phrase, phrase_params = "j.search_vector @@ %s::tsquery", [tsquery]
            where = self._match(loose, rate)
            every = " AND ".join(f"({c.sql})" for _, c in self.conditions) or "TRUE"
            failures = " + ".join(f"(NOT ({c.sql}))::int" for _, c in self.conditions) or "0"
            params = [p for _, c in self.conditions for p in c.params]
            row = self._fetchall(
                f"""
                SELECT count(*) FILTER (WHERE {phrase} AND {every}),
                       count(*) FILTER (WHERE {phrase} AND {failures} <= 1),
                       count(*)
                  FROM jobs_job j WHERE {where.sql}
                """,
                [*phrase_params, *params, *phrase_params, *params, *where.params],
            )[0]
            self._samples[key] = _Sample(rate, row[0], row[1], row[2], loose != tsquery)
        return self._samples[key]

    def _total(self, tsquery: str | None, where: _Where) -> tuple[int, bool]:
        """(total, exact). Counted up to COUNT_CAP; beyond, estimated from the sample. Where
        the sample shows the set is large, or the count would check too many phrases, the
        count is not even tried."""
        sample = self._sample(tsquery)
        if sample.rate == 1:
            return sample.matching, True
        estimate = sample.matching * sample.rate
        checks = sample.visited * sample.rate if sample.phrase else 0
        if estimate > 2 * COUNT_CAP or checks > PHRASE_CHECKS:
            return _round_estimate(estimate), False
        n, exact = self._count(where)
        if exact:
            return n, True
        return _round_estimate(max(estimate, n)), False

    def _open_jobs(self) -> int:
        return _open_job_count(self.cursor)

    # -- the run --

    def execute(self) -> dict[str, Any]:
        mode_used = self._resolve_mode()  # an index-only probe, before index scans go off
        self._index_scans(False)
        self._lap("mode")
        query_used = self.query
        did_you_mean = None
        tsquery = self._tsquery(self.query)
        where = self._where(tsquery)
        total, exact = self._total(tsquery, where)
        self._lap("count")
        if tsquery is not None and exact and total < FEW_RESULTS:
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

    def _filters_only(self) -> _Where:
        where = _Where("TRUE", [])
        for _, condition in self.conditions:
            where = where & condition
        return where

    def _resolve_mode(self) -> str:
        if not self.query or self.mode == "fulltext":
            return "fulltext"
        if self.sort != "relevance":
            return "fulltext"  # newest or best paid first: ranking by meaning has no say
        if not _embeddings_exist(self.cursor):
            return "fulltext"
        return "hybrid" if self.mode == "auto" else self.mode

    # -- ranking --

    def _ranked(self, tsquery, where, matches, exact) -> _Candidates:
        if self.sort != "relevance" or tsquery is None:
            return _Candidates(ids=[], parts={}, older_than=None)  # plain order, see _page
        cutoff = None
        window = None
        limit = 2 * RANK_CANDIDATES
        if not exact or matches > limit:
            rate = matches / max(self._open_jobs(), 1)
            window = math.ceil(RANK_CANDIDATES / max(rate, 1e-9))
        rows = None
        for _ in range(2):
            if window is not None and window < self._open_jobs():
                cutoff = _quantiles(self.cursor).cutoff("newest", window)
            else:
                cutoff = None
            in_window = where
            if cutoff is not None:
                in_window = where & _Where("j.published_at >= %s", [cutoff])
            # Score at most `limit`, the newest, should the window hold more (a wrong
            # estimate, or a date filter narrower than the window): the score reads each
            # vector from TOAST, so it is taken in a second step, by ctid.
            rows = self._fetchall(
                f"""
                WITH w AS MATERIALIZED (
                    SELECT j.ctid AS tid, j.id, j.published_at FROM jobs_job j
                     WHERE {in_window.sql}
                     ORDER BY j.published_at DESC, j.id DESC LIMIT %s
                )
                SELECT w.id, w.published_at,
                       ts_rank(%s::float4[], j.search_vector, %s::tsquery, 32)
                  FROM w JOIN jobs_job j ON j.ctid = w.tid
                """,
                [*in_window.params, limit, RANK_WEIGHTS, tsquery],
            )
            if len(rows) == limit:
                cutoff = min(row[1] for row in rows)  # the rest come after, newest first
            # The match rate was an estimate: widen a window that came out far too small.
            if cutoff is None or len(rows) >= RANK_CANDIDATES // 2:
                break
            window *= 4
        scored = []
        for pk, published_at, rank in rows:
            age = max((self.now - published_at).total_seconds() / 86_400, 0.0)
            recency = 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
            score = rank * (1 + RECENCY_BOOST * recency)
            scored.append((score, published_at, pk, rank, recency))
        scored.sort(key=lambda row: (row[0], row[1], row[2]), reverse=True)
        return _Candidates(
            ids=[row[2] for row in scored],
            parts={
                pk: {
                    "text_rank": round(rank, 6),
                    "recency": round(recency, 4),
                    "text_score": round(score, 6),
                    "text_position": i + 1,
                }
                for i, (score, _, pk, rank, recency) in enumerate(scored)
            },
            older_than=cutoff,
        )

    def _semantic(self, text: str, tsquery: str | None) -> list[tuple[int, float, bool]]:
        """Nearest open jobs by meaning: (id, cosine distance, matches the text too)."""
        vector = _query_vector(text)
        literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
        wanted = SEMANTIC_CANDIDATES
        if self.mode == "semantic":  # the neighbours are the results: as many as the page needs
            wanted = min(max(wanted, self.offset + self.page_size), SEMANTIC_MAX_RESULTS)
        # The filters as plain conditions, which the index scan tests on each neighbour.
        filters = self.base & self._filters_only()
        exact_scan = False
        if self.conditions:
            # Few jobs pass the filters: find them through the GIN index and measure each.
            kept = self.all_filters & _Where("j.embedding IS NOT NULL", [])
            n, exact = self._count(kept)
            if exact and n <= SEMANTIC_EXACT_LIMIT:
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
                    "hnsw.ef_search": str(max(HNSW_EF_SEARCH, wanted)),
                    "hnsw.iterative_scan": "relaxed_order",
                    "hnsw.max_scan_tuples": str(HNSW_MAX_SCAN),
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
            """,
            [literal, *match_params, *filters.params, literal, wanted],
        )  # fmt: skip
        if not exact_scan:
            self._index_scans(False)
        return [(pk, d, m) for pk, d, m in rows if d <= SEMANTIC_MAX_DISTANCE]

    # -- the page --

    def _page(
        self, ranked: _Candidates, where: _Where, matches: int, few: bool
    ) -> tuple[list[int], dict]:
        start, stop = self.offset, self.offset + self.page_size
        ids = ranked.ids[start:stop]
        parts = {pk: ranked.parts.get(pk, {}) for pk in ids}
        missing = stop - start - len(ids)
        if missing <= 0 or (ranked.ids and ranked.older_than is None):
            return ids, parts
        # Past the ranked list: the rest of the matches in plain order.
        skip = max(start - len(ranked.ids), 0)
        rest, after = where, 0
        if ranked.older_than is not None:
            # The ranked ids are left out, so ties at the boundary are kept.
            rest = rest & _Where(
                "j.published_at <= %s AND NOT (j.id = ANY(%s))", [ranked.older_than, ranked.ids]
            )
            after = _quantiles(self.cursor).position(ranked.older_than)
        for pk in self._ordered(rest, skip, missing, matches, few, after=after):
            ids.append(pk)
            parts[pk] = {}
        return ids, parts

    def _ordered(
        self, where: _Where, skip: int, count: int, matches: int, few: bool, after: int = 0
    ) -> list[int]:
        """Ids `skip` to `skip + count` of the matches, newest or best paid first.

        Few matches are read through the indexes and sorted. Many are read in a window of
        the order (newest jobs, or best paid) sized from the match rate to hold them, with a
        BitmapAnd of the GIN index and the order's index; a window that holds too few is
        widened. Nothing reads rows one by one down an index, which would read the vector
        of every row it passes to test the words.
        """
        key = "salary" if self.sort == "salary" else "newest"
        if key == "salary":
            column = _SALARY_TOP
            order = f"{_SALARY_TOP} DESC NULLS LAST, j.published_at DESC, j.id DESC"
        else:
            column, order = "j.published_at", "j.published_at DESC, j.id DESC"
        needed = skip + count
        quantiles = _quantiles(self.cursor)
        cutoff = None
        window = None
        if not few:
            rate = max(matches, 1) / max(quantiles.open_jobs, 1)
            window = after + math.ceil(needed / rate * 1.5)
        for attempt in range(4):
            last = attempt == 3 or window is None
            cutoff = None if last else quantiles.cutoff(key, window)
            bounded = where if cutoff is None else where & _Where(f"{column} >= %s", [cutoff])
            rows = self._fetchall(
                f"SELECT j.id FROM jobs_job j WHERE {bounded.sql} ORDER BY {order} LIMIT %s",
                [*bounded.params, needed],
            )
            if cutoff is None or len(rows) == needed:
                break
            window *= 4
        return [pk for (pk,) in rows[skip:]]

    def _hits(self, ids: list[int], parts: dict, tsquery: str | None) -> list[JobHit]:
        if not ids:
            return []
        jobs = Job.objects.select_related("company").defer(
            "search_vector", "embedding", "description_html", "skills_text"
        )
        if tsquery is not None:
            # Highlight the page only; one query with the jobs themselves.
            jobs = jobs.annotate(
                title_marked=RawSQL(
                    "ts_headline('english', translate(jobs_job.title, %s, ''), %s::tsquery, %s)",
                    [_OPEN + _CLOSE, tsquery, _TITLE_HEADLINE],
                ),
                snippet_marked=RawSQL(
                    "ts_headline('english', translate(left(jobs_job.description_text, 5000), "
                    "%s, ''), %s::tsquery, %s)",
                    [_OPEN + _CLOSE, tsquery, _HEADLINE],
                ),
            )
        found = jobs.in_bulk(ids)
        hits = []
        for position, pk in enumerate(ids, start=self.offset + 1):
            job = found.get(pk)
            if job is None:  # closed between the steps
                continue
            title = getattr(job, "title_marked", None)
            snippet = getattr(job, "snippet_marked", None)
            title_html = _mark(title) if title else html.escape(job.title)
            if snippet and _OPEN in snippet:
                snippet_html = _mark(snippet)
            else:  # no match in the text (a semantic result, or no query): its beginning
                snippet_html = html.escape(_first_words(job.description_text))
            score_parts = parts.get(pk, {})
            score = score_parts.get("rrf", score_parts.get("text_score"))
            if score is None and "semantic_distance" in score_parts:
                score = 1 - score_parts["semantic_distance"]
            hits.append(
                JobHit(
                    job=job,
                    position=position,
                    score=float(score or 0.0),
                    score_parts=score_parts,
                    title_html=title_html,
                    snippet_html=snippet_html,
                )
            )
        return hits

    # -- facets --

    def _facets(self, tsquery: str | None) -> dict[str, Facet]:
        # The sample says how large the set is: count all of it when small, else a sample.
        sample = self._sample(tsquery)
        # The work: rows the index yields (cheap to test against the filters, unless a phrase
        # must be checked, which reads the row's vector) and rows counted into the facets.
        visited = sample.visited * (FACET_MAX_ROWS // FACET_PHRASE_CHECKS if sample.phrase else 1)
        work = (visited + sample.base) * sample.rate
        rate = next(
            (r for r in (1, *SAMPLE_RATES) if work / r <= 2 * FACET_MAX_ROWS), SAMPLE_RATES[-1]
        )
        rows = self._facet_rows(tsquery, rate)
        return self._facet_values(rows, rate)

    def _facet_rows(self, tsquery: str | None, rate: int) -> list[tuple]:
        """Facet counts of the matches, on the sample of `rate` (1: all of them).

        Each facet counts with every filter applied but its own, as faceted search expects;
        skills, which must all match, count with every filter. Rows failing two filters count
        nowhere, so only they are left out.
        """
        names = [name for name, _ in self.conditions]
        where = self._match(tsquery, rate)
        flags, flag_params = [], []
        for k, (_, condition) in enumerate(self.conditions):
            flags.append(f"({condition.sql}) AS c{k}")
            flag_params.extend(condition.params)
        if self.conditions:
            failures = " + ".join(f"(NOT ({c.sql}))::int" for _, c in self.conditions)
            where = where & _Where(
                f"({failures}) <= 1", [p for _, c in self.conditions for p in c.params]
            )

        def unless(facet: str) -> str:
            others = [f"c{k}" for k, name in enumerate(names) if name != facet]
            return " AND ".join(others) or "TRUE"

        every = " AND ".join(f"c{k}" for k in range(len(names))) or "TRUE"
        salary_top = "coalesce(j.salary_max_yearly, j.salary_min_yearly)"
        # Posted buckets: edges oldest first; bucket b means newer than the b-th edge.
        edges = [
            (self.now - timedelta(days=days)).timestamp() for days in reversed(POSTED_WITHIN_DAYS)
        ]
        sql = f"""
            WITH m AS MATERIALIZED (
                SELECT j.city, j.country, j.remote, j.employment_type, j.seniority,
                       j.company_id, j.skill_slugs,
                       coalesce(width_bucket({salary_top}, %s::int[]), -1) AS salary,
                       width_bucket(extract(epoch FROM j.published_at)::float8, %s::float8[])
                           AS posted
                       {"".join(", " + flag for flag in flags)}
                  FROM jobs_job j WHERE {where.sql}
            )
            SELECT 'facet',
                   GROUPING(f_city, f_country, f_remote, f_employment, f_seniority, f_company,
                            f_salary, f_posted),
                   f_city, f_country, f_remote, f_employment, f_seniority, f_company::text,
                   f_salary::text, f_posted::text, NULL, count(*), count(*) FILTER (WHERE every)
              FROM (
                SELECT CASE WHEN {unless("city")} THEN city END AS f_city,
                       CASE WHEN {unless("country")} THEN country END AS f_country,
                       CASE WHEN {unless("remote")} THEN remote END AS f_remote,
                       CASE WHEN {unless("employment_type")} THEN employment_type END
                           AS f_employment,
                       CASE WHEN {unless("seniority")} THEN seniority END AS f_seniority,
                       CASE WHEN {unless("company")} THEN company_id END AS f_company,
                       CASE WHEN {unless("salary")} THEN salary END AS f_salary,
                       CASE WHEN {unless("posted_within_days")} THEN posted END AS f_posted,
                       {every} AS every
                  FROM m
              ) keyed
             GROUP BY GROUPING SETS ((f_city), (f_country), (f_remote), (f_employment),
                                     (f_seniority), (f_company), (f_salary), (f_posted), ())
            UNION ALL
            SELECT 'skill', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, count(*),
                   count(*)
              FROM m, unnest(m.skill_slugs) AS s WHERE {every} GROUP BY s
        """
        return self._fetchall(sql, [list(SALARY_AT_LEAST), edges, *flag_params, *where.params])

    def _facet_values(self, rows: list[tuple], rate: int) -> dict[str, Facet]:
        approximate = rate > 1
        counts: dict[str, dict[str, int]] = {
            name: {}
            for name in (
                "city", "country", "remote", "employment_type", "seniority", "company",
                "salary", "posted_within_days", "skills",
            )
        }  # fmt: skip
        # GROUPING() bits, left to right: city, country, remote, employment, seniority, company,
        # salary, posted; a 0 bit is the column the row groups by.
        order = ["city", "country", "remote", "employment_type", "seniority", "company",
                 "salary", "posted_within_days"]  # fmt: skip
        for row in rows:
            if row[0] == "skill":
                counts["skills"][row[10]] = row[12]
                continue
            grouping = row[1]
            for bit, name in enumerate(order):
                if grouping & (1 << (len(order) - 1 - bit)) == 0:
                    value = row[2 + bit]
                    if value is not None:
                        counts[name][value] = row[11]
        return self._labelled(counts, rate, approximate)

    def _labelled(self, counts: dict[str, dict[str, int]], rate: int, approximate: bool):
        f = self.filters

        def scaled(n: int) -> int:
            return _round_estimate(n * rate) if approximate else n

        facets: dict[str, Facet] = {}
        simple = {
            "remote": dict(Job.Remote.choices),
            "employment_type": dict(Job.EmploymentType.choices),
            "seniority": {**dict(Seniority.choices), "": "Not stated"},
        }
        for name in ("city", "country", "remote", "employment_type", "seniority"):
            selected = set(getattr(f, name))
            values = {k: v for k, v in counts[name].items() if k != "" or name == "seniority"}
            labels = simple.get(name, {})
            items = [
                FacetValue(value, labels.get(value, value), scaled(n), value in selected)
                for value, n in values.items()
            ]
            items += [
                FacetValue(value, labels.get(value, value), 0, True)
                for value in selected - set(values)
            ]
            facets[name] = Facet(name, _sorted(items), approximate)

        companies: dict[str, tuple[str, str]] = {}
        skill_names: dict[str, str] = {}
        for kind, key, slug, name in self._fetchall(
            "SELECT 'company', id::text, slug, name FROM accounts_company WHERE id = ANY(%s) "
            "UNION ALL SELECT 'skill', slug, slug, name FROM jobs_skill WHERE slug = ANY(%s)",
            [
                [int(k) for k in counts["company"]] + list(self.company_ids.values()),
                [*counts["skills"], *f.skills],
            ],
        ):
            if kind == "company":
                companies[key] = (slug, name)
            else:
                skill_names[key] = name
        items = [
            FacetValue(companies[k][0], companies[k][1], scaled(n), companies[k][0] in f.company)
            for k, n in counts["company"].items()
            if k in companies
        ]
        shown = {item.value for item in items}
        items += [
            FacetValue(slug, name, 0, True)
            for slug, name in companies.values()
            if slug in f.company and slug not in shown
        ]
        facets["company"] = Facet("company", _sorted(items), approximate)

        items = [
            FacetValue(slug, skill_names.get(slug, slug), scaled(n), slug in f.skills)
            for slug, n in counts["skills"].items()
        ]
        items = _sorted(items)[:SKILL_FACET_SIZE]
        items += [
            FacetValue(slug, skill_names.get(slug, slug), 0, True)
            for slug in f.skills
            if slug not in {item.value for item in items}
        ]
        facets["skills"] = Facet("skills", items, approximate)

        # Salary: bucket k holds tops in [SALARY_AT_LEAST[k-1], SALARY_AT_LEAST[k]); "at least
        # X" counts every bucket from X's up.
        buckets = {int(k): n for k, n in counts["salary"].items()}
        currency = settings.SEARCH_CURRENCY
        items = []
        for k, threshold in enumerate(SALARY_AT_LEAST, start=1):
            n = sum(c for b, c in buckets.items() if b >= k)
            items.append(
                FacetValue(
                    str(threshold),
                    f"{threshold:,} {currency}+ a year",
                    scaled(n),
                    f.salary_min == threshold,
                )
            )
        facets["salary"] = Facet("salary", items, approximate)

        # Posted: edges are oldest first; bucket b (1-based) means newer than edge b.
        buckets = {int(k): n for k, n in counts["posted_within_days"].items()}
        items = []
        for index, days in enumerate(reversed(POSTED_WITHIN_DAYS)):
            n = sum(c for b, c in buckets.items() if b >= index + 1)
            label = "Past 24 hours" if days == 1 else f"Past {days} days"
            items.append(FacetValue(str(days), label, scaled(n), f.posted_within_days == days))
        facets["posted_within_days"] = Facet(
            "posted_within_days", list(reversed(items)), approximate
        )
        return facets


def _sorted(items: list[FacetValue]) -> list[FacetValue]:
    return sorted(items, key=lambda item: (-item.count, item.label.lower()))


def _round_estimate(n: int) -> int:
    """Two significant digits: an estimate should not look more precise than it is."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return round(n / step) * step


def _fuse(ranked: _Candidates, semantic: list[tuple[int, float, bool]]) -> _Candidates:
    """Reciprocal rank fusion of the full-text ranking and the nearest neighbours."""
    scores: dict[int, float] = {}
    parts: dict[int, dict[str, float | int | None]] = {}
    for position, pk in enumerate(ranked.ids, start=1):
        scores[pk] = 1 / (RRF_K + position)
        parts[pk] = dict(ranked.parts.get(pk, {}))
    for position, (pk, distance, _) in enumerate(semantic, start=1):
        scores[pk] = scores.get(pk, 0.0) + 1 / (RRF_K + position)
        parts.setdefault(pk, {})
        parts[pk].update(semantic_distance=round(distance, 4), semantic_position=position)
    ordered = sorted(scores, key=lambda pk: (-scores[pk], pk))
    for pk in ordered:
        parts[pk]["rrf"] = round(scores[pk], 6)
    return _Candidates(ids=ordered, parts=parts, older_than=ranked.older_than)


def _lexeme(text: str) -> str:
    """`text` as one quoted tsquery lexeme."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _without_phrases(tsquery: str) -> str:
    """The tsquery with its phrases loosened to plain AND, which the index answers alone."""
    return re.sub(r"<(?:-|\d+)>", "&", tsquery)


def _mark(text: str) -> str:
    return html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _first_words(text: str) -> str:
    words = text.split()
    snippet = " ".join(words[:_SNIPPET_WORDS])
    return snippet + (" …" if len(words) > _SNIPPET_WORDS else "")


# --- Process-wide caches -------------------------------------------------------------------

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
        for rate in (*reversed(SAMPLE_RATES), 1):
            where = "j.status = 'open'"
            params: list[Any] = []
            if rate > 1:
                where += " AND j.search_vector @@ %s::tsquery"
                params.append(f"'sample 1/{rate}'")
            cursor.execute(
                f"SELECT j.published_at, {_SALARY_TOP} FROM jobs_job j WHERE {where}", params
            )
            rows = cursor.fetchall()
            if len(rows) >= ESTIMATE_SAMPLE:
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


def _set_local(cursor, values: dict[str, str]) -> dict[str, str | None]:
    """Set settings until the end of the transaction; return what they were (None: unset)."""
    names = list(values)
    columns = ["current_setting(%s, true)"] * len(names) + ["set_config(%s, %s, true)"] * len(names)
    params: list[Any] = [*names, *(x for name in names for x in (name, values[name]))]
    cursor.execute("SELECT " + ", ".join(columns), params)
    row = cursor.fetchone()
    return dict(zip(names, row[: len(names)], strict=True))


def _restore(cursor, old: dict[str, str | None]) -> None:
    items = [(name, value) for name, value in old.items() if value is not None]
    if items:
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(items)),
            [x for item in items for x in item],
        )


def _embeddings_exist(cursor) -> bool:
    """Do open jobs have embeddings? (one probe of a partial index)"""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM jobs_job WHERE status = 'open' AND embedding IS NOT NULL)"
    )
    return bool(cursor.fetchone()[0])


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


# --- "Did you mean" ------------------------------------------------------------------------


def correct_query(query: str) -> str | None:
    """`query` with each unknown word replaced by the nearest frequent vocabulary word, or None
    when nothing changes. Quotes, OR and -exclusions are kept as they are."""
    words = []
    for match in _WORD.finditer(query):
        word = match.group().lower()
        before = query[match.start() - 1] if match.start() else " "
        if len(word) < 3 or word == "or" or before == "-":
            continue
        words.append(word)
    if not words:
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        # The % operator (which the trigram index answers) uses this threshold.
        old = _set_local(cursor, {"pg_trgm.similarity_threshold": str(TRIGRAM_THRESHOLD)})
        cursor.execute(
            """
            SELECT w.word, t.word, t.frequency, similarity(w.word, t.word)
              FROM unnest(%s::text[]) AS w(word)
              LEFT JOIN LATERAL (
                    SELECT word, frequency FROM jobs_searchterm
                     WHERE word %% w.word
                     ORDER BY similarity(word, w.word) DESC, frequency DESC
                     LIMIT 8
              ) t ON TRUE
             WHERE length(to_tsvector('english', w.word)) > 0
            """,
            [sorted(set(words))],
        )
        rows = cursor.fetchall()
        _restore(cursor, old)
    candidates: dict[str, list[tuple[str, int, float]]] = {}
    for word, term, frequency, similarity in rows:
        candidates.setdefault(word, [])
        if term is not None:
            candidates[word].append((term, frequency, similarity))
    replacements: dict[str, str] = {}
    for word, options in candidates.items():
        if any(term == word for term, _, _ in options):
            continue  # a known word
        limit = 1 if len(word) <= 4 else 2
        best = None
        for term, frequency, similarity in options:
            distance = _edit_distance(word, term)
            if distance > limit:
                continue
            key = (distance, -frequency, -similarity)
            if best is None or key < best[0]:
                best = (key, term)
        if best is not None:
            replacements[word] = best[1]
    if not replacements:
        return None

    def replace(match: re.Match) -> str:
        word = match.group()
        before = query[match.start() - 1] if match.start() else " "
        if before == "-":
            return word
        return replacements.get(word.lower(), word)

    corrected = _WORD.sub(replace, query)
    return corrected if corrected != query else None


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    neighbours ("pyhton" → "python" is one edit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
