"""The search result cache: a repeated search is served from it until jobs or companies
change (a committed change: these tests commit, so they are transactional), never inside a
caller's transaction, and a cache that is down only makes searches slower."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jobs import search
from jobs.models import CurrencyRate, Job
from jobs.search import query_vectors_clear, search_jobs
from jobs.services import currency_rates_sync
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _searchable(settings):
    settings.SEARCH_CACHE_SECONDS = 60
    if not CurrencyRate.objects.exists():  # a flush removed what migration 0004 filled
        currency_rates_sync()
    search.search_caches_clear()
    yield
    search.search_caches_clear()


def _job(title, **fields):
    fields.setdefault("published_at", timezone.now() - timedelta(days=1))
    return JobFactory(title=title, status=Job.Status.OPEN, **fields)


def _ids(result):
    return [hit.job.pk for hit in result.results]


def _generation():
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM jobs_search_generation")
        return cursor.fetchone()[0]


def test_a_repeated_search_is_served_from_the_cache_with_the_same_answer():
    first_job = _job("Python Developer")
    _job("Python Engineer", remote="remote")

    first = search_jobs(query="python")
    again = search_jobs(query="python")

    assert not first.cached and again.cached
    assert _ids(again) == _ids(first) and len(_ids(first)) == 2
    assert again.total == first.total and again.facets == first.facets
    assert again.results[0].title_html == first.results[0].title_html
    assert again.results[0].job.company.name == first.results[0].job.company.name
    assert not search_jobs(query="python", page_size=1).cached  # other inputs, other entry
    assert first_job.pk in _ids(search_jobs(query="python"))


def test_every_committed_change_to_jobs_or_companies_is_seen_at_once():
    kept = _job("Python Developer")
    search_jobs(query="python")

    newcomer = _job("Senior Python Engineer")
    after_insert = search_jobs(query="python")
    assert not after_insert.cached and newcomer.pk in _ids(after_insert)

    Job.objects.filter(pk=newcomer.pk).update(status=Job.Status.CLOSED)
    after_close = search_jobs(query="python")
    assert not after_close.cached and _ids(after_close) == [kept.pk]

    kept.company.name = "Renamed Analytics"
    kept.company.save()
    renamed = search_jobs(query="python")
    assert not renamed.cached and renamed.results[0].job.company.name == "Renamed Analytics"

    Job.objects.filter(pk=kept.pk).delete()
    assert _ids(search_jobs(query="python")) == []


def test_the_generation_moves_at_commit_not_at_the_write():
    before = _generation()
    with transaction.atomic():
        _job("Python Developer")
        assert _generation() == before  # a search now must not be cached as the new data
    assert _generation() > before


def test_a_search_inside_a_callers_transaction_is_never_cached():
    _job("Python Developer")
    search_jobs(query="python")
    with transaction.atomic():
        uncommitted = _job("Python Engineer")
        inside = search_jobs(query="python")
        assert not inside.cached and uncommitted.pk in _ids(inside)
        transaction.set_rollback(True)
    outside = search_jobs(query="python")
    assert uncommitted.pk not in _ids(outside)
    assert search_jobs(query="python").cached


def test_no_cache_when_its_seconds_are_zero(settings):
    settings.SEARCH_CACHE_SECONDS = 0
    _job("Python Developer")
    search_jobs(query="python")
    assert not search_jobs(query="python").cached


def test_a_cache_that_is_down_only_makes_searches_slower(settings, caplog):
    job = _job("Python Developer")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    for _ in range(2):
        result = search_jobs(query="python")
        assert not result.cached and _ids(result) == [job.pk]
    assert "search result cache unavailable" in caplog.text


def test_a_query_vector_made_ahead_is_the_one_a_search_uses():
    """A search starts the query's vector in a background thread, then counts on the
    database; the semantic step takes that vector (any case of the text) and keeps it."""
    from jobs.embeddings import embed_query
    from jobs.search.caches import _query_vector, _vectors_pending, query_vector_prefetch

    query_vectors_clear()
    query_vector_prefetch("Data Engineer")
    query_vector_prefetch("data engineer")  # already on its way: not made twice
    assert len(_vectors_pending) <= 1
    made = _query_vector("DATA ENGINEER")
    assert made == tuple(embed_query("data engineer"))
    assert not _vectors_pending and _query_vector("data engineer") is made
