"""The in-memory copy of the open jobs' vectors: exact, renewed in the background, and never
serving a job that has closed since."""

import time

import numpy as np
import pytest
from django.db import connection

from jobs.models import Job
from jobs.tests.factories import JobFactory
from pipeline.matching import vectors
from pipeline.matching.selectors import jobs_nearest


def _jobs_with_vectors(count, *, seed=7):
    rng = np.random.default_rng(seed)
    jobs = JobFactory.create_batch(count, status=Job.Status.OPEN)
    for job in jobs:
        job.embedding = rng.normal(size=384).astype(np.float32).tolist()
    Job.objects.bulk_update(jobs, ["embedding"])
    return jobs, rng


@pytest.fixture(autouse=True)
def _no_copy_between_tests():
    vectors._copy = None
    yield
    vectors._copy = None


@pytest.mark.django_db
def test_the_copy_finds_what_an_exact_scan_of_the_table_finds(settings):
    settings.MATCH_MEMORY_MAX_AGE = 0
    _, rng = _jobs_with_vectors(40)
    closed = JobFactory(status=Job.Status.CLOSED, embedding=rng.normal(size=384).tolist())
    for _ in range(5):
        query = rng.normal(size=384).tolist()
        found = vectors.jobs_nearest_in_memory(query, limit=10)
        exact = jobs_nearest(query, limit=10, exact=True)
        assert [pk for pk, _ in found] == [pk for pk, _ in exact]
        assert np.allclose([s for _, s in found], [s for _, s in exact], atol=1e-5)
        assert closed.pk not in {pk for pk, _ in found}


@pytest.mark.django_db
def test_the_index_serves_when_memory_search_is_off(settings):
    settings.MATCH_MEMORY_SEARCH = False
    _jobs_with_vectors(3)
    assert vectors.jobs_nearest_in_memory([1.0] * 384, limit=5) is None


@pytest.mark.django_db
def test_a_zero_vector_or_no_jobs_finds_nothing(settings):
    settings.MATCH_MEMORY_MAX_AGE = 0
    assert vectors.jobs_nearest_in_memory([1.0] * 384, limit=5) == []
    _jobs_with_vectors(2)
    assert vectors.jobs_nearest_in_memory([0.0] * 384, limit=5) == []


@pytest.mark.django_db(transaction=True)  # the background thread reads committed rows
def test_the_copy_is_made_in_the_background_and_closed_jobs_are_dropped(settings):
    settings.MATCH_MEMORY_MAX_AGE = 300
    jobs, rng = _jobs_with_vectors(12)
    query = rng.normal(size=384).tolist()

    assert vectors.jobs_nearest_in_memory(query, limit=5) is None  # not there yet: the index
    for _ in range(200):  # the thread's read takes milliseconds here
        if vectors._copy is not None:
            break
        time.sleep(0.05)
    found = vectors.jobs_nearest_in_memory(query, limit=5)
    assert [pk for pk, _ in found] == [pk for pk, _ in jobs_nearest(query, limit=5, exact=True)]

    # Closed after the copy was made: still in the copy, but never served with features.
    best = found[0][0]
    Job.objects.filter(pk=best).update(status=Job.Status.CLOSED)
    served = vectors.jobs_shortlist_in_memory(query, limit=5)
    assert best not in {pk for pk, _, _ in served.jobs}
    assert len(served.jobs) == 4
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_an_old_copy_is_renewed_while_it_still_serves(settings):
    settings.MATCH_MEMORY_MAX_AGE = 300
    jobs, rng = _jobs_with_vectors(4)
    vectors.open_job_vectors_load()
    newcomer = JobFactory(status=Job.Status.OPEN, embedding=rng.normal(size=384).tolist())
    query = newcomer.embedding
    assert newcomer.pk not in {pk for pk, _ in vectors.jobs_nearest_in_memory(query, limit=10)}

    settings.MATCH_MEMORY_MAX_AGE = 1
    vectors._copy = vectors._Copy(
        ids=vectors._copy.ids, matrix=vectors._copy.matrix, features=vectors._copy.features,
        made_at=time.monotonic() - 5,
    )  # fmt: skip
    stale = vectors._copy
    assert vectors.jobs_nearest_in_memory(query, limit=10) is not None  # the old one answers
    for _ in range(200):
        if vectors._copy is not stale:
            break
        time.sleep(0.05)
    assert vectors.jobs_nearest_in_memory(query, limit=1)[0][0] == newcomer.pk
    connection.close()


@pytest.mark.django_db
def test_a_large_copy_ranks_on_principal_directions_first_and_measures_the_best_exactly(
    settings, monkeypatch
):
    """Vectors of a few latent directions, as embeddings of one field are: the first pass on
    8 principal directions keeps the true nearest among its 30, and what is returned is
    measured on the whole vectors."""
    settings.MATCH_MEMORY_MAX_AGE = 0
    monkeypatch.setattr(vectors, "PROJECTED_DIMS", 8)
    monkeypatch.setattr(vectors, "PROJECTED_CANDIDATES", 30)
    monkeypatch.setattr(vectors, "PROJECTED_FACTOR", 3)
    rng = np.random.default_rng(11)
    latent = rng.normal(size=(6, 384))
    jobs = JobFactory.create_batch(150, status=Job.Status.OPEN)
    for job in jobs:
        job.embedding = (rng.normal(size=6) @ latent + rng.normal(size=384) * 0.01).tolist()
    Job.objects.bulk_update(jobs, ["embedding"])

    copy = vectors.open_job_vectors_load()
    assert copy.basis.shape == (384, 8) and copy.projected.shape == (150, 8)
    for _ in range(5):
        query = (rng.normal(size=6) @ latent).tolist()
        found = vectors.jobs_nearest_in_memory(query, limit=10)
        exact = jobs_nearest(query, limit=10, exact=True)
        assert [pk for pk, _ in found] == [pk for pk, _ in exact]
        assert np.allclose([s for _, s in found], [s for _, s in exact], atol=1e-5)


@pytest.mark.django_db
def test_a_copy_no_larger_than_the_first_pass_would_keep_is_measured_in_one_pass(settings):
    settings.MATCH_MEMORY_MAX_AGE = 0
    _jobs_with_vectors(5)
    copy = vectors.open_job_vectors_load()
    assert copy.basis is None and copy.projected is None
