"""Reads for matching: the features of jobs and profiles, and their nearest neighbours.

Nearest neighbours are the database's job: pgvector's HNSW index on cosine distance, searched
with `hnsw.ef_search` set for the transaction and an iterative scan, so a filter (open jobs,
active candidates) still yields a full shortlist. `exact=True` scans every row instead (the
reference the benchmark measures recall against).

The match stage, which shortlists jobs for many candidates at once, can instead rank every open
job's vector in memory (`jobs_nearest_exact_many`): one matrix product per batch, exact, and
the database measures only the few jobs near each cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from pgvector.django import CosineDistance

from accounts.models import CandidateProfile, RemotePreference, User
from accounts.permissions import company_ids_with
from jobs.models import Job, JobSkill, Skill
from pipeline.matching.features import FEATURES_VERSION, job_features, profile_features
from pipeline.matching.skills import lexicon_matcher
from pipeline.models import JobEnrichment, Match, ProfileEnrichment
from pipeline.normalize import html_to_text

# How far under the `limit`-th best similarity computed in memory (float32) a job may be and still
# be measured by the database: the two computations differ by under 1e-5.
PRESELECT_MARGIN = 1e-3
# Job vectors read (and converted to float32) at a time.
VECTOR_CHUNK = 2000


def lexicon_key(name: str) -> str:
    """The matcher's key for a taxonomy skill's name ("Postgres" → "postgresql")."""
    lexicon = lexicon_matcher()
    index = lexicon.lookup(name)
    return lexicon.skills[index].slug if index is not None else name.strip().lower()


def job_text(job: Job) -> str:
    if job.description_text or not job.description_html:
        return job.description_text
    return html_to_text(job.description_html)


def job_features_of(
    job: Job, *, skills: Iterable[JobSkill] | None = None, declared: bool | None = None
) -> dict:
    """A job's features from its fields and text (what enrichment stores).

    Its JobSkill rows count as requirements only when `declared` (default: a tenant's job),
    i.e. a recruiter chose them; rows found in the text by the taxonomy (a scraped job's, or
    those enrichment wrote) add nothing to what the text already says.
    """
    if declared is None:
        declared = job.company.is_tenant
    rows = []
    if declared:
        rows = list(skills) if skills is not None else list(job.job_skills.select_related("skill"))
    salary = None
    if job.salary_currency:
        salary = {
            "min": job.salary_min,
            "max": job.salary_max,
            "currency": job.salary_currency,
            "period": job.salary_period,
        }
    return job_features(
        title=job.title,
        text=job_text(job),
        city=job.city,
        region=job.region,
        country=job.country,
        remote=job.remote,
        seniority=job.seniority,
        salary=salary,
        declared_skills=[(lexicon_key(row.skill.name), row.required) for row in rows],
    )


def profile_text(profile: CandidateProfile) -> str:
    return "\n".join(part for part in (profile.summary, profile.resume_text) if part)


def profile_features_of(
    profile: CandidateProfile, *, skill_names: Mapping[str, str] | None = None
) -> dict:
    """A profile's features from its fields and resume (what enrichment stores). Fields the
    candidate confirmed win over the text. `skill_names` maps skill slugs to names (looked up
    when not given)."""
    confirmed = set(profile.confirmed_fields)
    names = skill_names
    if names is None:
        names = {}
        if profile.skills:
            names = dict(Skill.objects.filter(slug__in=profile.skills).values_list("slug", "name"))
    skills = [lexicon_key(names.get(slug, slug)) for slug in profile.skills]
    remote = profile.remote_preference
    features = profile_features(
        headline=profile.headline,
        text=profile_text(profile),
        current_title=profile.current_title,
        title_confirmed="current_title" in confirmed,
        city=profile.city,
        region=profile.region,
        country=profile.country,
        remote_preference=remote if remote != RemotePreference.ANY else "",
        seniority=profile.seniority if "seniority" in confirmed else "",
        years_experience=profile.years_experience if "years_experience" in confirmed else None,
        skills=skills,
        confirmed_skills=skills if "skills" in confirmed else (),
    )
    if profile.desired_salary_min and profile.desired_salary_currency:
        features["desired_salary"] = {
            "min": profile.desired_salary_min,
            "currency": profile.desired_salary_currency,
            "period": profile.desired_salary_period,
        }
    return features


def job_features_many(ids: Iterable[int]) -> dict[int, dict]:
    """Stored features by job id; jobs never enriched (or by an older reader) are read now."""
    ids = list(ids)
    found = {
        pk: features
        for pk, features in JobEnrichment.objects.filter(job_id__in=ids).values_list(
            "job_id", "features"
        )
        if features.get("version") == FEATURES_VERSION
    }
    missing = [pk for pk in ids if pk not in found]
    if missing:
        rows = Job.objects.filter(pk__in=missing).select_related("company")
        for job in rows.prefetch_related("job_skills__skill"):
            found[job.pk] = job_features_of(job, skills=job.job_skills.all())
    return found


def profile_features_many(ids: Iterable[int]) -> dict[int, dict]:
    """Stored features by profile id; profiles never enriched are read now."""
    ids = list(ids)
    found = {
        pk: features
        for pk, features in ProfileEnrichment.objects.filter(profile_id__in=ids).values_list(
            "profile_id", "features"
        )
        if features.get("version") == FEATURES_VERSION
    }
    missing = [pk for pk in ids if pk not in found]
    for profile in CandidateProfile.objects.filter(pk__in=missing):
        found[profile.pk] = profile_features_of(profile)
    return found


def open_jobs() -> QuerySet[Job]:
    return Job.objects.filter(status=Job.Status.OPEN)


def open_job_ids_among(ids: list[int]) -> set[int]:
    """Which of `ids` are open jobs: one array parameter, not one per id (200 ids in half the
    time of `open_jobs().filter(pk__in=ids)`), answered from the partial index of open ids.

    The array goes as one text literal: adapting a list of 200 ints cost psycopg 0.4 ms, a
    third of the query."""
    if not ids:
        return set()
    literal = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM jobs_job WHERE id = ANY(%s::bigint[]) AND status = %s",
            [literal, Job.Status.OPEN],
        )
        return {pk for (pk,) in cursor.fetchall()}


def active_profiles() -> QuerySet[CandidateProfile]:
    return CandidateProfile.objects.filter(user__is_active=True)


@contextmanager
def _search_settings(*, limit: int, exact: bool = False) -> Iterator[None]:
    """A transaction whose nearest-neighbour searches find `limit` rows through the index (or,
    `exact`, by scanning every row)."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Settings for this transaction only: other searches keep their own.
        if exact:
            cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")
        else:
            ef_search = max(settings.MATCH_EF_SEARCH, limit)
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true)",
                [str(ef_search)],
            )
        yield
        if exact:  # an outer transaction (a test, an evaluation) goes on with index scans
            cursor.execute("SELECT set_config('enable_indexscan', 'on', true)")


