"""The pipeline board's cards carry the matcher's score (plugged in by PipelineConfig.ready)."""

import pytest
from django.urls import reverse

from accounts.tests.factories import CandidateProfileFactory, UserFactory
from applications.services import application_submit
from jobs.tests.factories import JobFactory
from pipeline.models import Match

pytestmark = pytest.mark.django_db


def test_board_cards_show_the_current_match_score(client, company, recruiter):
    job = JobFactory(company=company)
    scored, stale, unscored = (
        application_submit(job=job, candidate=UserFactory(), consent_processing=True)
        for _ in range(3)
    )
    Match.objects.create(
        candidate=CandidateProfileFactory(user=scored.candidate), job=job, score=0.87
    )
    Match.objects.create(
        candidate=CandidateProfileFactory(user=stale.candidate),
        job=job,
        score=0.5,
        stale_at="2026-01-01T00:00:00Z",
    )
    client.force_login(recruiter)

    response = client.get(reverse("admin:jobs_job_board", args=[job.pk]))

    scores = {card.application.pk: card.score for card in response.context["columns"][0].cards}
    assert scores == {scored.pk: 0.87, stale.pk: None, unscored.pk: None}
    assert response.content.decode().count("match 87%") == 1
