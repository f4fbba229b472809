"""Matching: candidates for jobs and jobs for candidates, and the match stage that keeps the
Match rows.

A match is found in two steps: the nearest neighbours by meaning (pgvector HNSW on cosine
distance, `MATCH_SHORTLIST` of them), then the re-rank of `scoring.pair_score` on roles,
skills, seniority, place and conditions. Deal-breakers are filtered out; the best
`MATCH_TOP_N` per candidate at or above `MATCH_MIN_SCORE` are kept as Match rows.

The match stage refreshes candidates a batch at a time (one transaction, a few queries each),
reads each job's features once per run and, when it refreshes many candidates, ranks their
shortlists in memory against every open job's vector (exact, as a full scan).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import CandidateProfile, User
from accounts.permissions import require_perm
from accounts.services import audit_record
from jobs.models import Job
from pipeline.matching.scoring import PairScore, ShortlistScorer, pair_score
from pipeline.matching.selectors import (
    active_profiles,
    job_features_many,
    jobs_changed_since,
    jobs_nearest_exact_many,
    jobs_nearest_many,
    jobs_nearest_with_features,
    open_job_vectors,
    open_jobs,
    profile_features_many,
    profiles_changed_since,
    profiles_nearest,
    similarities,
)
from pipeline.matching.vectors import Shortlist, jobs_shortlist_in_memory
from pipeline.models import Match
from pipeline.runs import RunProgress

logger = logging.getLogger(__name__)

# Candidates refreshed per transaction of the match stage: their shortlists are searched, and
# their Match rows read and written, a batch at a time.
CANDIDATE_BATCH = 100
# A run ranks shortlists in memory, against every open job's vector, when it refreshes at least
# one candidate per IN_MEMORY_RATIO open jobs: reading a job's vector (~0.15 ms) costs about a
# twentieth of what ranking in memory instead of searching the database saves a candidate.
IN_MEMORY_RATIO = 20
# Job features a run keeps in memory (about 4 kB each) for the next batches' shortlists.
JOB_FEATURES_CACHED = 20_000
# Candidates whose matches one query ranks to keep the best MATCH_TOP_N.
TRIM_BATCH = 2000


@dataclass(frozen=True)
class MatchResult:
    """One scored (candidate, job) pair; not saved."""

    candidate_id: int
    job_id: int
    score: float
    feasible: bool
    parts: dict
    explanation: dict

    @classmethod
    def of(cls, candidate_id: int, job_id: int, scored: PairScore) -> MatchResult:
        return cls(
            candidate_id, job_id, scored.score, scored.feasible, scored.parts, scored.explanation
        )


def _best(
    scored: Iterable[tuple[float, bool, int, int, Any]],
    *,
    limit: int | None,
    include_infeasible: bool,
    min_score: float | None,
) -> list[tuple[int, int, Any]]:
    """(job id, candidate id, what came with it) of the pairs to explain, from (score,
    feasible, job id, candidate id, anything) rows: the feasible ones best first, then, if
    asked, the infeasible ones best first (ties by job id, then candidate id)."""
    kept = []
    for score, feasible, job_id, candidate_id, payload in scored:
        if not feasible and not include_infeasible:
            continue
        if feasible and min_score is not None and score < min_score:
            continue
        kept.append((not feasible, -score, job_id, candidate_id, payload))
    kept.sort(key=lambda row: row[:4])
    if limit is not None:
        kept = kept[:limit]
    return [(job_id, candidate_id, payload) for _, _, job_id, candidate_id, payload in kept]


def _ranked(
    pairs: list[tuple[int, int, dict, dict, float | None]],
    *,
    limit: int | None,
    include_infeasible: bool,
    min_score: float | None,
) -> list[MatchResult]:
    """Score (candidate id, job id, job features, profile features, similarity) pairs and
    return the feasible ones best first (then, if asked, the infeasible ones, best first).
    Everything is ranked on its score alone; only what is returned is explained."""
    weights = settings.MATCH_WEIGHTS

    def scored() -> Iterator[tuple[float, bool, int, int, tuple]]:
        for candidate_id, job_id, job, profile, similarity in pairs:
            quick = pair_score(job, profile, similarity=similarity, weights=weights, explain=False)
            yield quick.score, quick.feasible, job_id, candidate_id, (job, profile, similarity)

    best = _best(scored(), limit=limit, include_infeasible=include_infeasible, min_score=min_score)
    return [
        MatchResult.of(
            candidate_id,
            job_id,
            pair_score(job, profile, similarity=similarity, weights=weights),
        )
        for job_id, candidate_id, (job, profile, similarity) in best
    ]


def _ranked_shortlist(
    profile: CandidateProfile,
    shortlist: Shortlist,
    *,
    limit: int | None,
    include_infeasible: bool,
    min_score: float | None,
) -> list[MatchResult]:
    """`_ranked` for one candidate over a shortlist from the in-memory copy: the jobs are
    ranked on their parts (`ShortlistScorer`, the same scores as `pair_score`), and only
    those returned have their whole features read and explained."""
    weights = settings.MATCH_WEIGHTS
    candidate = profile_features_many([profile.pk])[profile.pk]
    scorer = ShortlistScorer(candidate, shortlist.parts, weights)
    whole = shortlist.features([job_id for job_id, _, parts in shortlist.jobs if parts is None])

    def scored() -> Iterator[tuple[float, bool, int, int, float]]:
        for job_id, similarity, parts in shortlist.jobs:
            if parts is None:
                if job_id not in whole:
                    continue  # deleted since the open check
                quick = pair_score(
                    whole[job_id], candidate, similarity=similarity, weights=weights,
                    explain=False,
                )  # fmt: skip
                yield quick.score, quick.feasible, job_id, profile.pk, similarity
            else:
                yield *scorer.score(parts, similarity), job_id, profile.pk, similarity

    best = _best(scored(), limit=limit, include_infeasible=include_infeasible, min_score=min_score)
    features = shortlist.features([job_id for job_id, _, _ in best])
    return [
        MatchResult.of(
            profile.pk,
            job_id,
            pair_score(features[job_id], candidate, similarity=similarity, weights=weights),
        )
        for job_id, _, similarity in best
        if job_id in features  # not if deleted since the open check
    ]


def matches_for_candidate(
    *,
    profile: CandidateProfile,
    limit: int | None = None,
    shortlist: int | None = None,
    min_score: float | None = None,
    include_infeasible: bool = False,
    exact: bool = False,
) -> list[MatchResult]:
    """The best open jobs for a candidate, best first (computed, nothing saved).

    The candidate needs a vector: the shortlist is the `shortlist` (MATCH_SHORTLIST) open jobs
    nearest to it, found exactly in this process's copy of the open jobs' vectors
    (`pipeline.matching.vectors`) and ranked on the parts kept there, or through the index
    until that copy is made. `exact` makes the database scan every row (for measuring recall).
    """
    if profile.embedding is None:
        return []
    limit_nearest = shortlist or settings.MATCH_SHORTLIST
    limit = limit if limit is not None else settings.MATCH_TOP_N
    in_memory = None if exact else jobs_shortlist_in_memory(profile.embedding, limit=limit_nearest)
    if in_memory is not None:
        return _ranked_shortlist(
            profile, in_memory, limit=limit, include_infeasible=include_infeasible,
            min_score=min_score,
        )  # fmt: skip
    nearest = jobs_nearest_with_features(profile.embedding, limit=limit_nearest, exact=exact)
    candidate = profile_features_many([profile.pk])[profile.pk]
    return _ranked(
        [
            (profile.pk, job_id, features, candidate, similarity)
            for job_id, similarity, features in nearest
        ],
        limit=limit,
        include_infeasible=include_infeasible,
        min_score=min_score,
    )


def matches_for_job(
    *,
    job: Job,
    limit: int | None = None,
    profiles: QuerySet[CandidateProfile] | None = None,
    shortlist: int | None = None,
    min_score: float | None = None,
    include_infeasible: bool = False,
) -> list[MatchResult]:
    """The best candidates for a job, best first (computed, nothing saved).

    Without `profiles`, the shortlist is the `shortlist` (MATCH_SHORTLIST) active candidates
    nearest to the job's vector. With `profiles`, every one of them is scored (an evaluation
    ranks a whole pool); those without a vector are scored without semantic similarity.
    """
    if profiles is None:
        if job.embedding is None:
            return []
        nearest = dict(profiles_nearest(job.embedding, limit=shortlist or settings.MATCH_SHORTLIST))
        ids = list(nearest)
    else:
        nearest = similarities(job.embedding, profiles)
        ids = list(profiles.values_list("pk", flat=True))
    job_features = job_features_many([job.pk])[job.pk]
    candidates = profile_features_many(ids)
    return _ranked(
        [(pk, job.pk, job_features, candidates[pk], nearest.get(pk)) for pk in ids],
        limit=limit,
        include_infeasible=include_infeasible,
        min_score=min_score,
    )


# --- Labels ------------------------------------------------------------------------------------


@transaction.atomic
def match_label(*, match: Match, label: str, actor: User | None) -> Match:
    """Record a recruiter's judgement of a match ("good", "bad", or "" to clear it)."""
    if actor is not None:
        require_perm(actor, "matches.view", match)
    if label not in ("", *Match.Label.values):
        raise ValidationError({"label": f"Unknown label {label!r}: use good, bad or nothing."})
    old = match.label
    match.label = label
    match.labeled_by = actor if label else None
    match.labeled_at = timezone.now() if label else None
    match.full_clean()
    match.save(update_fields=["label", "labeled_by", "labeled_at", "updated_at"])
    audit_record(
        action="match.labelled", actor=actor, target=match, changes={"label": [old, label]}
    )
    return match


