"""Reads for applications, scoped by the permission core, and the recruiters' candidate
search."""

from __future__ import annotations

import html
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet

from accounts.models import User
from accounts.permissions import company_ids_with, scope_queryset
from applications.models import Application, StageChange


def application_list(*, user: User, filters: dict | None = None) -> QuerySet[Application]:
    """Applications to jobs of the companies where `user` may view applications."""
    qs = scope_queryset(
        Application.objects.select_related("job__company", "candidate", "stage"),
        user,
        "applications.view",
        company_field="job__company",
    )
    filters = filters or {}
    if job_id := filters.get("job_id"):
        qs = qs.filter(job_id=job_id)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if stage_id := filters.get("stage_id"):
        qs = qs.filter(stage_id=stage_id)
    return qs.order_by("-created_at", "-id")


def candidate_application_list(*, candidate: User) -> QuerySet[Application]:
    """A candidate's own applications."""
    return (
        Application.objects.filter(candidate=candidate)
        .select_related("job__company", "stage")
        .order_by("-created_at")
    )


def stage_history(*, application: Application) -> QuerySet[StageChange]:
    return application.stage_changes.select_related("from_stage", "to_stage", "actor").order_by(
        "created_at", "id"
    )


# --- Candidate search (recruiters) ---------------------------------------------------------

CANDIDATE_SEARCH_LIMIT = 100
_OPEN, _CLOSE = "\ue000", "\ue001"  # ts_headline's marks, turned into <mark> after escaping
_HEADLINE = (
    f'StartSel="{_OPEN}", StopSel="{_CLOSE}", MaxWords=35, MinWords=15, ShortWord=2, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)


@dataclass(frozen=True)
class CandidateHit:
    candidate: User
    score: float
    snippet_html: str  # escaped, with <mark> around matched words
    applications: list[Application]  # to jobs of the companies the searcher may see


def candidate_search(
    *, user: User, query: str, job_id: int | None = None, limit: int = 50
) -> list[CandidateHit]:
    """Full-text search of applicants: their name and profile (headline, skills, summary,
    resume text) and the text of the documents they sent with their applications.

    Only the applicants of jobs of companies where `user` may view applications are searched,
    and only documents sent to those companies are read: a candidate who applied elsewhere, or
    never applied, is never found, nor is a resume sent to another company.
    """
    query = " ".join((query or "").split())
    errors = {}
    if not query or len(query) > 500:
        errors["query"] = ["Enter between 1 and 500 characters."]
    if not 1 <= limit <= CANDIDATE_SEARCH_LIMIT:
        errors["limit"] = [f"Enter a number from 1 to {CANDIDATE_SEARCH_LIMIT}."]
    if errors:
        raise ValidationError(errors)
    companies = company_ids_with(user, "applications.view")
    if companies == []:
        return []
    scope = ["TRUE"]
    params: list = []
    if companies is not None:
        scope.append("j.company_id = ANY(%s)")
        params.append(companies)
    if job_id is not None:
        scope.append("a.job_id = %s")
        params.append(job_id)
    where = " AND ".join(scope)
    # Vectors are made on the fly: the applicants of one company are few, and profiles and
    # documents are written by other services that keep no vector yet.
    sql = f"""
        WITH applicants AS (
            SELECT a.candidate_id, array_agg(a.id ORDER BY a.id) AS application_ids
              FROM applications_application a JOIN jobs_job j ON j.id = a.job_id
             WHERE {where}
             GROUP BY a.candidate_id
        ), documents AS (
            SELECT d.owner_id, string_agg(d.extracted_text, E'\\n\\n' ORDER BY d.id) AS text
              FROM applications_document d
              JOIN applications_application a ON a.id = d.application_id
              JOIN jobs_job j ON j.id = a.job_id
             WHERE {where} AND d.extracted_text <> ''
               AND d.owner_id = a.candidate_id
             GROUP BY d.owner_id
        ), texts AS (
            SELECT ap.candidate_id, ap.application_ids,
                   concat_ws(' ', u.full_name, p.headline) AS head,
                   coalesce(array_to_string(p.skills, ' '), '') AS skills,
                   coalesce(p.summary, '') AS summary,
                   left(concat_ws(E'\\n\\n', nullif(p.resume_text, ''), d.text), 100000) AS body
              FROM applicants ap
              JOIN accounts_user u ON u.id = ap.candidate_id
              LEFT JOIN accounts_candidateprofile p ON p.user_id = ap.candidate_id
              LEFT JOIN documents d ON d.owner_id = ap.candidate_id
        ), vectors AS MATERIALIZED (
            SELECT t.*,
                   setweight(to_tsvector('english', t.head), 'A')
                || setweight(to_tsvector('english', t.skills), 'B')
                || setweight(to_tsvector('english', t.summary), 'C')
                || setweight(to_tsvector('english', t.body), 'D') AS vector
              FROM texts t
        ), ranked AS (
            SELECT v.candidate_id, v.application_ids, v.head, v.summary, v.body,
                   ts_rank(v.vector, q, 32) AS rank
              FROM vectors v, websearch_to_tsquery('english', %s) AS q
             WHERE v.vector @@ q
             ORDER BY rank DESC, v.candidate_id
             LIMIT %s
        )
        SELECT r.candidate_id, r.application_ids, r.rank,
               ts_headline('english',
                           translate(concat_ws(' … ', r.head, nullif(r.summary, ''), r.body),
                                     %s, ''),
                           websearch_to_tsquery('english', %s), %s)
          FROM ranked r
         ORDER BY r.rank DESC, r.candidate_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params, query, limit, _OPEN + _CLOSE, query, _HEADLINE])
        rows = cursor.fetchall()
    if not rows:
        return []
    users = User.objects.select_related("candidate_profile").in_bulk([r[0] for r in rows])
    applications = Application.objects.select_related("job__company", "stage").in_bulk(
        [pk for r in rows for pk in r[1]]
    )
    hits = []
    for candidate_id, application_ids, rank, headline in rows:
        snippet = html.escape(headline or "").replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
        hits.append(
            CandidateHit(
                candidate=users[candidate_id],
                score=float(rank),
                snippet_html=snippet,
                applications=[applications[pk] for pk in application_ids],
            )
        )
    return hits
