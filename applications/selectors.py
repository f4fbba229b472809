"""Reads for applications, scoped by the permission core, and the recruiters' candidate
search."""

from __future__ import annotations

import html
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Membership, Role, User
from accounts.permissions import company_ids_with, has_perm, person_of, scope_queryset
from applications.models import Application, Document, Stage, StageChange
from jobs.models import Job
from jobs.selectors import job_public_list

# --- Who sees which rows within their company ----------------------------------------------
# The one place the back office (admin) and the partner API take their role limits from (see
# `scope_queryset`): a hiring manager sees the applications (and their candidates, history,
# notes, offers and interviews) of the jobs whose hiring team they are on; an interviewer sees
# only the interviews they sit on, and the scorecards of those. Other roles, and API keys
# (which act for the whole company), see every row of their companies.

APPLICATION_ROLE_LIMITS = {Role.HIRING_MANAGER: "job__hiring_team"}
ON_APPLICATION_ROLE_LIMITS = {Role.HIRING_MANAGER: "application__job__hiring_team"}
INTERVIEW_ROLE_LIMITS = {**ON_APPLICATION_ROLE_LIMITS, Role.INTERVIEWER: "interviewers"}
SCORECARD_ROLE_LIMITS = {
    Role.HIRING_MANAGER: "interview__application__job__hiring_team",
    Role.INTERVIEWER: "interview__interviewers",
}


def applications_scoped(user, perm: str, qs: QuerySet[Application] | None = None):
    """Of `qs` (every application by default), those of the companies where `user` has
    `perm`, within the role limits: the scope every application read of the API shares."""
    qs = Application.objects.all() if qs is None else qs
    return scope_queryset(qs, user, perm, "job__company", role_limits=APPLICATION_ROLE_LIMITS)


def _limited_company_ids(user, companies: list[int], limits) -> list[int]:
    """Of `companies`, those where the person `user` holds a role that `limits` narrows."""
    person = person_of(user)
    if person is None or getattr(user, "api_key", None) is not None or not companies:
        return []
    return list(
        Membership.objects.filter(
            user=person, company_id__in=companies, role__in=list(limits)
        ).values_list("company_id", flat=True)
    )


