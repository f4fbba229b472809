"""Run bookkeeping: claiming, buffered progress, counted skips, failure and stale runs."""

from datetime import timedelta
from io import StringIO

import pytest
from django.utils import timezone

from pipeline.management.progress import ProgressBar, bar_line, run_summary
from pipeline.models import PipelineRun, Source
from pipeline.runs import (
    MAX_KEPT_ERRORS,
    RunProgress,
    RunTaken,
    run_cancel_stale,
    run_claim,
    run_create,
    run_tracked,
)
from pipeline.selectors import sources_due

pytestmark = pytest.mark.django_db

Kind, Status = PipelineRun.Kind, PipelineRun.Status


def test_run_tracked_marks_a_stage_succeeded_with_its_progress_and_counts():
    with run_tracked(kind=Kind.ENRICH) as progress:
        progress.set_total(3)
        progress.advance(created=1)
        progress.advance(2, created=1, unchanged=1)
    run = PipelineRun.objects.get(pk=progress.run.pk)
    assert run.status == Status.SUCCEEDED
    assert (run.progress_done, run.progress_total) == (3, 3)
    assert run.stats["counts"] == {"created": 2, "unchanged": 1}
    assert run.started_at <= run.finished_at
    assert run.error == ""


def test_run_tracked_marks_the_run_failed_and_reraises():
    with pytest.raises(ZeroDivisionError), run_tracked(kind=Kind.MATCH) as progress:
        progress.advance()
        1 / 0  # noqa: B018
    run = PipelineRun.objects.get(pk=progress.run.pk)
    assert run.status == Status.FAILED
    assert run.error.startswith("ZeroDivisionError")
    assert run.progress_done == 1 and run.finished_at is not None


def test_a_queued_run_is_claimed_once():
    run = run_create(kind=Kind.SEND)
    assert run_claim(run=run) is True
    assert run_claim(run=PipelineRun.objects.get(pk=run.pk)) is False
    # A redelivered message loads the row before the first worker claimed it: it loses the
    # claim and does no work.
    second = run_create(kind=Kind.SEND)
    stale_copy = PipelineRun.objects.get(pk=second.pk)
    run_claim(run=second)
    worked = []
    with pytest.raises(RunTaken), run_tracked(run=stale_copy):
        worked.append(True)
    assert worked == []


def test_progress_is_flushed_to_the_row_while_the_stage_runs():
    run = run_create(kind=Kind.ENRICH)
    progress = RunProgress(run)
    progress.set_total(10)  # a new total is written at once
    assert PipelineRun.objects.get(pk=run.pk).progress_total == 10
    progress._flushed_at = 0  # the interval has passed
    progress.advance(4)
    assert PipelineRun.objects.get(pk=run.pk).progress_done == 4


def test_progress_never_reports_more_done_than_total():
    with run_tracked(kind=Kind.SCRAPE) as progress:
        progress.set_total(2)
        progress.advance(5)
    run = PipelineRun.objects.get(pk=progress.run.pk)
    assert run.progress_done == run.progress_total == 5


def test_skips_are_counted_by_reason_and_the_first_messages_kept():
    with run_tracked(kind=Kind.SCRAPE) as progress:
        for n in range(MAX_KEPT_ERRORS + 5):
            progress.skip("broken_json_ld", detail=f"page {n}")
        progress.skip("too_large")
    run = PipelineRun.objects.get(pk=progress.run.pk)
    assert run.stats["counts"] == {
        "skipped.broken_json_ld": MAX_KEPT_ERRORS + 5,
        "skipped.too_large": 1,
    }
    assert len(run.stats["errors"]) == MAX_KEPT_ERRORS
    assert run.stats["errors"][0] == "broken_json_ld: page 0"
    assert run.status == Status.SUCCEEDED  # skips are not failures


def test_runs_left_running_by_a_dead_worker_are_failed():
    stale = run_create(kind=Kind.MATCH)
    run_claim(run=stale)
    PipelineRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - timedelta(hours=5))
    fresh = run_create(kind=Kind.MATCH)
    run_claim(run=fresh)
    assert run_cancel_stale(older_than_seconds=3600) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Status.FAILED and "worker" in stale.error
    assert fresh.status == Status.RUNNING


def _source(name, schedule, crawled_hours_ago=None, **fields):
    last = timezone.now() - timedelta(hours=crawled_hours_ago) if crawled_hours_ago else None
    return Source.objects.create(
        name=name, kind=Source.Kind.LEVER, schedule=schedule, last_crawled_at=last, **fields
    )


def test_sources_due_follow_their_schedule():
    never = _source("never crawled", Source.Schedule.DAILY)
    daily_old = _source("daily, yesterday", Source.Schedule.DAILY, crawled_hours_ago=23)
    _source("daily, this morning", Source.Schedule.DAILY, crawled_hours_ago=3)
    hourly = _source("hourly", Source.Schedule.HOURLY, crawled_hours_ago=1)
    _source("weekly, recent", Source.Schedule.WEEKLY, crawled_hours_ago=48)
    _source("manual", Source.Schedule.MANUAL)
    _source("inactive", Source.Schedule.DAILY, is_active=False)
    busy = _source("being crawled", Source.Schedule.DAILY)
    run_claim(run=run_create(kind=Kind.SCRAPE, source=busy))
    assert list(sources_due()) == [daily_old, hourly, never]


def test_the_progress_bar_draws_only_on_a_terminal():
    class Terminal(StringIO):
        def isatty(self):
            return True

    run = run_create(kind=Kind.ENRICH)
    piped, terminal = StringIO(), Terminal()
    for stream in (piped, terminal):
        bar = ProgressBar(stream)
        progress = RunProgress(run, listeners=[bar])
        progress.set_total(4)
        bar.close()
    assert piped.getvalue() == ""
    assert terminal.getvalue() == "\r" + bar_line("enrich", 0, 4) + "\n"
    assert bar_line("match", 1, 4) == "match    [" + "#" * 7 + "." * 23 + "] 1/4 (25%)"
    assert bar_line("scrape", 7, None) == "scrape   7 done"


def test_run_summary_names_outcome_duration_and_counts():
    with run_tracked(kind=Kind.SEND) as progress:
        progress.count("queued", 2)
    line = run_summary(PipelineRun.objects.get(pk=progress.run.pk))
    assert line.startswith(f"Send digests run #{progress.run.pk}: succeeded in ")
    assert line.endswith("— queued=2")