@transaction.atomic
def match_dismiss(*, match: Match, user: User) -> Match:
    """Dismiss a match for its candidate (`user`): it is never shown to them again, and the
    match stage, which keeps a row's status, never brings it back. Dismissing twice is a
    no-op."""
    if match.candidate.user_id != user.pk:
        raise PermissionDenied("Only the candidate can dismiss their match.")
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.status == Match.Status.DISMISSED:
        return match
    old = match.status
    match.status = Match.Status.DISMISSED
    match.dismissed_at = timezone.now()
    match.full_clean()
    match.save(update_fields=["status", "dismissed_at", "updated_at"])
    audit_record(
        action="match.dismissed",
        actor=user,
        target=match,
        changes={"status": [old, match.status]},
    )
    return match


# --- The match stage -----------------------------------------------------------------------------


def _deletable() -> Q:
    """Rows nobody has seen or acted on: the next run may drop them."""
    return Q(status=Match.Status.NEW, label="", notified_at__isnull=True)


def _upsert(
    results: Iterable[MatchResult],
    counts: Counter,
    *,
    existing: Collection[tuple[int, int]] | None = None,
) -> set[int]:
    """Create or update Match rows for `results`; status, notified_at and label stay.
    `existing` holds the (candidate id, job id) pairs that have a row already, when the caller
    has read them (else they are read here, to count rows created and updated).
    Return the candidate ids written."""
    results = list(results)
    if not results:
        return set()
    if existing is None:
        existing = set(
            Match.objects.filter(
                candidate_id__in={r.candidate_id for r in results},
                job_id__in={r.job_id for r in results},
            ).values_list("candidate_id", "job_id")
        )
    rows = [
        Match(
            candidate_id=r.candidate_id,
            job_id=r.job_id,
            score=r.score,
            score_parts=r.parts,
            explanation=r.explanation,
            stale_at=None,
        )
        for r in results
    ]
    Match.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["candidate", "job"],
        update_fields=["score", "score_parts", "explanation", "stale_at", "updated_at"],
    )
    updated = sum((r.candidate_id, r.job_id) in existing for r in results)
    counts["matches.updated"] += updated
    counts["matches.created"] += len(results) - updated
    return {r.candidate_id for r in results}