def _nearest_rows(queryset: QuerySet, vector, *, limit: int, also: str | None = None) -> list:
    fields = ("pk", "distance", also) if also else ("pk", "distance")
    rows = list(
        queryset.filter(embedding__isnull=False)
        .annotate(distance=CosineDistance("embedding", vector))
        .order_by("distance")
        .values_list(*fields)[:limit]
    )
    rows.sort(key=lambda row: row[1])  # an iterative scan returns them nearly in order
    return [(row[0], 1.0 - row[1], *row[2:]) for row in rows]


def _nearest(
    queryset: QuerySet, vector, *, limit: int, exact: bool = False, also: str | None = None
) -> list[tuple]:
    """(pk, cosine similarity) of the `limit` rows of `queryset` nearest to `vector`, with
    the value of the related field `also` as a third item when given (in the same query)."""
    with _search_settings(limit=limit, exact=exact):
        rows = _nearest_rows(queryset, vector, limit=limit, also=also)
    if len(rows) < limit and not exact:
        # The index gave fewer than asked: either fewer rows qualify, or its scan stopped at
        # hnsw.max_scan_tuples among entries of deleted rows or rows the filter drops. Only an
        # exact scan tells which; it reads the table once, which small sets (tests, new sites)
        # afford and large ones rarely need.
        with _search_settings(limit=limit, exact=True):
            rows = _nearest_rows(queryset, vector, limit=limit, also=also)
    return rows


def jobs_nearest(vector, *, limit: int, exact: bool = False) -> list[tuple[int, float]]:
    """Open jobs nearest to a candidate's vector."""
    return _nearest(open_jobs(), vector, limit=limit, exact=exact)


