"""Queue and run the pipeline's stages: scrape, enrich, match, send, and the nightly chain.

`pipeline_queue` creates the PipelineRun rows and sends the Celery tasks once the transaction
commits; `stage_execute` does one stage's work under its run (tasks and management commands call
it). The nightly run is a parent run with one queued child per stage, executed by a Celery chain:
each stage claims its own run, so a redelivered message never runs a stage twice, and a failed
stage fails the parent and cancels the stages after it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.mail import outbox_send_due
from accounts.models import User
from pipeline.digests import digests_send
from pipeline.enrich import jobs_enrich, profiles_enrich
from pipeline.matching import match_run
from pipeline.models import PipelineRun, Source
from pipeline.runs import (
    Listener,
    RunProgress,
    RunTaken,
    run_create,
    run_finish,
    run_tracked,
)
from pipeline.scraping.process import crawl_in_subprocess
from pipeline.selectors import run_last_succeeded, sources_due

logger = logging.getLogger(__name__)

QUEUE_ERRORS = (BrokerError, redis.RedisError)

Kind = PipelineRun.Kind
Status = PipelineRun.Status
STAGES = (Kind.SCRAPE, Kind.ENRICH, Kind.MATCH, Kind.SEND)


def _runs_create(
    *, kind: str, source: Source | None, triggered_by: User | None
) -> tuple[PipelineRun, list[PipelineRun]]:
    if kind not in Kind.values:
        raise ValueError(f"unknown pipeline stage {kind!r}")
    if source is not None and kind != Kind.SCRAPE:
        raise ValueError("only a scrape run has a source")
    run = run_create(kind=kind, source=source, triggered_by=triggered_by)
    if kind != Kind.NIGHTLY:
        return run, []
    run.progress_total = len(STAGES)
    run.save(update_fields=["progress_total"])
    children = [run_create(kind=stage, parent=run, triggered_by=triggered_by) for stage in STAGES]
    return run, children


def pipeline_queue(
    *, kind: str, source: Source | None = None, triggered_by: User | None = None
) -> PipelineRun:
    """Create the queued run for `kind` (a nightly run gets one child per stage) and queue its
    task(s) when the transaction commits. Return the run to watch."""
    from pipeline import tasks

    with transaction.atomic():
        run, children = _runs_create(kind=kind, source=source, triggered_by=triggered_by)

        def send() -> None:
            try:
                if children:
                    tasks.nightly_chain(children).apply_async()
                else:
                    tasks.stage_run.delay(run.pk)
            except QUEUE_ERRORS:
                # No worker will ever take these runs: say so on them, then let the caller
                # answer (the API: 503).
                for queued in [run, *children]:
                    queued.refresh_from_db()
                    run_finish(run=queued, progress=None, error="the task queue was unavailable")
                raise

        transaction.on_commit(send)
    return run


def pipeline_execute(
    *,
    kind: str,
    source: Source | None = None,
    triggered_by: User | None = None,
    listeners: list[Listener] | None = None,
) -> PipelineRun:
    """Run `kind` now, in this process (management commands); return the finished run."""
    run, children = _runs_create(kind=kind, source=source, triggered_by=triggered_by)
    for child in children:
        stage_execute(run=child, listeners=listeners)
    if not children:
        stage_execute(run=run, listeners=listeners)
    run.refresh_from_db()
    return run


def stage_execute(*, run: PipelineRun, listeners: list[Listener] | None = None) -> PipelineRun:
    """Do the work of one queued stage run and return it finished (or raise after marking it
    failed). A nightly child also moves its parent along."""
    if run.parent_id:
        PipelineRun.objects.filter(pk=run.parent_id, status=Status.QUEUED).update(
            status=Status.RUNNING, started_at=timezone.now()
        )
    try:
        if run.kind == Kind.SCRAPE and run.source_id:
            _scrape_one(run)
        else:
            with run_tracked(run=run, listeners=listeners) as progress:
                STAGE_WORK[run.kind](progress)
    except RunTaken:
        # A redelivered message for a stage another worker took: leave both runs as they are
        # (the stale-run sweep fails them if that worker died) and stop the chain here.
        raise
    except BaseException:
        if run.parent_id:
            _nightly_fail(run)
        raise
    run.refresh_from_db()
    if run.parent_id:
        _nightly_advance(run)
    return run


def _scrape_one(run: PipelineRun) -> None:
    """The crawl runs in its own process (Twisted's reactor cannot restart in a worker); the
    child process reports into `run` itself."""
    code = crawl_in_subprocess(source=run.source, run=run)
    run.refresh_from_db()
    if code != 0 or run.status != Status.SUCCEEDED:
        raise StageFailed(run.error or f"crawl of {run.source} exited with {code}")


def _scrape_due(progress: RunProgress) -> None:
    """Crawl every due source, PIPELINE_CRAWL_CONCURRENCY at a time, each in its own process
    and its own child run. One broken source does not stop the others."""
    sources = list(sources_due())
    progress.set_total(len(sources))
    children = {
        source.pk: run_create(kind=Kind.SCRAPE, source=source, parent=progress.run)
        for source in sources
    }
    workers = max(1, settings.PIPELINE_CRAWL_CONCURRENCY)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crawl") as pool:
        futures = {
            pool.submit(_crawl_in_thread, source, children[source.pk]): source for source in sources
        }
        for future in as_completed(futures):
            source = futures[future]
            code = future.result()
            child = children[source.pk]
            child.refresh_from_db()
            if code == 0 and child.status == Status.SUCCEEDED:
                progress.advance(**_int_counts(child.stats.get("counts", {})))
            else:
                progress.skip("source_failed", detail=f"{source.name}: {child.error}")
                progress.advance()


def _crawl_in_thread(source: Source, run: PipelineRun) -> int:
    try:
        return crawl_in_subprocess(source=source, run=run)
    finally:
        connection.close()  # this thread's own connection


def _enrich(progress: RunProgress) -> None:
    jobs_enrich(progress=progress)
    profiles_enrich(progress=progress)


def _match(progress: RunProgress) -> None:
    last = run_last_succeeded(kind=Kind.MATCH)
    match_run(since=last.started_at if last else None, progress=progress)


def _send(progress: RunProgress) -> None:
    digests_send(progress=progress)
    outbox_send_due(progress=progress)


STAGE_WORK = {
    Kind.SCRAPE: _scrape_due,
    Kind.ENRICH: _enrich,
    Kind.MATCH: _match,
    Kind.SEND: _send,
}


class StageFailed(Exception):
    """A stage ended without success (its run holds the details)."""


def _int_counts(counts: dict) -> dict:
    return {key: value for key, value in counts.items() if isinstance(value, int)}


def _nightly_advance(child: PipelineRun) -> None:
    with transaction.atomic():
        parent = PipelineRun.objects.select_for_update().get(pk=child.parent_id)
        now = timezone.now()
        parent.progress_done = parent.children.filter(status=Status.SUCCEEDED).count()
        parent.stats = {
            **parent.stats,
            child.kind: {"run": child.pk, "counts": child.stats.get("counts", {})},
        }
        if parent.progress_done >= (parent.progress_total or len(STAGES)):
            parent.status, parent.finished_at = Status.SUCCEEDED, now
            parent.started_at = parent.started_at or now
        parent.save(update_fields=["status", "started_at", "progress_done", "stats", "finished_at"])


def _nightly_fail(child: PipelineRun) -> None:
    child.refresh_from_db()
    with transaction.atomic():
        parent = PipelineRun.objects.select_for_update().get(pk=child.parent_id)
        parent.children.filter(status=Status.QUEUED).update(
            status=Status.CANCELLED, error=f"cancelled: the {child.kind} stage failed"
        )
        run_finish(run=parent, progress=None, error=f"the {child.kind} stage failed: {child.error}")