def _retire(matches: QuerySet[Match], counts: Counter) -> None:
    """Drop matches that no longer hold; keep (as stale) those notified, acted on or labelled."""
    deleted, _ = matches.filter(_deletable()).delete()
    counts["matches.deleted"] += deleted
    counts["matches.stale"] += (
        matches.exclude(_deletable()).filter(stale_at__isnull=True).update(stale_at=timezone.now())
    )


def _rescore(matches: QuerySet[Match], counts: Counter) -> None:
    """Score existing pairs again; keep those still good enough, retire the others."""
    pairs = list(matches.values_list("pk", "candidate_id", "job_id"))
    if not pairs:
        return
    jobs = job_features_many({job for _, _, job in pairs})
    candidates = profile_features_many({candidate for _, candidate, _ in pairs})
    vectors_job = dict(
        Job.objects.filter(pk__in=jobs).values_list("pk", "embedding")
    )  # fmt: skip
    vectors_profile = dict(
        CandidateProfile.objects.filter(pk__in=candidates).values_list("pk", "embedding")
    )
    open_ids = set(open_jobs().filter(pk__in=jobs).values_list("pk", flat=True))
    keep: list[MatchResult] = []
    retire: list[int] = []
    for pk, candidate_id, job_id in pairs:
        a, b = vectors_job.get(job_id), vectors_profile.get(candidate_id)
        similarity = float(np.dot(a, b)) if a is not None and b is not None else None
        scored = pair_score(
            jobs[job_id], candidates[candidate_id], similarity=similarity,
            weights=settings.MATCH_WEIGHTS,
        )  # fmt: skip
        if job_id in open_ids and scored.feasible and scored.score >= settings.MATCH_MIN_SCORE:
            keep.append(MatchResult.of(candidate_id, job_id, scored))
        else:
            retire.append(pk)
    _upsert(keep, Counter(), existing={(candidate, job) for _, candidate, job in pairs})
    counts["matches.rescored"] += len(keep)
    _retire(Match.objects.filter(pk__in=retire), counts)


