"""The open jobs a search matches: its filters as SQL conditions and as the triggers' index
lexemes, its text as a tsquery, and how many match (counted up to COUNT_CAP, else estimated
from a sample)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Company
from jobs.search import tuning
from jobs.search.caches import _open_job_count
from jobs.search.sql import _lexeme, _restore, _set_local, _Where, _without_phrases


@dataclass(frozen=True)
class _Sample:
    """Text matches among a 1/rate sample of the open jobs."""

    rate: int
    matching: int  # pass every filter
    base: int  # fail at most one filter: the set the facets count
    visited: int  # rows the index yields for the words (before phrases and filters)
    phrase: bool  # the query has a phrase, which each visited row's vector is read to check


class _Matches:
    """The state of one search and the steps every part of it builds on."""

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
            f"SELECT count(*) FROM (SELECT 1 FROM jobs_job j WHERE {where.sql} LIMIT %s) c",  # nosec B608 # SQL from fixed parts; values bound
            [*where.params, tuning.COUNT_CAP + 1],
        )
        return n, n <= tuning.COUNT_CAP

    def _sample(self, tsquery: str | None) -> _Sample:
        """Count the text matches in the 1/rate sample, which holds about ESTIMATE_SAMPLE
        open jobs or more (rate 1, everything, on small tables)."""
        key = tsquery or ""
        if key not in self._samples:
            open_jobs = self._open_jobs()
            rate = next(
                (
                    r
                    for r in reversed(tuning.SAMPLE_RATES)
                    if open_jobs / r >= tuning.ESTIMATE_SAMPLE
                ),
                1,
            )
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
                """,  # nosec B608 # SQL from fixed parts; values bound
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
        if estimate > 2 * tuning.COUNT_CAP or checks > tuning.PHRASE_CHECKS:
            return _round_estimate(estimate), False
        n, exact = self._count(where)
        if exact:
            return n, True
        return _round_estimate(max(estimate, n)), False

    def _open_jobs(self) -> int:
        return _open_job_count(self.cursor)

    def _filters_only(self) -> _Where:
        where = _Where("TRUE", [])
        for _, condition in self.conditions:
            where = where & condition
        return where


def _round_estimate(n: int) -> int:
    """Two significant digits: an estimate should not look more precise than it is."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return round(n / step) * step
