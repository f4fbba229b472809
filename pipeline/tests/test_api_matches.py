"""Matches in the partner API: a job's best candidates for its company, a candidate's best jobs
for that candidate alone, with the explanations the matcher stored."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import CandidateProfileFactory, MembershipFactory
from jobs.models import Job
from jobs.tests.factories import JobFactory
from pipeline.models import Match

pytestmark = pytest.mark.django_db

EXPLANATION = {
    "summary": "Strong match.",
    "matched_skills": ["python", "django"],
    "missing_required_skills": ["kubernetes"],
    "matched_nice_to_have": [],
    "reasons": ["Backend Engineer is the candidate's role.", "Both in Berlin."],
    "blocked_by": [],
}


def _match(job, profile=None, *, score=0.8, **fields):
    return Match.objects.create(
        job=job,
        candidate=profile or CandidateProfileFactory(),
        score=score,
        score_parts={"role": 1.0, "skills": 0.667, "semantic": None},
        explanation=EXPLANATION,
        **fields,
    )


def _url(job):
    return f"/api/v1/jobs/{job.pk}/matches"


def _ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# --- A job's best candidates ----------------------------------------------------------------


def test_a_hiring_manager_sees_the_jobs_candidates_best_first_with_their_explanations(
    api_client, company, hiring_manager
):
    job = JobFactory(company=company)
    job.hiring_team.add(hiring_manager)  # a hiring manager sees their hiring teams' jobs
    good = _match(job, score=0.91)
    fair = _match(job, score=0.62)
    api_client.force_login(hiring_manager)

    response = api_client.get(_url(job))

    assert _ids(response) == [good.pk, fair.pk]
    first = response.json()["results"][0]
    assert first["score"] == 0.91
    assert first["explanation"] == EXPLANATION
    assert first["parts"] == {"role": 1.0, "skills": 0.667, "semantic": None}
    assert first["candidate"]["id"] == good.candidate.user_id
    assert first["candidate"]["name"] == good.candidate.user.full_name
    assert first["candidate"]["headline"] == "Backend engineer"
    assert (first["status"], first["label"]) == ("new", "")


def test_an_explanation_missing_from_an_old_row_reads_as_empty(api_client, company, recruiter):
    job = JobFactory(company=company)
    Match.objects.create(job=job, candidate=CandidateProfileFactory(), score=0.5)
    api_client.force_login(recruiter)

    (row,) = api_client.get(_url(job)).json()["results"]

    assert row["explanation"] == {
        "summary": "",
        "reasons": [],
        "matched_skills": [],
        "missing_required_skills": [],
        "matched_nice_to_have": [],
        "blocked_by": [],
    }
    assert row["parts"] == {}


def test_a_key_with_the_matches_scope_reads_its_companys_job(key_client, company):
    job = JobFactory(company=company)
    match = _match(job)
    assert _ids(key_client(company, "matches:read").get(_url(job))) == [match.pk]


def test_a_key_without_the_matches_scope_is_refused(key_client, company):
    job = JobFactory(company=company)
    _match(job)
    response = key_client(company, "jobs:read", "candidates:read").get(_url(job))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_another_companys_job_answers_like_a_missing_one(
    api_client, key_client, company, other_company
):
    job = JobFactory(company=company)
    _match(job)
    other_key = key_client(other_company, "matches:read")
    assert other_key.get(_url(job)).status_code == 404
    assert other_key.get("/api/v1/jobs/999999999/matches").status_code == 404

    api_client.force_login(MembershipFactory(company=other_company, role=Role.OWNER).user)
    assert api_client.get(_url(job)).status_code == 404


def test_an_interviewer_may_not_see_matches(api_client, company, interviewer):
    job = JobFactory(company=company)
    _match(job)
    api_client.force_login(interviewer)
    assert api_client.get(_url(job)).status_code == 403


def test_a_member_who_sees_the_job_but_not_its_matches_is_refused_not_misled(
    api_client, company, other_company
):
    """An interviewer here who is a hiring manager elsewhere may see the job: 403, not 404."""
    job = JobFactory(company=company)
    _match(job)
    user = MembershipFactory(company=company, role=Role.INTERVIEWER).user
    MembershipFactory(user=user, company=other_company, role=Role.HIRING_MANAGER)
    api_client.force_login(user)
    assert api_client.get(_url(job)).status_code == 403


def test_a_candidate_and_anonymous_callers_are_refused(api_client, company, candidate):
    job = JobFactory(company=company)
    match = _match(job)
    assert api_client.get(_url(job)).status_code == 401
    api_client.force_login(match.candidate.user)  # even the matched candidate
    assert api_client.get(_url(job)).status_code == 403
    api_client.force_login(candidate)
    assert api_client.get(_url(job)).status_code == 403


def test_a_superuser_sees_any_companys_matches(api_client, company, superuser):
    job = JobFactory(company=company)
    match = _match(job)
    api_client.force_login(superuser)
    assert _ids(api_client.get(_url(job))) == [match.pk]


def test_stale_matches_and_deactivated_candidates_are_left_out(api_client, company, recruiter):
    job = JobFactory(company=company)
    current = _match(job)
    _match(job, stale_at=timezone.now(), status=Match.Status.NOTIFIED)
    gone = _match(job)
    gone.candidate.user.is_active = False
    gone.candidate.user.save()
    api_client.force_login(recruiter)
    assert _ids(api_client.get(_url(job))) == [current.pk]


def test_filters_by_score_status_and_time(api_client, company, recruiter):
    job = JobFactory(company=company)
    old = _match(job, score=0.9)
    Match.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=10),
        updated_at=timezone.now() - timedelta(days=10),
    )
    low = _match(job, score=0.4)
    notified = _match(job, score=0.7, status=Match.Status.NOTIFIED)
    api_client.force_login(recruiter)
    since = quote((timezone.now() - timedelta(days=1)).isoformat())

    assert _ids(api_client.get(_url(job), {"min_score": "0.5"})) == [old.pk, notified.pk]
    assert _ids(api_client.get(_url(job), {"status": "notified"})) == [notified.pk]
    assert _ids(api_client.get(f"{_url(job)}?updated_after={since}")) == [notified.pk, low.pk]
    assert _ids(api_client.get(f"{_url(job)}?created_after={since}")) == [notified.pk, low.pk]


def test_limit_and_cursor_walk_every_match_once_best_first(api_client, company, recruiter):
    job = JobFactory(company=company)
    # Ties on the score are ordered by id, newest first, across pages too.
    matches = [_match(job, score=score) for score in (0.9, 0.7, 0.7, 0.7, 0.5)]
    api_client.force_login(recruiter)

    seen, url, pages = [], f"{_url(job)}?limit=2", 0
    while url:
        response = api_client.get(url)
        seen += _ids(response)
        url = response.json()["next"]
        pages += 1
        if url:
            assert response["Link"].startswith(f"<{url}>")
    by_rank = sorted(matches, key=lambda m: (-m.score, -m.pk))
    assert seen == [m.pk for m in by_rank]
    assert pages == 3


def test_the_job_list_costs_the_same_queries_for_one_match_or_six(key_client, company):
    few, many = JobFactory(company=company), JobFactory(company=company)
    _match(few)
    for _ in range(6):
        _match(many)
    client = key_client(company, "matches:read")
    client.get(_url(few))  # the key's first use writes its last-used time

    counts = []
    for job, rows in ((few, 1), (many, 6)):
        with CaptureQueriesContext(connection) as queries:
            assert len(_ids(client.get(_url(job)))) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=ten",
        "min_score=1.5",
        "min_score=-0.1",
        "min_score=high",
        "status=maybe",
        "updated_after=yesterday",
        "created_after=2026-13-45",
        "cursor=not-a-cursor",
    ],
)
def test_bad_filters_are_a_400_with_the_field(api_client, company, recruiter, query):
    job = JobFactory(company=company)
    _match(job)
    api_client.force_login(recruiter)
    response = api_client.get(f"{_url(job)}?{query}")
    assert response.status_code == 400, response.content
    assert query.split("=")[0] in response.json()["error"]["fields"]


def test_a_forged_cursor_is_a_400_not_a_server_error(api_client, company, recruiter):
    job = JobFactory(company=company)
    _match(job)
    api_client.force_login(recruiter)
    forged = base64.b64encode(b"o=0&r=0&p=not-a-score").decode()
    response = api_client.get(_url(job), {"cursor": forged})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_a_job_id_beyond_any_row_is_a_404(api_client, recruiter):
    api_client.force_login(recruiter)
    assert api_client.get("/api/v1/jobs/99999999999999999999/matches").status_code == 404


# --- A candidate's best jobs -----------------------------------------------------------------


def test_a_candidate_sees_their_best_open_jobs_with_explanations(api_client, company):
    profile = CandidateProfileFactory()
    best = _match(JobFactory(company=company, title="Staff Engineer"), profile, score=0.95)
    second = _match(JobFactory(company=company), profile, score=0.6)
    closed = JobFactory(company=company)
    _match(closed, profile, score=0.99)
    Job.objects.filter(pk=closed.pk).update(status=Job.Status.CLOSED)
    _match(JobFactory(company=company), profile, stale_at=timezone.now(), label="good")
    api_client.force_login(profile.user)

    response = api_client.get("/api/v1/users/me/matches")

    assert _ids(response) == [best.pk, second.pk]
    first = response.json()["results"][0]
    assert first["job"]["title"] == "Staff Engineer"
    assert first["job"]["company"] == {"id": company.pk, "name": company.name}
    assert first["explanation"]["reasons"] == EXPLANATION["reasons"]


def test_candidate_a_never_sees_candidate_bs_matches(api_client, company):
    job = JobFactory(company=company)
    a, b = CandidateProfileFactory(), CandidateProfileFactory()
    mine = _match(job, a)
    _match(job, b)
    _match(JobFactory(company=company), b)
    api_client.force_login(a.user)
    assert _ids(api_client.get("/api/v1/users/me/matches")) == [mine.pk]
    api_client.force_login(b.user)
    assert mine.pk not in _ids(api_client.get("/api/v1/users/me/matches"))


def test_someone_without_a_candidate_profile_has_no_matches(api_client, recruiter):
    api_client.force_login(recruiter)
    assert _ids(api_client.get("/api/v1/users/me/matches")) == []


def test_a_key_has_no_candidate_and_anonymous_callers_must_sign_in(api_client, key_client, company):
    _match(JobFactory(company=company))
    assert key_client(company, "matches:read").get("/api/v1/users/me/matches").status_code == 403
    assert api_client.get("/api/v1/users/me/matches").status_code == 401


def test_the_candidate_list_filters_pages_and_costs_the_same_queries_for_one_or_six(
    api_client, company
):
    lone, busy = CandidateProfileFactory(), CandidateProfileFactory()
    _match(JobFactory(company=company), lone)
    for score in (0.9, 0.8, 0.7, 0.6, 0.5, 0.4):
        _match(JobFactory(company=company), busy, score=score)

    counts = []
    for profile, rows in ((lone, 1), (busy, 6)):
        api_client.force_login(profile.user)
        with CaptureQueriesContext(connection) as queries:
            assert len(_ids(api_client.get("/api/v1/users/me/matches"))) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]

    assert len(_ids(api_client.get("/api/v1/users/me/matches", {"min_score": 0.65}))) == 3
    page = api_client.get("/api/v1/users/me/matches", {"limit": 4}).json()
    assert len(page["results"]) == 4
    assert parse_qs(urlsplit(page["next"]).query)["limit"] == ["4"]
    bad = api_client.get("/api/v1/users/me/matches", {"limit": 500, "updated_after": "soon"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"limit", "updated_after"}
