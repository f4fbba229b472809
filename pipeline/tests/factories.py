import uuid

from django.utils import timezone

from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, UserFactory
from jobs.tests.factories import JobFactory
from pipeline.models import (
    JobEnrichment,
    Match,
    PipelineRun,
    ProfileEnrichment,
    ScrapedPosting,
    Source,
)


def _source():
    return Source.objects.create(
        name=f"Acme board {uuid.uuid4().hex[:8]}",
        kind=Source.Kind.GREENHOUSE,
        company=CompanyFactory(),
        config={"board": "acme"},
    )


def _posting():
    now = timezone.now()
    return ScrapedPosting.objects.create(
        source=_source(),
        job=JobFactory(),
        external_id=uuid.uuid4().hex,
        url="https://boards.example.com/acme/1",
        first_seen_at=now,
        last_seen_at=now,
    )


def _run():
    now = timezone.now()
    return PipelineRun.objects.create(
        kind=PipelineRun.Kind.SCRAPE,
        source=_source(),
        status=PipelineRun.Status.SUCCEEDED,
        progress_done=3,
        progress_total=3,
        triggered_by=UserFactory(),
        started_at=now,
        finished_at=now,
    )


# One fresh row per call, for every model the pipeline admin registers
# (used by recruitment/tests/test_admin_pages.py).
ADMIN_ROWS = {
    Source: _source,
    ScrapedPosting: _posting,
    PipelineRun: _run,
    Match: lambda: Match.objects.create(
        candidate=CandidateProfileFactory(), job=JobFactory(), score=0.8
    ),
    JobEnrichment: lambda: JobEnrichment.objects.create(
        job=JobFactory(), text_hash="0" * 64, features={"version": 1}, enriched_at=timezone.now()
    ),
    ProfileEnrichment: lambda: ProfileEnrichment.objects.create(
        profile=CandidateProfileFactory(),
        text_hash="0" * 64,
        features={"version": 1},
        enriched_at=timezone.now(),
    ),
}
