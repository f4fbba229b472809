"""Typo tolerance: "did you mean", from the vocabulary of the open jobs (jobs_searchterm)."""

from __future__ import annotations

import re

from django.db import connection, transaction

from jobs.search import tuning
from jobs.search.sql import _restore, _set_local

_WORD = re.compile(r"[^\W\d_]+")


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
        old = _set_local(cursor, {"pg_trgm.similarity_threshold": str(tuning.TRIGRAM_THRESHOLD)})
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
