"""PipelineRun bookkeeping: every stage reports status, progress, counts and errors here.

A stage's service takes a `RunProgress` and calls `set_total`, `advance`, `count` and `skip`
while it works. Progress is written to the run's row at most once a second (and at the end), so
the admin shows it live without a write per item. Terminal commands add a listener that draws a
progress bar from the same calls.

    with run_tracked(kind=PipelineRun.Kind.ENRICH) as progress:
        enrich_changed(progress=progress)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils import timezone

from accounts.models import User
from pipeline.models import PipelineRun, Source

logger = logging.getLogger(__name__)

# Written to the row at most this often while a stage runs (seconds).
FLUSH_INTERVAL = 1.0
# Skips keep their first messages for the admin; the count keeps going.
MAX_KEPT_ERRORS = 50


class RunTaken(Exception):
    """Another worker already claimed this run (a redelivered message)."""


Listener = Callable[["RunProgress"], None]


class RunProgress:
    """Progress of one PipelineRun, buffered in memory and flushed to its row."""

    def __init__(self, run: PipelineRun, *, listeners: list[Listener] | None = None):
        self.run = run
        self.done = run.progress_done
        self.total = run.progress_total
        self.counts: dict[str, int] = dict(run.stats.get("counts", {}))
        self.errors: list[str] = list(run.stats.get("errors", []))
        self.listeners = list(listeners or [])
        self._flushed_at = 0.0

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._changed(force=True)

    def add_total(self, extra: int) -> None:
        """Grow the total as work is discovered (e.g. a crawl finding more pages)."""
        self.total = (self.total or 0) + extra
        self._changed()

    def advance(self, n: int = 1, **counts: int) -> None:
        self.done += n
        if self.total is not None and self.done > self.total:
            self.total = self.done
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        self._changed()

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n
        self._changed()

    def skip(self, reason: str, *, detail: str = "") -> None:
        """Record a skipped item: counted under `skipped.<reason>`, first messages kept."""
        self.count(f"skipped.{reason}")
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(f"{reason}: {detail}"[:500] if detail else reason)
        logger.warning(
            "pipeline item skipped",
            extra={"run": self.run.pk, "reason": reason, "detail": detail[:500]},
        )

    def stats(self) -> dict:
        stats = dict(self.run.stats)
        stats["counts"] = self.counts
        if self.errors:
            stats["errors"] = self.errors
        return stats

    def flush(self) -> None:
        self._flushed_at = time.monotonic()
        if self.total is not None and self.done > self.total:
            self.total = self.done
        self.run.progress_done = self.done
        self.run.progress_total = self.total
        self.run.stats = self.stats()
        PipelineRun.objects.filter(pk=self.run.pk).update(
            progress_done=self.done, progress_total=self.total, stats=self.run.stats
        )

    def _changed(self, *, force: bool = False) -> None:
        for listener in self.listeners:
            listener(self)
        if force or time.monotonic() - self._flushed_at >= FLUSH_INTERVAL:
            self.flush()


def run_create(
    *,
    kind: str,
    source: Source | None = None,
    parent: PipelineRun | None = None,
    triggered_by: User | None = None,
) -> PipelineRun:
    run = PipelineRun(kind=kind, source=source, parent=parent, triggered_by=triggered_by)
    run.full_clean()
    run.save()
    return run


def run_claim(*, run: PipelineRun) -> bool:
    """Move a queued run to running. False when another worker already took it (a redelivered
    message), so a stage never runs twice for one run."""
    now = timezone.now()
    claimed = PipelineRun.objects.filter(pk=run.pk, status=PipelineRun.Status.QUEUED).update(
        status=PipelineRun.Status.RUNNING, started_at=now
    )
    if claimed:
        run.status, run.started_at = PipelineRun.Status.RUNNING, now
    return bool(claimed)


def run_finish(*, run: PipelineRun, progress: RunProgress | None, error: str = "") -> PipelineRun:
    if progress is not None:
        progress.flush()
    run.status = PipelineRun.Status.FAILED if error else PipelineRun.Status.SUCCEEDED
    run.error = error[:10_000]
    run.finished_at = timezone.now()
    run.started_at = run.started_at or run.finished_at
    PipelineRun.objects.filter(pk=run.pk).update(
        status=run.status,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )
    return run


def run_cancel_stale(*, older_than_seconds: int) -> int:
    """Fail runs still 'running' long after any stage could take (a killed worker)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return PipelineRun.objects.filter(
        status=PipelineRun.Status.RUNNING, started_at__lt=cutoff
    ).update(
        status=PipelineRun.Status.FAILED,
        finished_at=timezone.now(),
        error="stopped without finishing (worker lost or killed)",
    )


@contextmanager
def run_tracked(
    *,
    run: PipelineRun | None = None,
    kind: str | None = None,
    source: Source | None = None,
    parent: PipelineRun | None = None,
    triggered_by: User | None = None,
    listeners: list[Listener] | None = None,
) -> Iterator[RunProgress]:
    """Run a stage under a PipelineRun: running → succeeded, or failed with the error.

    Pass an existing queued `run` (created when the work was queued), or a `kind` to create one.
    The exception is re-raised after the run is marked failed.
    """
    if run is None:
        if kind is None:
            raise ValueError("run_tracked needs a run or a kind")
        run = run_create(kind=kind, source=source, parent=parent, triggered_by=triggered_by)
    if run.status == PipelineRun.Status.QUEUED and not run_claim(run=run):
        raise RunTaken(f"pipeline run {run.pk} is already taken")
    progress = RunProgress(run, listeners=listeners)
    started = time.monotonic()
    try:
        yield progress
    except BaseException as error:
        run_finish(run=run, progress=progress, error=f"{type(error).__name__}: {error}")
        logger.exception("pipeline run failed", extra={"run": run.pk, "kind": run.kind})
        raise
    run_finish(run=run, progress=progress)
    logger.info(
        "pipeline run finished",
        extra={
            "run": run.pk,
            "kind": run.kind,
            "seconds": round(time.monotonic() - started, 2),
            "counts": progress.counts,
        },
    )
