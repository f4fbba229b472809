"""Ranking by relevance within a bounded candidate set, and the pages past it in plain order
(newest or best paid first), read in bounded windows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from jobs.search import tuning
from jobs.search.caches import _SALARY_TOP, _quantiles
from jobs.search.matches import _Matches
from jobs.search.sql import _Where


@dataclass
class _Candidates:
    """A ranked list of job ids, and where the results after it come from."""

    ids: list[int]
    parts: dict[int, dict[str, float | int | None]]
    # Results after the ranked list: older matches than this, newest first (None: no more).
    older_than: datetime | None
    older_offset_base: int = 0


class _Ranking(_Matches):
    # -- ranking --

    def _ranked(self, tsquery, where, matches, exact) -> _Candidates:
        if self.sort != "relevance" or tsquery is None:
            return _Candidates(ids=[], parts={}, older_than=None)  # plain order, see _page
        cutoff = None
        window = None
        limit = 2 * tuning.RANK_CANDIDATES
        if not exact or matches > limit:
            rate = matches / max(self._open_jobs(), 1)
            window = math.ceil(tuning.RANK_CANDIDATES / max(rate, 1e-9))
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
                """,  # nosec B608 # SQL from fixed parts; values bound
                [*in_window.params, limit, tuning.RANK_WEIGHTS, tsquery],
            )
            if len(rows) == limit:
                cutoff = min(row[1] for row in rows)  # the rest come after, newest first
            # The match rate was an estimate: widen a window that came out far too small.
            if cutoff is None or len(rows) >= tuning.RANK_CANDIDATES // 2:
                break
            window *= 4
        scored = []
        for pk, published_at, rank in rows:
            age = max((self.now - published_at).total_seconds() / 86_400, 0.0)
            recency = 0.5 ** (age / tuning.RECENCY_HALF_LIFE_DAYS)
            score = rank * (1 + tuning.RECENCY_BOOST * recency)
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
                f"SELECT j.id FROM jobs_job j WHERE {bounded.sql} ORDER BY {order} LIMIT %s",  # nosec B608 # SQL from fixed parts; values bound
                [*bounded.params, needed],
            )
            if cutoff is None or len(rows) == needed:
                break
            window *= 4
        return [pk for (pk,) in rows[skip:]]
