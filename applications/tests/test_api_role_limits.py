"""The partner API applies the back office's role limits (applications.selectors): a hiring
manager reads only what belongs to the jobs whose hiring team they are on, an interviewer only
the interviews they sit on, and an API key reads its whole company."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import membership_set
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, UserFactory
from applications.models import Interview, Note, Offer, Scorecard
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from pipeline.models import Match

pytestmark = pytest.mark.django_db


class Hiring:
    """One company with two jobs: the manager is on the first job's hiring team only, the
    interviewer on the first job's interview only."""

    def __init__(self):
        self.company = CompanyFactory()
        self.manager = self._member(Role.HIRING_MANAGER)
        self.interviewer = self._member(Role.INTERVIEWER)
        self.theirs, self.others = (
            JobFactory(company=self.company),
            JobFactory(company=self.company),
        )
        self.theirs.hiring_team.add(self.manager)
        self.mine = self._hiring(self.theirs)
        self.not_mine = self._hiring(self.others)
        self.mine["interview"].interviewers.add(self.interviewer)

    def _member(self, role):
        user = UserFactory()
        membership_set(company=self.company, user=user, role=role, actor=None)
        return user

    def _hiring(self, job) -> dict:
        candidate = CandidateProfileFactory().user
        application = application_submit(job=job, candidate=candidate, consent_processing=True)
        starts = timezone.now() + timedelta(days=1)
        interview = Interview.objects.create(
            application=application, starts_at=starts, ends_at=starts + timedelta(hours=1)
        )
        return {
            "job": job,
            "candidate": candidate,
            "application": application,
            "interview": interview,
            "offer": Offer.objects.create(application=application, salary=1, currency="EUR"),
            "note": Note.objects.create(application=application, body="Note.", author=None),
            "match": Match.objects.create(
                candidate=candidate.candidate_profile, job=job, score=0.9
            ),
        }


@pytest.fixture
def hiring():
    return Hiring()


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# Each resource: its list URL, its detail URL, and the row of a Hiring's side that it shows.
RESOURCES = [
    ("/api/v1/applications", "/api/v1/applications/{}", "application"),
    ("/api/v1/candidates", "/api/v1/candidates/{}", "candidate"),
    ("/api/v1/interviews", "/api/v1/interviews/{}", "interview"),
    ("/api/v1/offers", "/api/v1/offers/{}", "offer"),
    ("/api/v1/notes", "/api/v1/notes/{}", "note"),
    ("/api/v1/jobs", "/api/v1/jobs/{}", "job"),
]


@pytest.mark.parametrize(("list_url", "detail_url", "row"), RESOURCES)
def test_a_hiring_manager_reads_only_their_hiring_teams_rows(hiring, list_url, detail_url, row):
    client = _client(hiring.manager)
    ids = _ids(client.get(list_url))
    assert hiring.mine[row].pk in ids
    assert hiring.not_mine[row].pk not in ids
    assert client.get(detail_url.format(hiring.mine[row].pk)).status_code == 200
    assert client.get(detail_url.format(hiring.not_mine[row].pk)).status_code == 404


@pytest.mark.parametrize(("list_url", "detail_url", "row"), RESOURCES)
def test_an_api_key_reads_its_whole_company(hiring, key_client, list_url, detail_url, row):
    client = key_client(
        hiring.company,
        "applications:read",
        "candidates:read",
        "interviews:read",
        "offers:read",
        "jobs:read",
    )
    ids = _ids(client.get(list_url))
    assert {hiring.mine[row].pk, hiring.not_mine[row].pk} <= ids


def test_a_recruiter_reads_every_job_of_the_company(hiring):
    recruiter = UserFactory()
    membership_set(company=hiring.company, user=recruiter, role=Role.RECRUITER, actor=None)
    ids = _ids(_client(recruiter).get("/api/v1/applications"))
    assert {hiring.mine["application"].pk, hiring.not_mine["application"].pk} <= ids


def test_a_hiring_manager_searches_only_their_hiring_teams_applicants(hiring):
    for side in (hiring.mine, hiring.not_mine):
        side["candidate"].full_name = "Zebediah Quartermaine"
        side["candidate"].save(update_fields=["full_name"])
    response = _client(hiring.manager).get("/api/v1/search/candidates", {"q": "Zebediah"})
    assert response.status_code == 200
    found = {hit["candidate"]["id"] for hit in response.json()["results"]}
    assert found == {hiring.mine["candidate"].pk}


def test_a_hiring_manager_writes_notes_only_on_their_hiring_teams_applications(hiring):
    client = _client(hiring.manager)
    ok = client.post(
        "/api/v1/notes", {"application": hiring.mine["application"].pk, "body": "Fine."}
    )
    assert ok.status_code == 201
    refused = client.post(
        "/api/v1/notes", {"application": hiring.not_mine["application"].pk, "body": "Hm."}
    )
    assert refused.status_code == 400
    assert not Note.objects.filter(body="Hm.").exists()


def test_a_hiring_manager_reads_matches_only_of_their_hiring_teams_jobs(hiring):
    client = _client(hiring.manager)
    assert client.get(f"/api/v1/jobs/{hiring.theirs.pk}/matches").status_code == 200
    assert client.get(f"/api/v1/jobs/{hiring.others.pk}/matches").status_code == 404


def test_an_interviewer_reads_only_the_interviews_they_sit_on(hiring):
    client = _client(hiring.interviewer)
    assert _ids(client.get("/api/v1/interviews")) == {hiring.mine["interview"].pk}
    assert client.get(f"/api/v1/interviews/{hiring.not_mine['interview'].pk}").status_code == 404
    # Nor the applications, candidates or offers behind them: no such permission.
    for url in ("/api/v1/candidates", "/api/v1/offers", "/api/v1/notes"):
        assert client.get(url).status_code == 403, url
    assert _ids(client.get("/api/v1/applications")) == set()


def test_an_interviewer_reads_the_jobs_they_interview_for(hiring):
    assert _ids(_client(hiring.interviewer).get("/api/v1/jobs")) == {hiring.theirs.pk}


def test_a_hiring_manager_reads_scorecards_only_of_their_hiring_teams_interviews(hiring):
    mine = Scorecard.objects.create(
        interview=hiring.mine["interview"],
        author=hiring.interviewer,
        submitted_at=timezone.now(),
        recommendation="yes",
    )
    other = Scorecard.objects.create(
        interview=hiring.not_mine["interview"],
        author=UserFactory(),
        submitted_at=timezone.now(),
        recommendation="yes",
    )
    ids = _ids(_client(hiring.manager).get("/api/v1/scorecards"))
    assert mine.pk in ids
    assert other.pk not in ids
