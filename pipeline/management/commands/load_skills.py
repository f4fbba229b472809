import time

from django.core.management.base import BaseCommand

from pipeline.management.progress import ProgressBar
from pipeline.models import PipelineRun
from pipeline.runs import RunProgress
from pipeline.taxonomy import skills_load


class _TerminalProgress(RunProgress):
    """Progress for a terminal only: loading skills is not a pipeline run, so nothing is
    written to the database."""

    def __init__(self, listeners):
        super().__init__(PipelineRun(kind="skills"), listeners=listeners)

    def flush(self) -> None:
        pass


class Command(BaseCommand):
    help = (
        "Load the ESCO skills and our curated spellings into the skill taxonomy (jobs.Skill). "
        "Idempotent: a second run changes nothing; nothing is ever deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args, no_progress, **options):
        bar = ProgressBar(self.stdout, enabled=False if no_progress else None)
        started = time.monotonic()
        counts = skills_load(progress=_TerminalProgress([bar]))
        bar.close()
        self.stdout.write(
            f"skills: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged; {counts['skills']} in all, "
            f"{counts['aliases']} aliases loaded ({time.monotonic() - started:.1f}s)"
        )
