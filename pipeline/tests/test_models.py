from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import CandidateProfileFactory
from jobs.tests.factories import JobFactory
from pipeline.models import Match, PipelineRun, ScrapedPosting, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return Source.objects.create(
        name="Acme on Greenhouse", kind=Source.Kind.GREENHOUSE, config={"board": "acme"}
    )


def test_a_posting_is_unique_per_source_and_external_id(source):
    now = timezone.now()
    fields = {"url": "https://example.com/1", "first_seen_at": now, "last_seen_at": now}
    ScrapedPosting.objects.create(source=source, external_id="1", **fields)
    with pytest.raises(IntegrityError):
        ScrapedPosting.objects.create(source=source, external_id="1", **fields)


def test_a_posting_is_last_seen_after_it_was_first_seen(source):
    now = timezone.now()
    with pytest.raises(IntegrityError):
        ScrapedPosting.objects.create(
            source=source,
            external_id="2",
            url="https://e.com",
            first_seen_at=now,
            last_seen_at=now - timedelta(seconds=1),
        )


def test_run_progress_stays_within_its_total():
    with pytest.raises(IntegrityError):
        PipelineRun.objects.create(kind=PipelineRun.Kind.MATCH, progress_done=11, progress_total=10)


def test_run_finishes_after_it_starts_and_reports_its_duration():
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        PipelineRun.objects.create(kind="scrape", started_at=now, finished_at=now - timedelta(1))
    run = PipelineRun.objects.create(
        kind="scrape", started_at=now, finished_at=now + timedelta(seconds=3)
    )
    assert run.duration == timedelta(seconds=3)
    assert PipelineRun(kind="scrape").duration is None


def test_one_match_per_candidate_and_job_with_a_score_in_range():
    profile, job = CandidateProfileFactory(), JobFactory()
    match = Match.objects.create(
        candidate=profile, job=job, score=0.8, explanation={"matched_skills": ["python"]}
    )
    assert match.company_id == job.company_id
    with pytest.raises(IntegrityError):
        Match.objects.create(candidate=profile, job=job, score=0.5)


def test_match_score_is_between_zero_and_one():
    with pytest.raises(IntegrityError):
        Match.objects.create(candidate=CandidateProfileFactory(), job=JobFactory(), score=1.5)
