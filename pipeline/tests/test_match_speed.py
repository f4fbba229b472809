"""The match stage's batch path: exact shortlists ranked in memory, and queries that do not grow
with the number of candidates. Vectors are made up (no model): the features are read from the
fields."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import EMBEDDING_DIMENSIONS
from accounts.tests.factories import CandidateProfileFactory
from jobs.models import Job
from jobs.tests.factories import JobFactory
from pipeline.matching import match_run, matches_for_candidate
from pipeline.matching import services as matching_services
from pipeline.matching.selectors import (
    job_features_of,
    jobs_nearest,
    jobs_nearest_exact_many,
    open_job_vectors,
    profile_features_of,
)
from pipeline.models import JobEnrichment, Match, ProfileEnrichment

pytestmark = pytest.mark.django_db


def _vectors(count: int, seed: int) -> list[list[float]]:
    """Random vectors around one common direction, so that jobs and candidates are alike in
    varying degrees (as texts of one field are)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=EMBEDDING_DIMENSIONS)
    return [(common + rng.normal(size=EMBEDDING_DIMENSIONS)).tolist() for _ in range(count)]


@pytest.fixture
def jobs():
    made = [JobFactory(embedding=vector) for vector in _vectors(30, seed=1)]
    JobFactory(embedding=_vectors(1, seed=1)[0], status=Job.Status.CLOSED)
    JobFactory(embedding=None)
    for job in made:  # stored, as the enrich stage does
        JobEnrichment.objects.create(
            job=job, text_hash="test", features=job_features_of(job), enriched_at=timezone.now()
        )
    return made


@pytest.fixture
def profiles():
    made = [CandidateProfileFactory(embedding=vector) for vector in _vectors(12, seed=2)]
    for profile in made:
        ProfileEnrichment.objects.create(
            profile=profile,
            text_hash="test",
            features=profile_features_of(profile),
            enriched_at=timezone.now(),
        )
    return made


def test_jobs_nearest_exact_many_finds_what_a_full_scan_finds(jobs, profiles):
    vectors = {profile.pk: profile.embedding for profile in profiles}

    nearest = jobs_nearest_exact_many(vectors, limit=7, jobs=open_job_vectors())

    assert set(nearest) == set(vectors)
    for profile in profiles:
        assert nearest[profile.pk] == jobs_nearest(profile.embedding, limit=7, exact=True)


def test_jobs_nearest_exact_many_returns_every_open_job_when_there_are_fewer_than_asked(
    jobs, profiles
):
    nearest = jobs_nearest_exact_many(
        {profiles[0].pk: profiles[0].embedding}, limit=100, jobs=open_job_vectors()
    )

    assert sorted(job for job, _ in nearest[profiles[0].pk]) == sorted(job.pk for job in jobs)


def _rows() -> dict:
    return {
        (m.candidate_id, m.job_id): (m.score, m.score_parts, m.explanation)
        for m in Match.objects.all()
    }


def test_match_run_writes_what_matches_for_candidate_finds(jobs, profiles, settings):
    settings.MATCH_MIN_SCORE = 0.0
    settings.MATCH_TOP_N = 5
    settings.MATCH_SHORTLIST = 10

    match_run()

    expected = {
        (r.candidate_id, r.job_id): (r.score, r.parts, r.explanation)
        for profile in profiles
        for r in matches_for_candidate(profile=profile, min_score=0.0, exact=True)
    }
    assert expected
    assert _rows() == expected


def test_match_run_writes_the_same_when_the_features_cache_starts_afresh(
    jobs, profiles, settings, monkeypatch
):
    settings.MATCH_MIN_SCORE = 0.0
    monkeypatch.setattr(matching_services, "CANDIDATE_BATCH", 4)
    match_run()
    rows = _rows()
    Match.objects.all().delete()
    monkeypatch.setattr(matching_services, "JOB_FEATURES_CACHED", 10)  # under a batch's 30 jobs

    match_run()

    assert rows
    assert _rows() == rows


def test_match_run_in_memory_and_database_shortlists_agree(jobs, profiles, settings, monkeypatch):
    settings.MATCH_MIN_SCORE = 0.0
    settings.MATCH_SHORTLIST = 10
    in_memory = match_run()
    rows = _rows()
    assert rows
    Match.objects.all().delete()
    monkeypatch.setattr(matching_services, "IN_MEMORY_RATIO", 0)  # never in memory

    searched = match_run()

    assert _rows() == rows
    assert searched == in_memory


def test_match_run_queries_do_not_grow_with_the_candidates(jobs, profiles, settings):
    settings.MATCH_MIN_SCORE = 0.0
    with CaptureQueriesContext(connection) as few:
        match_run(profiles=profiles[:3])
    Match.objects.all().delete()

    with CaptureQueriesContext(connection) as many:
        counts = match_run(profiles=profiles)

    assert counts["candidates"] == 12
    assert counts["matches.created"] > 12
    assert len(many) == len(few)