def jobs_nearest_many(
    vectors: Mapping[int, Any], *, limit: int
) -> dict[int, list[tuple[int, float]]]:
    """Open jobs nearest to each of several vectors (by the same key), in one transaction:
    what `jobs_nearest` finds for each, without its per-search setup."""
    with _search_settings(limit=limit):
        return {
            key: _nearest_rows(open_jobs(), vector, limit=limit) for key, vector in vectors.items()
        }


def open_job_vectors() -> tuple[np.ndarray, np.ndarray]:
    """The ids of the open jobs that have a vector, and their vectors scaled to length 1 (the
    rows of one float32 matrix, in the same order: 1.5 kB a job)."""
    ids, matrix, _ = open_job_vectors_read(with_features=False)
    return ids, matrix


def open_job_vectors_read(*, with_features: bool) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """`open_job_vectors`, and with `with_features` each job's stored features as JSON text
    (job id → text; read as text, so the copy holds one string a job, not a dict tree)."""
    ids: list[int] = []
    chunks: list[np.ndarray] = []
    rows: list[list[float]] = []
    features: dict[int, str] = {}
    queryset = open_jobs().filter(embedding__isnull=False).order_by("pk")
    if with_features:
        queryset = queryset.annotate(features_text=Cast("enrichment__features", TextField()))
        values = queryset.values_list("pk", "embedding", "features_text")
    else:
        values = queryset.values_list("pk", "embedding", Value(None, output_field=TextField()))
    for pk, vector, text in values.iterator(chunk_size=VECTOR_CHUNK):
        ids.append(pk)
        rows.append(vector)
        if text is not None:
            features[pk] = text
        if len(rows) == VECTOR_CHUNK:  # as float32 a chunk at a time: Python floats take 8x
            chunks.append(np.asarray(rows, dtype=np.float32))
            rows = []
    if rows:
        chunks.append(np.asarray(rows, dtype=np.float32))
    if not chunks:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32), features
    return np.asarray(ids, dtype=np.int64), _unit_rows(np.concatenate(chunks)), features


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """`matrix` (float32) with its rows scaled to length 1, in place."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = np.inf  # a zero vector is near nothing
    matrix /= norms
    return matrix


def jobs_nearest_exact_many(
    vectors: Mapping[int, Any], *, limit: int, jobs: tuple[np.ndarray, np.ndarray]
) -> dict[int, list[tuple[int, float]]]:
    """For each candidate profile of `vectors` (its id → its stored vector), the `limit` open
    jobs nearest to it, exactly (as a full scan finds them, ties by job id), given `jobs`
    from `open_job_vectors`.

    One matrix product ranks every job for every profile; the database then measures, in one
    query, only the jobs that can be among the `limit` nearest (float32 products differ from
    its distances by far less than PRESELECT_MARGIN), so shortlists and similarities are its
    own.
    """
    ids, matrix = jobs
    keys = list(vectors)
    if not keys or not len(ids):
        return {key: [] for key in keys}
    queries = _unit_rows(np.asarray([vectors[key] for key in keys], dtype=np.float32))
    profile_ids: list[int] = []
    job_ids: list[int] = []
    for key, row in zip(keys, queries @ matrix.T, strict=True):
        kept = ids
        if len(ids) > limit:
            kth = np.partition(row, len(ids) - limit)[len(ids) - limit]
            kept = ids[row >= kth - PRESELECT_MARGIN]
        profile_ids += [key] * len(kept)
        job_ids += kept.tolist()
    measured: dict[int, list[tuple[float, int]]] = {key: [] for key in keys}
    for profile_id, job_id, distance in _profile_job_distances(profile_ids, job_ids):
        measured[profile_id].append((distance, job_id))
    return {
        key: [(job_id, 1.0 - distance) for distance, job_id in sorted(rows)[:limit]]
        for key, rows in measured.items()
    }


def _profile_job_distances(
    profile_ids: list[int], job_ids: list[int]
) -> list[tuple[int, int, float]]:
    """(profile id, job id, cosine distance) of each pair whose job is open, in one query: the
    ORM cannot join a list of pairs."""
    query = f"""
        SELECT pair.profile_id, job.id, job.embedding <=> profile.embedding
        FROM unnest(%s::bigint[], %s::bigint[]) AS pair (profile_id, job_id)
        JOIN {CandidateProfile._meta.db_table} profile ON profile.id = pair.profile_id
        JOIN {Job._meta.db_table} job ON job.id = pair.job_id
        WHERE job.status = %s AND job.embedding IS NOT NULL AND profile.embedding IS NOT NULL
    """  # table names from the models; values are bound  # nosec B608 # SQL from fixed parts; values bound
    # The id lists go as array literals: binding them item by item costs more than the query.
    arrays = ["{" + ",".join(map(str, ids)) + "}" for ids in (profile_ids, job_ids)]
    with connection.cursor() as cursor:
        cursor.execute(query, [*arrays, Job.Status.OPEN])
        return cursor.fetchall()


def jobs_nearest_with_features(
    vector, *, limit: int, exact: bool = False
) -> list[tuple[int, float, dict]]:
    """Open jobs nearest to a candidate's vector with their features, in one query (jobs not
    enriched yet, or by an older reader, are read now)."""
    rows = _nearest(open_jobs(), vector, limit=limit, exact=exact, also="enrichment__features")
    stale = [pk for pk, _, features in rows if (features or {}).get("version") != FEATURES_VERSION]
    fresh = job_features_many(stale) if stale else {}
    return [(pk, similarity, fresh.get(pk, features)) for pk, similarity, features in rows]


def profiles_nearest(
    vector, *, limit: int, exact: bool = False, profiles: QuerySet | None = None
) -> list[tuple[int, float]]:
    """Active candidates (or those of `profiles`) nearest to a job's vector."""
    queryset = profiles if profiles is not None else active_profiles()
    return _nearest(queryset, vector, limit=limit, exact=exact)


