"""The send stage: candidate and recruiter digests per preference, queued in the outbox once."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from accounts.mail import outbox_send_due, unsubscribe_token_read
from accounts.models import (
    DigestFrequency,
    EmailSuppression,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboundEmail,
    Role,
)
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, MembershipFactory
from jobs.models import Job
from jobs.tests.factories import JobFactory
from pipeline.digests import (
    CANDIDATE_KIND,
    DIGEST_LOCK_KEYS,
    RECRUITER_KIND,
    digests_send,
)
from pipeline.models import Match, PipelineRun
from pipeline.runs import run_tracked

# Monday night, 02:00 UTC on the Tuesday: when the nightly run sends.
MONDAY_NIGHT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def _profile(name="Grace Hopper", email=None, frequency=None, **fields):
    user_fields = {"user__full_name": name}
    if email:
        user_fields["user__email"] = email
    profile = CandidateProfileFactory(**user_fields, **fields)
    if frequency is not None:
        NotificationPreference.objects.create(user=profile.user, match_digest=frequency)
    return profile


def _match(profile, job, score, **fields):
    fields.setdefault("explanation", {"matched_skills": ["Python", "Django"]})
    return Match.objects.create(candidate=profile, job=job, score=score, **fields)


def _digests(kind=CANDIDATE_KIND, user=None):
    rows = OutboundEmail.objects.filter(kind=kind).order_by("created_at", "pk")
    return list(rows.filter(user=user) if user is not None else rows)


@pytest.fixture
def acme(db):
    return CompanyFactory(name="Acme Robotics")


@pytest.fixture
def jobs(acme):
    return {
        "backend": JobFactory(company=acme, title="Backend Engineer"),
        "data": JobFactory(company=acme, title="Data Engineer", remote=Job.Remote.REMOTE),
        "closed": JobFactory(
            company=acme, title="Closed Role", status=Job.Status.CLOSED, published_at=None
        ),
    }


# --- Candidate digests ------------------------------------------------------------------------


def test_candidate_digest_lists_new_matches_on_open_jobs_best_first_and_marks_them(jobs):
    profile = _profile(frequency=DigestFrequency.DAILY)
    backend = _match(profile, jobs["backend"], 0.71)
    data = _match(profile, jobs["data"], 0.93)
    closed = _match(profile, jobs["closed"], 0.99)
    old = _match(profile, JobFactory(title="Seen Before"), 0.95, status=Match.Status.NOTIFIED)

    result = digests_send(now=MONDAY_NIGHT)

    assert result["candidate_queued"] == 1 and result["emails_queued"] == 1
    [email] = _digests()
    assert email.user == profile.user and email.to == profile.user.email
    assert email.subject == "2 new job matches for you"
    assert sorted(email.refs) == sorted([backend.pk, data.pk])
    assert email.status == OutboundEmail.Status.QUEUED
    text = email.body_text
    assert text.index("Data Engineer") < text.index("Backend Engineer")  # best first
    assert "93% match" in text and "71% match" in text
    assert "Closed Role" not in text and "Seen Before" not in text
    for match in (backend, data):
        match.refresh_from_db()
        assert match.status == Match.Status.NOTIFIED and match.notified_at == MONDAY_NIGHT
    closed.refresh_from_db()
    old.refresh_from_db()
    assert closed.status == Match.Status.NEW
    assert old.notified_at is None


def test_a_candidate_digest_also_lands_in_their_notifications_once(jobs):
    profile = _profile(frequency=DigestFrequency.DAILY)
    _match(profile, jobs["backend"], 0.8)

    digests_send(now=MONDAY_NIGHT)
    digests_send(now=MONDAY_NIGHT)

    [notice] = Notification.objects.filter(user=profile.user)
    assert notice.kind == NotificationKind.MATCH_DIGEST
    assert notice.title == "1 new job match for you"
    assert notice.url == "/me/#jobs-for-you" and notice.read_at is None


def test_stale_matches_are_left_out_of_both_digests(jobs, acme):
    MembershipFactory(company=acme, role=Role.RECRUITER)
    profile = _profile(frequency=DigestFrequency.DAILY)
    # Kept by matching only because a recruiter labelled it; it no longer holds.
    stale = _match(profile, jobs["backend"], 0.9, label="good", stale_at=MONDAY_NIGHT)

    result = digests_send(now=MONDAY_NIGHT)

    assert result.get("emails_queued") == 0
    assert OutboundEmail.objects.count() == 0
    stale.refresh_from_db()
    assert stale.status == Match.Status.NEW


def test_candidate_with_digest_off_gets_nothing(jobs):
    profile = _profile(frequency=DigestFrequency.NEVER)
    match = _match(profile, jobs["backend"], 0.8)

    result = digests_send(now=MONDAY_NIGHT)

    assert _digests() == []
    assert result.get("candidate_queued", 0) == 0
    match.refresh_from_db()
    assert match.status == Match.Status.NEW


def test_daily_digest_goes_out_once_per_calendar_day(jobs):
    profile = _profile(frequency=DigestFrequency.DAILY)
    _match(profile, jobs["backend"], 0.8)
    digests_send(now=MONDAY_NIGHT)
    _match(profile, jobs["data"], 0.7)

    later_that_day = digests_send(now=MONDAY_NIGHT + timedelta(hours=20))
    # The next night's run starts a little earlier than yesterday's: still a new day.
    next_night = digests_send(now=MONDAY_NIGHT + timedelta(hours=23, minutes=58))

    assert later_that_day["candidate_not_due"] == 1
    assert next_night["candidate_queued"] == 1
    first, second = _digests()
    assert "Backend Engineer" in first.body_text and "Data Engineer" not in first.body_text
    assert "Data Engineer" in second.body_text and "Backend Engineer" not in second.body_text


def test_weekly_digest_is_not_resent_within_a_week(jobs):
    profile = _profile(frequency=DigestFrequency.WEEKLY)
    _match(profile, jobs["backend"], 0.8)
    digests_send(now=MONDAY_NIGHT)
    _match(profile, jobs["data"], 0.7)

    for day in range(1, 7):
        assert digests_send(now=MONDAY_NIGHT + timedelta(days=day))["candidate_not_due"] == 1
    week_later = digests_send(now=MONDAY_NIGHT + timedelta(days=7))

    assert week_later["candidate_queued"] == 1
    assert [len(email.refs) for email in _digests()] == [1, 1]


def test_candidate_without_preference_row_gets_the_model_default_weekly(jobs):
    profile = _profile()  # no NotificationPreference row
    _match(profile, jobs["backend"], 0.8)
    digests_send(now=MONDAY_NIGHT)
    _match(profile, jobs["data"], 0.7)

    next_day = digests_send(now=MONDAY_NIGHT + timedelta(days=1))

    assert len(_digests()) == 1
    assert next_day["candidate_not_due"] == 1
    assert not NotificationPreference.objects.filter(user=profile.user).exists()


def test_digest_lists_at_most_the_configured_number_and_keeps_the_rest_for_later(
    jobs, acme, settings
):
    settings.DIGEST_MAX_MATCHES = 2
    profile = _profile(frequency=DigestFrequency.DAILY)
    third = JobFactory(company=acme, title="Platform Engineer")
    _match(profile, jobs["backend"], 0.9)
    _match(profile, jobs["data"], 0.8)
    lowest = _match(profile, third, 0.5)

    digests_send(now=MONDAY_NIGHT)
    digests_send(now=MONDAY_NIGHT + timedelta(days=1))

    first, second = _digests()
    assert len(first.refs) == 2 and "Platform Engineer" not in first.body_text
    assert "1 more new match will follow in your next digest." in first.body_text
    assert second.refs == [lowest.pk]


def test_inactive_user_and_suppressed_address_get_no_digest_and_matches_stay_new(jobs):
    inactive = _profile(frequency=DigestFrequency.DAILY)
    inactive.user.is_active = False
    inactive.user.save()
    bounced = _profile(email="bounced@example.com", frequency=DigestFrequency.DAILY)
    EmailSuppression.objects.create(email="bounced@example.com", reason="bounced")
    matches = [_match(inactive, jobs["backend"], 0.8), _match(bounced, jobs["backend"], 0.8)]

    result = digests_send(now=MONDAY_NIGHT)

    assert _digests() == []
    assert result["candidate_suppressed"] == 1
    assert all(Match.objects.get(pk=m.pk).status == Match.Status.NEW for m in matches)


# --- Exactly once -----------------------------------------------------------------------------


def test_digests_send_twice_queues_each_digest_once(jobs, acme):
    MembershipFactory(company=acme, role=Role.RECRUITER)
    profile = _profile(frequency=DigestFrequency.DAILY)
    _match(profile, jobs["backend"], 0.8)

    first = digests_send(now=MONDAY_NIGHT)
    second = digests_send(now=MONDAY_NIGHT)

    assert first["emails_queued"] == 2  # the candidate's and the recruiter's
    assert second["emails_queued"] == 0
    assert len(_digests(CANDIDATE_KIND)) == 1
    assert len(_digests(RECRUITER_KIND)) == 1


def test_matches_reset_to_new_are_never_queued_again(jobs):
    """The dedupe key is made of the matches: the same ones can't make a second email, even if
    something sets them back to new (a re-run of matching, a restored backup)."""
    profile = _profile(frequency=DigestFrequency.DAILY)
    match = _match(profile, jobs["backend"], 0.8)
    digests_send(now=MONDAY_NIGHT)
    Match.objects.filter(pk=match.pk).update(status=Match.Status.NEW, notified_at=None)

    result = digests_send(now=MONDAY_NIGHT + timedelta(days=1))

    assert result["candidate_duplicate"] == 1
    assert len(_digests()) == 1
    match.refresh_from_db()
    assert match.status == Match.Status.NOTIFIED


@pytest.mark.django_db(transaction=True)
def test_concurrent_digests_send_queue_each_digest_once():
    profile = _profile(frequency=DigestFrequency.DAILY)
    _match(profile, JobFactory(title="Backend Engineer"), 0.8)
    results: list[dict] = []

    def run():
        try:
            results.append(digests_send(now=MONDAY_NIGHT))
        finally:
            connections.close_all()

    # Hold the user's digest lock so both runs are inside the stage at once, then let them go.
    lock = [DIGEST_LOCK_KEYS[CANDIDATE_KIND], profile.user.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", lock)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        _wait_for_advisory_waiters(lock, 2)
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lock)
    for thread in threads:
        thread.join()

    assert sorted(r.get("candidate_queued", 0) for r in results) == [0, 1]
    assert sorted(r.get("candidate_not_due", 0) for r in results) == [0, 1]
    assert len(_digests()) == 1
    assert Match.objects.get().status == Match.Status.NOTIFIED


def _wait_for_advisory_waiters(lock: list[int], count: int) -> None:
    """Block until `count` sessions wait for the advisory lock `lock` of this database."""
    deadline = time.monotonic() + 60  # fail rather than hang if nobody ever waits
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = %s AND objid = %s AND objsubid = 2 "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                lock,
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.01)
    raise AssertionError(f"{count} sessions never queued up behind our lock")


def test_each_digest_email_is_sent_once_through_the_outbox(jobs, mailoutbox):
    profile = _profile(frequency=DigestFrequency.DAILY)
    _match(profile, jobs["backend"], 0.8)
    digests_send(now=MONDAY_NIGHT)
    digests_send(now=MONDAY_NIGHT)

    outbox_send_due(limit=10)
    outbox_send_due(limit=10)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [profile.user.email]


def test_digests_send_reports_through_the_pipeline_run(jobs):
    profile = _profile(frequency=DigestFrequency.DAILY)
    _match(profile, jobs["backend"], 0.8)
    other = _profile(frequency=DigestFrequency.NEVER)
    _match(other, jobs["backend"], 0.8)

    with run_tracked(kind=PipelineRun.Kind.SEND) as progress:
        result = digests_send(now=MONDAY_NIGHT, progress=progress)

    run = PipelineRun.objects.get()
    assert run.status == PipelineRun.Status.SUCCEEDED
    assert run.progress_done == run.progress_total == 1  # the user whose digest is off isn't work
    assert run.stats["counts"] == {"candidate_queued": 1}
    assert result == {"candidate_queued": 1, "emails_queued": 1}


# --- Recruiter digests ------------------------------------------------------------------------


def test_recruiter_digest_lists_the_top_new_matches_of_each_open_job(
    jobs, acme, settings, mailoutbox
):
    settings.DIGEST_MATCHES_PER_JOB = 2
    recruiter = MembershipFactory(company=acme, role=Role.RECRUITER).user
    ada = _profile(name="Ada Lovelace", frequency=DigestFrequency.NEVER)
    alan = _profile(name="Alan Turing", frequency=DigestFrequency.NEVER)
    edsger = _profile(name="Edsger Dijkstra", frequency=DigestFrequency.NEVER)
    _match(ada, jobs["backend"], 0.91)
    _match(alan, jobs["backend"], 0.85)
    _match(edsger, jobs["backend"], 0.60)  # third best on the job: left out
    _match(edsger, jobs["data"], 0.75)
    _match(ada, jobs["closed"], 0.99)  # closed job: left out
    _match(alan, JobFactory(title="Elsewhere Inc role"), 0.99)  # another company's job

    result = digests_send(now=MONDAY_NIGHT)

    assert result["recruiter_queued"] == 1
    [email] = _digests(RECRUITER_KIND)
    assert email.user == recruiter
    assert email.subject == "3 new candidates for your open jobs"
    text = email.body_text
    backend_at, data_at = text.index("Backend Engineer — Acme"), text.index("Data Engineer — Acme")
    assert backend_at < data_at  # the job with the best match first
    backend_part, data_part = text[backend_at:data_at], text[data_at:]
    assert "Ada Lovelace" in backend_part and "Alan Turing" in backend_part
    assert "Edsger Dijkstra" not in backend_part
    assert "Edsger Dijkstra" in data_part and "75% match" in data_part
    assert "Closed Role" not in text and "Elsewhere" not in text
    assert "/admin/pipeline/match/" in text
    # The recruiter digest doesn't change what the candidates are told.
    assert set(Match.objects.values_list("status", flat=True)) == {Match.Status.NEW}


def test_recruiter_digest_goes_to_members_who_may_see_matches(acme, jobs):
    expected = {
        MembershipFactory(company=acme, role=role).user.pk
        for role in (Role.OWNER, Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)
    }
    MembershipFactory(company=acme, role=Role.INTERVIEWER)
    off = MembershipFactory(company=acme, role=Role.RECRUITER).user
    NotificationPreference.objects.create(user=off, recruiter_digest=DigestFrequency.NEVER)
    MembershipFactory(role=Role.RECRUITER)  # another company's recruiter
    _match(_profile(frequency=DigestFrequency.NEVER), jobs["backend"], 0.8)

    digests_send(now=MONDAY_NIGHT)

    assert {email.user_id for email in _digests(RECRUITER_KIND)} == expected


def test_recruiter_digest_never_repeats_a_match_already_sent(acme, jobs):
    recruiter = MembershipFactory(company=acme, role=Role.RECRUITER).user
    ada = _profile(name="Ada Lovelace", frequency=DigestFrequency.NEVER)
    first_match = _match(ada, jobs["backend"], 0.9)
    digests_send(now=MONDAY_NIGHT)
    alan = _profile(name="Alan Turing", frequency=DigestFrequency.NEVER)
    second_match = _match(alan, jobs["backend"], 0.7)

    nothing = digests_send(now=MONDAY_NIGHT + timedelta(hours=1))  # same day: not due
    next_day = digests_send(now=MONDAY_NIGHT + timedelta(days=1))
    day_after = digests_send(now=MONDAY_NIGHT + timedelta(days=2))

    assert nothing["recruiter_not_due"] == 1
    assert next_day["recruiter_queued"] == 1
    assert day_after["recruiter_nothing_new"] == 1
    first, second = _digests(RECRUITER_KIND, user=recruiter)
    assert first.refs == [first_match.pk] and second.refs == [second_match.pk]
    assert "Ada Lovelace" not in second.body_text


# --- Templates, escaping and headers ----------------------------------------------------------


def test_digest_renders_html_and_text_and_escapes_scraped_and_user_data(acme, mailoutbox, settings):
    settings.SITE_URL = "https://jobs.example.com"
    evil = CompanyFactory(name='Evil & Sons <img src=x onerror="alert(1)">')
    job = JobFactory(
        company=evil,
        title="<script>alert('title')</script> Engineer",
        external_url="javascript:alert(1)",
    )
    profile = _profile(name="<b>Mallory</b>", frequency=DigestFrequency.DAILY)
    _match(profile, job, 0.8, explanation={"matched_skills": ["<i>C++</i>"]})
    MembershipFactory(company=evil, role=Role.RECRUITER)

    digests_send(now=MONDAY_NIGHT)
    outbox_send_due(limit=10)

    assert len(mailoutbox) == 2
    for message in mailoutbox:
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert "<script>" not in html and "<img" not in html and "<b>Mallory" not in html
        assert "javascript:" not in html
        assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Engineer" in html
        assert "Evil &amp; Sons &lt;img" in html
        # The text part is plain text: shown as written, never HTML-escaped.
        assert "<script>alert('title')</script> Engineer" in message.body
        assert "&amp;" not in message.body and "&lt;" not in message.body
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = re.search(r"<(https://[^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)
        assert url.startswith("https://jobs.example.com/email/unsubscribe/")
        assert url in html and url in message.body  # the footer link is the same one
    candidate_mail = next(m for m in mailoutbox if m.to == [profile.user.email])
    assert "&lt;i&gt;C++&lt;/i&gt;" in candidate_mail.alternatives[0][0]
    assert "Hello &lt;b&gt;Mallory&lt;/b&gt;," in candidate_mail.alternatives[0][0]


def test_unsubscribe_link_of_a_digest_switches_that_digest_off(jobs, client, mailoutbox):
    profile = _profile(frequency=DigestFrequency.DAILY)
    _match(profile, jobs["backend"], 0.8)
    digests_send(now=MONDAY_NIGHT)
    outbox_send_due(limit=10)
    header = mailoutbox[0].extra_headers["List-Unsubscribe"]
    url = re.search(r"<(https?://[^>]+)>", header).group(1)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert unsubscribe_token_read(token=token) == (profile.user, "match_digest")

    response = client.post(url.removeprefix("http://127.0.0.1:8000"))

    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=profile.user).match_digest == "never"
    _match(profile, jobs["data"], 0.9)
    assert digests_send(now=MONDAY_NIGHT + timedelta(days=1)).get("candidate_queued", 0) == 0
