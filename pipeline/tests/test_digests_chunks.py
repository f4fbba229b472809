"""The send stage builds digests a chunk of users at a time: a constant number of queries per
chunk, one bad address or a deleted user costs only that user's digest, and concurrent runs
still queue each digest once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from accounts.models import DigestFrequency, NotificationPreference, OutboundEmail, Role
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, MembershipFactory
from jobs.tests.factories import JobFactory
from pipeline import digests
from pipeline.digests import (
    CANDIDATE_KIND,
    DIGEST_LOCK_KEYS,
    RECRUITER_KIND,
    candidate_digests_queue,
    digests_send,
)
from pipeline.models import Match, PipelineRun
from pipeline.runs import run_tracked

MONDAY_NIGHT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def _candidate(email=None, jobs=(), frequency=DigestFrequency.DAILY):
    profile = CandidateProfileFactory(**({"user__email": email} if email else {}))
    NotificationPreference.objects.create(user=profile.user, match_digest=frequency)
    for n, job in enumerate(jobs):
        Match.objects.create(
            candidate=profile,
            job=job,
            score=0.9 - n / 100,
            explanation={"matched_skills": ["Python"]},
        )
    return profile


@pytest.fixture
def open_jobs(db):
    company = CompanyFactory(name="Acme Robotics")
    return [JobFactory(company=company, title=f"Engineer {n}") for n in range(3)]


def _send_queries(now=MONDAY_NIGHT) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        result = digests_send(now=now)
    return result, len(queries)


def test_a_chunk_of_candidate_digests_costs_the_same_queries_however_many_it_holds(open_jobs):
    for _ in range(2):
        _candidate(jobs=open_jobs)
    few, few_queries = _send_queries()
    OutboundEmail.objects.all().delete()
    Match.objects.update(status=Match.Status.NEW, notified_at=None)
    for _ in range(6):
        _candidate(jobs=open_jobs[:2])
    many, many_queries = _send_queries()

    assert few["candidate_queued"] == 2 and many["candidate_queued"] == 8
    assert many_queries == few_queries
    assert few_queries <= 15, few_queries


def test_digests_send_goes_through_every_chunk_once(open_jobs, monkeypatch):
    monkeypatch.setattr(digests, "DIGEST_CHUNK_SIZE", 2)
    profiles = [_candidate(jobs=open_jobs) for _ in range(5)]

    with run_tracked(kind=PipelineRun.Kind.SEND) as progress:
        first = digests_send(now=MONDAY_NIGHT, progress=progress)
    again = digests_send(now=MONDAY_NIGHT)

    assert first == {"candidate_queued": 5, "emails_queued": 5}
    assert again == {"emails_queued": 0}  # nobody has new matches left
    run = PipelineRun.objects.get()
    assert run.progress_done == run.progress_total == 5
    emails = OutboundEmail.objects.filter(kind=CANDIDATE_KIND)
    assert sorted(emails.values_list("user_id", flat=True)) == sorted(p.user_id for p in profiles)
    assert all(len(email.refs) == 3 for email in emails)
    assert not Match.objects.filter(status=Match.Status.NEW).exists()


def test_an_unusable_address_skips_only_that_digest(open_jobs):
    good = _candidate(jobs=open_jobs)
    bad = _candidate(email="not an address", jobs=open_jobs)
    later = _candidate(jobs=open_jobs)

    with run_tracked(kind=PipelineRun.Kind.SEND) as progress:
        result = digests_send(now=MONDAY_NIGHT, progress=progress)

    assert result == {"candidate_queued": 2, "candidate_invalid": 1, "emails_queued": 2}
    queued = OutboundEmail.objects.values_list("user_id", flat=True)
    assert sorted(queued) == sorted([good.user_id, later.user_id])
    assert set(Match.objects.filter(candidate=bad).values_list("status", flat=True)) == {
        Match.Status.NEW
    }
    run = PipelineRun.objects.get()
    assert run.stats["counts"]["skipped.invalid"] == 1
    assert run.stats["errors"][0].startswith(f"invalid: user {bad.user_id}:")


def test_a_user_deleted_since_the_run_listed_it_is_gone(open_jobs):
    profile = _candidate(jobs=open_jobs[:1])

    outcomes = candidate_digests_queue(user_ids=[profile.user_id, 10**12], now=MONDAY_NIGHT)

    assert outcomes[profile.user_id].status == "queued"
    assert outcomes[profile.user_id].email.user_id == profile.user_id
    assert outcomes[10**12].status == "gone"


def test_recruiter_digests_of_one_chunk_are_queued_together(open_jobs, monkeypatch):
    monkeypatch.setattr(digests, "DIGEST_CHUNK_SIZE", 2)
    company = open_jobs[0].company
    recruiters = [MembershipFactory(company=company, role=Role.RECRUITER).user for _ in range(3)]
    _candidate(jobs=open_jobs, frequency=DigestFrequency.NEVER)

    first = digests_send(now=MONDAY_NIGHT)
    again = digests_send(now=MONDAY_NIGHT)

    assert first["recruiter_queued"] == 3 and again["recruiter_not_due"] == 3
    emails = OutboundEmail.objects.filter(kind=RECRUITER_KIND)
    assert sorted(emails.values_list("user_id", flat=True)) == sorted(u.pk for u in recruiters)
    assert all(email.subject == "3 new candidates for your open jobs" for email in emails)
    assert set(Match.objects.values_list("status", flat=True)) == {Match.Status.NEW}


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_over_a_chunk_queue_each_digest_once_without_deadlock():
    jobs = [JobFactory(title=f"Engineer {n}") for n in range(2)]
    profiles = [_candidate(jobs=jobs) for _ in range(4)]
    results: list[dict] = []

    def run():
        try:
            results.append(digests_send(now=MONDAY_NIGHT))
        finally:
            connections.close_all()

    # Hold the lock of a user in the middle of the chunk: both runs take the locks before it,
    # then queue behind it.
    lock = [DIGEST_LOCK_KEYS[CANDIDATE_KIND], profiles[2].user_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", lock)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        _wait_for_advisory_waiters(DIGEST_LOCK_KEYS[CANDIDATE_KIND], 2)
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lock)
    for thread in threads:
        thread.join()

    assert sorted(r.get("candidate_queued", 0) for r in results) == [0, 4]
    assert sorted(r.get("candidate_not_due", 0) for r in results) == [0, 4]
    assert OutboundEmail.objects.count() == 4
    assert not Match.objects.filter(status=Match.Status.NEW).exists()


def _wait_for_advisory_waiters(key: int, count: int) -> None:
    """Block until `count` sessions wait for an advisory lock (key, any user) of this database."""
    deadline = time.monotonic() + 60  # fail rather than hang if nobody ever waits
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = %s AND objsubid = 2 "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [key],
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.01)
    raise AssertionError(f"{count} sessions never queued up behind our lock")
