"""Celery tasks of the pipeline: each loads its run and calls one service."""

from __future__ import annotations

from celery import chain, shared_task
from celery.canvas import Signature
from django.conf import settings

from accounts.models import CandidateProfile
from pipeline.enrich import profile_refresh
from pipeline.models import PipelineRun
from pipeline.orchestration import pipeline_queue, stage_execute
from pipeline.runs import run_cancel_stale

STAGE_LIMITS = {
    "time_limit": settings.PIPELINE_STAGE_TIME_LIMIT,
    "soft_time_limit": settings.PIPELINE_STAGE_TIME_LIMIT - 60,
}


@shared_task(name="pipeline.stage_run", **STAGE_LIMITS)
def stage_run(run_id: int) -> dict:
    run = PipelineRun.objects.select_related("source").get(pk=run_id)
    run = stage_execute(run=run)
    return {"run": run.pk, "status": run.status}


def nightly_chain(children: list[PipelineRun]) -> Signature:
    """One task per stage, in order; a stage that raises stops the ones after it."""
    return chain(*(stage_run.si(child.pk) for child in children))


@shared_task(name="pipeline.nightly")
def nightly() -> int:
    return pipeline_queue(kind=PipelineRun.Kind.NIGHTLY).pk


@shared_task(name="pipeline.scrape_due")
def scrape_due() -> int:
    return pipeline_queue(kind=PipelineRun.Kind.SCRAPE).pk


@shared_task(name="pipeline.runs_fail_stale")
def runs_fail_stale() -> int:
    return run_cancel_stale(older_than_seconds=settings.PIPELINE_STALE_RUN_SECONDS)


@shared_task(name="pipeline.profile_refresh", acks_late=True, ignore_result=True)
def profile_refresh_run(profile_id: int) -> int:
    """Re-read and re-embed a profile its owner changed; a no-op for one deleted since."""
    profile = CandidateProfile.objects.filter(pk=profile_id).first()
    return profile_refresh(profile=profile) if profile is not None else 0


def profile_refresh_queue(*, profile: CandidateProfile) -> None:
    """accounts.registry's profile-changed hook: re-embed once the change is committed."""
    profile_refresh_run.delay_on_commit(profile.pk)
