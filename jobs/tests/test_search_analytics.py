from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from jobs.models import SearchQuery
from jobs.search import search_jobs
from jobs.selectors import (
    search_click_through_rate,
    search_top_queries,
    search_zero_result_queries,
)
from jobs.services import search_click_record, search_query_log, search_session_hash
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def test_a_search_is_logged_with_an_anonymised_session():
    JobFactory(title="Python Developer")
    user = UserFactory()
    result = search_jobs(query="  Python   DEVELOPER ", filters={"remote": ["onsite"]})

    entry = search_query_log(result=result, user=user, session_key="s3cr3t-session-key")

    entry.refresh_from_db()
    assert entry.query == "Python DEVELOPER"
    assert entry.normalized_query == "python developer"
    assert entry.filters == {"remote": ["onsite"]}
    assert (entry.result_count, entry.mode, entry.user) == (1, "fulltext", user)
    assert entry.took_ms is not None
    assert len(entry.session_hash) == 64 and "s3cr3t" not in entry.session_hash
    assert entry.session_hash == search_session_hash("s3cr3t-session-key")
    assert entry.session_hash != search_session_hash("another-session")
    assert search_session_hash(None) == ""


def test_the_first_click_of_a_search_is_recorded_by_its_session_only():
    job, other = JobFactory(title="Go Engineer"), JobFactory(title="Go Developer")
    entry = search_query_log(result=search_jobs(query="go"), session_key="abc")

    with pytest.raises(PermissionDenied):
        search_click_record(search=entry, job=job, position=1, session_key="someone-else")
    with pytest.raises(ValidationError):
        search_click_record(search=entry, job=job, position=0, session_key="abc")

    clicked = search_click_record(search=entry, job=job, position=2, session_key="abc")
    assert (clicked.clicked_job, clicked.clicked_position) == (job, 2)
    assert clicked.clicked_at is not None

    again = search_click_record(search=entry, job=other, position=1, session_key="abc")
    assert again.clicked_job == job  # the first click counts


def _log(query, results, *, days_ago=1, clicked=False, session="x"):
    entry = SearchQuery.objects.create(
        query=query,
        normalized_query=query.lower(),
        result_count=results,
        session_hash=search_session_hash(session),
        created_at=timezone.now() - timedelta(days=days_ago),
    )
    if clicked:
        entry.clicked_at = entry.created_at + timedelta(seconds=5)
        entry.clicked_job = JobFactory()
        entry.save()
    return entry


@pytest.fixture
def logged():
    for session in ("a", "b", "c"):
        _log("Python", 120, session=session, clicked=session == "a")
    _log("python", 118, session="a", clicked=True)
    _log("react", 40, clicked=True)
    _log("react", 40)
    _log("cobol", 0)
    _log("cobol", 0, session="y")
    _log("fortran", 0)
    _log("", 500)  # browsing, not a query
    _log("python", 100, days_ago=40, clicked=True)  # outside the period
    _log("kotlin", 0, days_ago=40)


def test_top_queries_of_a_period(logged):
    since = timezone.now() - timedelta(days=7)
    top = list(search_top_queries(since=since))

    assert [row["normalized_query"] for row in top] == ["python", "cobol", "react", "fortran"]
    python = top[0]
    assert (python["searches"], python["sessions"], python["clicks"]) == (4, 3, 2)
    assert python["avg_results"] == pytest.approx(119.5)
    assert len(search_top_queries(since=since, limit=2)) == 2
    assert [r["normalized_query"] for r in search_top_queries(since=since, until=since)] == []


def test_zero_result_queries_of_a_period(logged):
    since = timezone.now() - timedelta(days=7)
    rows = list(search_zero_result_queries(since=since))
    assert [(r["normalized_query"], r["searches"]) for r in rows] == [("cobol", 2), ("fortran", 1)]
    everything = search_zero_result_queries(since=timezone.now() - timedelta(days=60))
    assert "kotlin" in {row["normalized_query"] for row in everything}


def test_click_through_rate_of_a_period(logged):
    ctr = search_click_through_rate(since=timezone.now() - timedelta(days=7))
    # In the period, 7 searches found something (4 python, 2 react, 1 browsing); 3 of them
    # led to a click.
    assert (ctr.searches, ctr.clicked) == (7, 3)
    assert ctr.rate == pytest.approx(3 / 7)
    assert search_click_through_rate(since=timezone.now()).rate == 0.0
