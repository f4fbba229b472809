"""The page of results as hits: titles and snippets highlighted with `ts_headline`,
HTML-escaped, with `<mark>` as the only markup."""

from __future__ import annotations

import html

from django.db.models.expressions import RawSQL

from jobs.models import Job
from jobs.search.matches import _Matches
from jobs.search.results import JobHit

# ts_headline marks matches with these private-use characters; the text is escaped, then they
# become <mark> tags. They are removed from the source text first, so no text can forge one.
_OPEN, _CLOSE = "\ue000", "\ue001"
_HEADLINE = (
    f'StartSel="{_OPEN}", StopSel="{_CLOSE}", MaxWords=30, MinWords=12, ShortWord=2, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_TITLE_HEADLINE = f'StartSel="{_OPEN}", StopSel="{_CLOSE}", HighlightAll=true'
_SNIPPET_WORDS = 30


class _Highlighting(_Matches):
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


def _mark(text: str) -> str:
    return html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _first_words(text: str) -> str:
    words = text.split()
    snippet = " ".join(words[:_SNIPPET_WORDS])
    return snippet + (" …" if len(words) > _SNIPPET_WORDS else "")