def application_list(*, user: User, filters: dict | None = None) -> QuerySet[Application]:
    """Applications to jobs of the companies where `user` may view applications."""
    qs = applications_scoped(
        user,
        "applications.view",
        Application.objects.select_related("job__company", "candidate", "stage"),
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


# --- The partner API's reads ---------------------------------------------------------------

# The columns an application's API answer reads: a job row carries its description and
# vectors, which a list of twenty applications must not drag along.
APPLICATION_COLUMNS = (
    *(
        f.name
        for f in Application._meta.concrete_fields
        if f.name not in ("cover_letter", "answers")
    ),
    "job__id",
    "job__title",
    "job__company_id",
    "job__status",
    "candidate__id",
    "candidate__email",
    "candidate__full_name",
    "stage__id",
    "stage__name",
    "stage__kind",
    "stage__candidate_label",
)


def application_visible_list(
    *, user, filters: dict | None = None, detail: bool = False
) -> QuerySet[Application]:
    """Applications `user` may read, newest first (by id, which cursor pagination pages on):
    those to jobs of the companies where they may view applications (a hiring manager: of
    the jobs whose hiring team they are on), and a person's own.

    Filters: `job_id`, `stage_id`, `status`, `candidate_id`, `updated_after` (a datetime).
    `detail` also loads the cover letter, the answers and the company's name (an audited
    read names the application as "candidate → job at company").
    """
    if detail:
        columns = (*APPLICATION_COLUMNS, "cover_letter", "answers", "job__company__name")
        qs = Application.objects.select_related("job__company", "candidate", "stage")
    else:
        columns = APPLICATION_COLUMNS
        qs = Application.objects.select_related("job", "candidate", "stage")
    qs = qs.only(*columns)
    person = person_of(user)
    scoped = applications_scoped(user, "applications.view", qs)
    qs = scoped | qs.filter(candidate=person) if person is not None else scoped
    filters = filters or {}
    for name in ("job_id", "stage_id", "status", "candidate_id"):
        if (value := filters.get(name)) is not None:
            qs = qs.filter(**{name: value})
    if (updated_after := filters.get("updated_after")) is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    return qs.order_by("-id")


# An application of the list as a flat row (`values()`): what ApplicationOutput writes.
APPLICATION_ROW = (
    "id", "status", "source", "rating", "rejection_reason", "consent_processing",
    "consent_retention", "stage_entered_at", "created_at", "updated_at",
    "job_id", "job__title", "job__company_id",
    "candidate_id", "candidate__full_name", "candidate__email",
    "stage_id", "stage__name", "stage__kind", "stage__candidate_label",
)  # fmt: skip


def application_list_rows(applications: QuerySet[Application]) -> QuerySet:
    """`applications` (from application_visible_list) as flat rows of APPLICATION_ROW: a page
    of them costs a third less than model instances with their job, candidate and stage."""
    return applications.values(*APPLICATION_ROW)


def application_row(application: Application) -> dict:
    """One application (with its job, candidate and stage loaded) as a row of
    `application_list_rows`."""
    job, candidate, stage = application.job, application.candidate, application.stage
    row = {name: getattr(application, name) for name in APPLICATION_ROW if "__" not in name}
    row.update(
        {
            "job__title": job.title,
            "job__company_id": job.company_id,
            "candidate__full_name": candidate.full_name,
            "candidate__email": candidate.email,
            "stage__name": stage.name,
            "stage__kind": stage.kind,
            "stage__candidate_label": stage.candidate_label,
        }
    )
    return row


def application_job_to_submit(*, user, job_id: int) -> tuple[Job | None, bool]:
    """The job `user` may send an application to, and whether they send it for someone else.

    A member who may create applications in the job's company, or the company's key, names
    any of its jobs (for a candidate); a person signed in names an open job anyone may see
    (for themselves). (None, False) when the job is missing or not one of these.
    """
    company_ids = company_ids_with(user, "applications.create")
    jobs = Job.objects.defer("search_vector", "embedding", "skills_text").select_related("company")
    if company_ids is None or company_ids:
        scoped = jobs if company_ids is None else jobs.filter(company_id__in=company_ids)
        if (job := scoped.filter(pk=job_id).first()) is not None:
            return job, True
    if person_of(user) is not None:
        return job_public_list().filter(pk=job_id).first(), False
    return None, False


def application_stage(*, application: Application, stage_id: int) -> Stage | None:
    """The stage `stage_id` of the application's company's pipeline; None for a missing
    stage and for another company's alike."""
    return Stage.objects.filter(pk=stage_id, company_id=application.job.company_id).first()


def stage_list(*, user) -> QuerySet[Stage]:
    """The pipeline stages of the companies where `user` may view applications."""
    return scope_queryset(Stage.objects.all(), user, "applications.view").order_by(
        "company_id", "position"
    )


def candidate_list(*, user, filters: dict | None = None) -> QuerySet[User]:
    """People who applied to jobs of the companies where `user` may view candidates (a hiring
    manager: to the jobs whose hiring team they are on), newest first, each with
    `scoped_applications`: their applications to those companies (and jobs) only.

    Filters: `email` (any case), `job_id` (applied to that job), `updated_after` (their
    profile, or one of those applications, changed after it).
    """
    applications = applications_scoped(user, "candidates.view")
    applied = applications.filter(candidate=OuterRef("pk"))
    filters = filters or {}
    if (job_id := filters.get("job_id")) is not None:
        applied = applied.filter(job_id=job_id)
    qs = User.objects.filter(Exists(applied))
    if email := filters.get("email"):
        qs = qs.filter(email__iexact=email)
    if (updated_after := filters.get("updated_after")) is not None:
        qs = qs.filter(
            Exists(applied.filter(updated_at__gt=updated_after))
            | Q(candidate_profile__updated_at__gt=updated_after)
        )
    shown = (
        applications.select_related("job", "stage")
        .only(
            "id",
            "candidate_id",
            "status",
            "stage_entered_at",
            "created_at",
            "updated_at",
            "job__id",
            "job__title",
            "job__company_id",
            "stage__id",
            "stage__name",
            "stage__kind",
            "stage__candidate_label",
        )  # fmt: skip
        .order_by("-id")
    )
    return (
        qs.select_related("candidate_profile")
        .defer(
            "password",
            "candidate_profile__embedding",
            "candidate_profile__resume_text",
            "candidate_profile__suggestions",
            "candidate_profile__summary",
        )
        .prefetch_related(Prefetch("applications", queryset=shown, to_attr="scoped_applications"))
        .order_by("-id")
    )


def document_list(*, user, filters: dict | None = None) -> QuerySet[Document]:
    """Documents `user` may read, newest first: a person's own, and those sent with
    applications to the companies where they may download documents (as
    `uploads.document_can_download` decides for one).

    Filters: `application_id`, `kind`, `created_after` (a datetime).
    """
    qs = Document.objects.select_related("application__job").defer("extracted_text", "parsed")
    company_ids = company_ids_with(user, "documents.download")
    person = person_of(user)
    if company_ids == [] and person is None:
        return qs.none()  # a key without the scope: not even a query
    if company_ids is not None:
        visible = Q(application__job__company_id__in=company_ids)
        if person is not None:
            visible |= Q(owner=person)
        qs = qs.filter(visible)
    filters = filters or {}
    if (application_id := filters.get("application_id")) is not None:
        qs = qs.filter(application_id=application_id)
    if kind := filters.get("kind"):
        qs = qs.filter(kind=kind)
    if (created_after := filters.get("created_after")) is not None:
        qs = qs.filter(created_at__gt=created_after)
    return qs.order_by("-id")


def application_for_documents(*, user, application_id: int) -> Application | None:
    """The application `user` may send a document with: a person's own, or one of a company
    where they may create applications (the document is then the candidate's). None when
    missing or neither, alike."""
    application = (
        Application.objects.select_related("job__company", "candidate")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return None
    person = person_of(user)
    if person is not None and application.candidate_id == person.pk:
        return application
    if has_perm(user, "applications.create", application):
        return application
    return None


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
    *,
    user: User,
    query: str,
    job_id: int | None = None,
    limit: int = 50,
    perm: str = "applications.view",
) -> list[CandidateHit]:
    """Full-text search of applicants: their name and profile (headline, skills, summary,
    resume text) and the text of the documents they sent with their applications.

    Only the applicants of jobs of companies where `user` has `perm` (by default, may view
    applications; a hiring manager: of their hiring teams' jobs) are searched, and only documents sent to those companies are read: a
    candidate who applied elsewhere, or never applied, is never found, nor is a resume sent to
    another company.
    """
    query = " ".join((query or "").split())
    errors = {}
    if not query or len(query) > 500:
        errors["query"] = ["Enter between 1 and 500 characters."]
    if not 1 <= limit <= CANDIDATE_SEARCH_LIMIT:
        errors["limit"] = [f"Enter a number from 1 to {CANDIDATE_SEARCH_LIMIT}."]
    if errors:
        raise ValidationError(errors)
    companies = company_ids_with(user, perm)
    if companies == []:
        return []
    scope = ["TRUE"]
    params: list = []
    if companies is not None:
        scope.append("j.company_id = ANY(%s)")
        params.append(companies)
    if limited := _limited_company_ids(user, companies or [], APPLICATION_ROLE_LIMITS):
        # A hiring manager searches the applicants of their hiring teams' jobs only.
        team = Job.hiring_team.through._meta.db_table
        scope.append(
            f"(j.company_id <> ALL(%s) OR j.id IN (SELECT job_id FROM {team} WHERE user_id = %s))"  # nosec B608 # SQL from fixed parts; values bound
        )
        params.extend([limited, user.pk])
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
    """  # nosec B608 # SQL from fixed parts; values bound
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


def applicant_counts_by_stage(*, job_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Active applicants of each job by stage, in the stages' order: one query for a page."""
    rows = (
        Application.objects.filter(job_id__in=job_ids, status=Application.Status.ACTIVE)
        .values_list("job_id", "stage__name", "stage__position")
        .annotate(count=Count("pk"))
        .order_by("job_id", "stage__position")
    )
    counts: dict[int, list[tuple[str, int]]] = {}
    for job_id, stage, _position, count in rows:
        counts.setdefault(job_id, []).append((stage, count))
    return counts