def _job_features_cached(cache: dict[int, dict], ids: Iterable[int]) -> None:
    """Fill `cache` (features by job id) with the jobs of `ids` it lacks: a run reads each
    job's features once however many shortlists hold it (up to JOB_FEATURES_CACHED jobs;
    beyond, the cache starts afresh)."""
    ids = set(ids)
    missing = ids - cache.keys()
    if len(cache) + len(missing) > JOB_FEATURES_CACHED:
        cache.clear()  # start afresh rather than grow without bound
        missing = ids
    if missing:
        cache.update(job_features_many(missing))


def _candidates_refresh(
    profiles: list[CandidateProfile],
    counts: Counter,
    *,
    job_features: dict[int, dict],
    job_vectors: tuple[np.ndarray, np.ndarray] | None,
) -> set[int]:
    """Refresh the matches of a batch of candidates, as `matches_for_candidate` then an upsert
    and a rescore of their other matches would one by one, in a few queries for the batch.

    `job_features` caches features by job id across batches. With `job_vectors` (every open
    job's vector), the shortlists are ranked in memory and exact; without, each is an index
    search.
    """
    vectors = {
        profile.pk: profile.embedding for profile in profiles if profile.embedding is not None
    }
    if job_vectors is not None:
        nearest = jobs_nearest_exact_many(vectors, limit=settings.MATCH_SHORTLIST, jobs=job_vectors)
    else:
        nearest = jobs_nearest_many(vectors, limit=settings.MATCH_SHORTLIST)
    _job_features_cached(job_features, {job for rows in nearest.values() for job, _ in rows})
    candidates = profile_features_many(vectors) if vectors else {}
    ids = [profile.pk for profile in profiles]
    # A job the candidate dismissed stays dismissed, and takes none of their MATCH_TOP_N places.
    dismissed = set(
        Match.objects.filter(candidate_id__in=ids, status=Match.Status.DISMISSED).values_list(
            "candidate_id", "job_id"
        )
    )
    results: list[MatchResult] = []
    for pk, rows in nearest.items():
        results += _ranked(
            [(pk, job, job_features[job], candidates[pk], similarity) for job, similarity in rows],
            limit=settings.MATCH_TOP_N + sum((pk, job) in dismissed for job, _ in rows),
            include_infeasible=False,
            min_score=settings.MATCH_MIN_SCORE,
        )
    existing = {
        (candidate, job): pk
        for pk, candidate, job in Match.objects.filter(candidate_id__in=ids).values_list(
            "pk", "candidate_id", "job_id"
        )
    }
    touched = _upsert(results, counts, existing=existing)
    written = {(r.candidate_id, r.job_id) for r in results}
    others = [pk for pair, pk in existing.items() if pair not in written]
    if others:
        _rescore(Match.objects.filter(pk__in=others), counts)
    return touched | set(ids)


