import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from pipeline.management.progress import ProgressBar
from pipeline.models import PipelineRun, Source
from pipeline.runs import RunProgress, RunTaken, run_tracked
from pipeline.scraping.crawl import CrawlFailed, crawl_source

# Without a terminal, progress is one log line at most this often (seconds).
LOG_LINE_INTERVAL = 10.0
SUMMARY_KEYS = ("seen", "created", "updated", "unchanged", "duplicate", "reopened", "closed")


class LogLines:
    """A RunProgress listener for logs and pipes: a plain line now and then."""

    def __init__(self, stream, label: str):
        self.stream = stream
        self.label = label
        self._written_at = time.monotonic()

    def __call__(self, progress: RunProgress) -> None:
        if time.monotonic() - self._written_at < LOG_LINE_INTERVAL:
            return
        self._written_at = time.monotonic()
        total = f"/{progress.total}" if progress.total else ""
        self.stream.write(f"crawl {self.label}: {progress.done}{total} postings")
        self.stream.flush()


def crawl_summary(source: Source, run: PipelineRun) -> str:
    """One line: postings seen/created/updated/unchanged/closed, and skips by reason."""
    counts = run.stats.get("counts", {})
    parts = [f"{key} {counts.get(key, 0)}" for key in SUMMARY_KEYS]
    skipped = {
        key.removeprefix("skipped."): n for key, n in counts.items() if key.startswith("skipped.")
    }
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(skipped.items()))
    parts.append(f"skipped {sum(skipped.values())}" + (f" ({reasons})" if reasons else ""))
    duration = f"{run.duration.total_seconds():.1f} s" if run.duration else "-"
    return (
        f"crawl {source.name}: " + ", ".join(parts) + f"; run #{run.pk} {run.status} in {duration}"
    )


class Command(BaseCommand):
    help = (
        "Crawl one source (its id or name) in this process and store its postings. Reports into "
        "--run (a queued scrape run) or a new scrape run. Exit 1 when the crawl fails (then "
        "nothing is closed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="SOURCE", help="The source's id or name.")
        parser.add_argument("--run", type=int, metavar="RUN_ID", help="A queued scrape run.")
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args, source: str, run: int | None, no_progress: bool, verbosity, **opts):
        # Each posting is its own transaction, and waiting for its commit to reach the disk
        # cost a few ms each. Without that wait a crash of the database server can lose the
        # last moment's postings (never corrupt anything); the next crawl stores them again.
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        source_obj = self._source(source)
        run_obj = self._run(run, source_obj) if run is not None else None
        bar = ProgressBar(self.stdout, enabled=False if no_progress else None)
        listener = bar if bar.enabled else LogLines(self.stdout, source_obj.name)
        failure = None
        try:
            with run_tracked(
                run=run_obj,
                kind=PipelineRun.Kind.SCRAPE,
                source=source_obj,
                listeners=[listener],
            ) as progress:
                run_obj = progress.run
                crawl_source(
                    source=source_obj,
                    progress=progress,
                    scrapy_settings={"LOG_LEVEL": "DEBUG" if verbosity >= 3 else "INFO"}
                    if verbosity >= 2
                    else None,
                )
        except RunTaken as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            failure = "; ".join(exc.messages)
        except CrawlFailed as exc:
            failure = str(exc)
        finally:
            bar.close()
        run_obj.refresh_from_db()
        self.stdout.write(crawl_summary(source_obj, run_obj))
        if failure:
            raise CommandError(f"crawl of {source_obj.name} failed: {failure}", returncode=1)

    def _source(self, value: str) -> Source:
        sources = Source.objects.select_related("company")
        found = sources.filter(pk=int(value)).first() if value.isdigit() else None
        found = found or sources.filter(name=value).first()
        if found is None:
            raise CommandError(f"no source with the id or name {value!r}")
        return found

    def _run(self, run_id: int, source: Source) -> PipelineRun:
        run = PipelineRun.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"no pipeline run #{run_id}")
        if run.kind != PipelineRun.Kind.SCRAPE or run.source_id not in (None, source.pk):
            raise CommandError(f"run #{run_id} is not a scrape run of {source.name}")
        if run.status != PipelineRun.Status.QUEUED:
            raise CommandError(f"run #{run_id} is {run.status}, not queued")
        return run