def similarities(vector, queryset: QuerySet) -> dict[int, float]:
    """Cosine similarity of `vector` to every row of `queryset` that has a vector."""
    if vector is None:
        return {}
    rows = (
        queryset.filter(embedding__isnull=False)
        .annotate(distance=CosineDistance("embedding", vector))
        .values_list("pk", "distance")
    )
    return {pk: 1.0 - distance for pk, distance in rows}


def jobs_changed_since(since: datetime) -> QuerySet[Job]:
    """Jobs edited, re-read or re-embedded since `since` (any status: a closed one's matches
    go stale)."""
    return Job.objects.filter(Q(updated_at__gte=since) | Q(enrichment__enriched_at__gte=since))


def profiles_changed_since(since: datetime) -> QuerySet[CandidateProfile]:
    return CandidateProfile.objects.filter(
        Q(updated_at__gte=since) | Q(enrichment__enriched_at__gte=since)
    )


# --- Matches, as the partner API lists them ------------------------------------------------------


def _match_filters(matches: QuerySet[Match], filters: Mapping[str, Any]) -> QuerySet[Match]:
    if (min_score := filters.get("min_score")) is not None:
        matches = matches.filter(score__gte=min_score)
    if status := filters.get("status"):
        matches = matches.filter(status=status)
    if (updated_after := filters.get("updated_after")) is not None:
        matches = matches.filter(updated_at__gt=updated_after)
    if (created_after := filters.get("created_after")) is not None:
        matches = matches.filter(created_at__gt=created_after)
    return matches


def match_jobs(*, user: User) -> QuerySet[Job]:
    """Jobs whose matches `user` may look up: those of the companies where they may view jobs
    or matches (whether they may see the matches is the caller's object check)."""
    companies = [company_ids_with(user, perm) for perm in ("jobs.view", "matches.view")]
    if None in companies:  # a superuser
        return Job.objects.all()
    return Job.objects.filter(company_id__in=sorted(set(companies[0]) | set(companies[1])))


def job_matches(*, job: Job, filters: Mapping[str, Any] | None = None) -> QuerySet[Match]:
    """The current (not stale) matches of `job` with active candidates, best first, with each
    candidate's profile and user in the same query. The caller checked who may see them."""
    matches = Match.objects.filter(job=job, stale_at__isnull=True, candidate__user__is_active=True)
    matches = matches.select_related("candidate__user").order_by("-score", "-id")
    return _match_filters(matches, filters or {})


def candidate_matches(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Match]:
    """The current matches of `user`'s candidate profile on open jobs, best first, with each
    job and its company in the same query (none when `user` has no profile)."""
    matches = Match.objects.filter(
        candidate__user=user, stale_at__isnull=True, job__status=Job.Status.OPEN
    )
    matches = matches.select_related("job__company").order_by("-score", "-id")
    return _match_filters(matches, filters or {})