def _job_refresh(job: Job, counts: Counter) -> set[int]:
    if job.status != Job.Status.OPEN:
        _retire(Match.objects.filter(job=job), counts)
        return set()
    results = matches_for_job(job=job, min_score=settings.MATCH_MIN_SCORE)
    touched = _upsert(results, counts)
    others = Match.objects.filter(job=job).exclude(candidate_id__in=touched)
    _rescore(others, counts)
    return touched


def _trim(candidate_ids: Iterable[int], counts: Counter) -> None:
    """Keep each candidate's best MATCH_TOP_N current matches (and every one acted on); the
    ones they dismissed take no place."""
    ids = sorted(candidate_ids)
    for start in range(0, len(ids), TRIM_BATCH):
        ranked = (
            Match.objects.filter(
                candidate_id__in=ids[start : start + TRIM_BATCH], stale_at__isnull=True
            )
            .exclude(status=Match.Status.DISMISSED)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("candidate_id")],
                    order_by=[F("score").desc(), F("job_id").asc()],
                )
            )
        )
        extra = list(ranked.filter(rank__gt=settings.MATCH_TOP_N).values_list("pk", flat=True))
        if extra:
            deleted, _ = Match.objects.filter(pk__in=extra).filter(_deletable()).delete()
            counts["matches.deleted"] += deleted


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _ids(items) -> list[int]:
    if isinstance(items, QuerySet):
        return list(items.values_list("pk", flat=True))
    return [item.pk for item in items]


def match_run(
    *,
    jobs: Iterable[Job] | QuerySet[Job] | None = None,
    profiles: Iterable[CandidateProfile] | QuerySet[CandidateProfile] | None = None,
    since: datetime | None = None,
    progress: RunProgress | None = None,
) -> dict:
    """Bring Match rows up to date for the affected candidates and jobs.

    Affected are the given `jobs` and `profiles`; else those changed since `since` (the start
    of the last successful match run); else every active candidate (and the closed jobs that
    still have matches). Each affected candidate gets their best jobs again, each affected
    open job its best candidates; existing rows keep their status, notified_at and label;
    matches that fell under MATCH_MIN_SCORE, became infeasible or whose job closed are
    deleted, or marked stale when already notified, acted on or labelled.
    Return counts.
    """
    if jobs is None and profiles is None:
        if since is None:
            profile_ids = _ids(active_profiles().filter(embedding__isnull=False))
            job_ids = list(
                Match.objects.exclude(job__status=Job.Status.OPEN)
                .values_list("job_id", flat=True)
                .distinct()
            )
        else:
            profile_ids = _ids(profiles_changed_since(since).filter(user__is_active=True))
            job_ids = _ids(jobs_changed_since(since))
    else:
        profile_ids = _ids(profiles) if profiles is not None else []
        job_ids = _ids(jobs) if jobs is not None else []
    counts: Counter = Counter()
    if progress:
        progress.add_total(len(profile_ids) + len(job_ids))
    touched: set[int] = set()
    job_features: dict[int, dict] = {}
    job_vectors = None
    if profile_ids and len(profile_ids) * IN_MEMORY_RATIO >= open_jobs().count():
        job_vectors = open_job_vectors()
    to_refresh = CandidateProfile.objects.filter(pk__in=profile_ids).iterator(chunk_size=200)
    for batch in _batches(to_refresh, CANDIDATE_BATCH):
        with transaction.atomic():
            touched |= _candidates_refresh(
                batch, counts, job_features=job_features, job_vectors=job_vectors
            )
        counts["candidates"] += len(batch)
        if progress:
            progress.advance(len(batch))
    for job in Job.objects.filter(pk__in=job_ids).iterator(chunk_size=200):
        with transaction.atomic():
            touched |= _job_refresh(job, counts)
        counts["jobs"] += 1
        if progress:
            progress.advance()
    _trim(touched, counts)
    if progress:
        for key in ("matches.created", "matches.updated", "matches.deleted", "matches.stale"):
            progress.count(key, counts[key])
    return dict(counts)
