"""The base of the commands that run one pipeline stage now, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from pipeline.management.progress import ProgressBar, run_summary
from pipeline.models import PipelineRun
from pipeline.orchestration import StageFailed, pipeline_execute


class StageCommand(BaseCommand):
    kind: str = ""

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args, **options):
        self.run_stage(kind=self.kind, options=options)

    def run_stage(self, *, kind: str, options: dict, source=None) -> PipelineRun:
        bar = ProgressBar(self.stdout, enabled=False if options["no_progress"] else None)
        try:
            run = pipeline_execute(kind=kind, source=source, listeners=[bar])
        except (StageFailed, RuntimeError, OSError) as error:
            bar.close()
            raise CommandError(f"{kind} failed: {error}") from error
        bar.close()
        self.stdout.write(run_summary(run))
        for child in run.children.order_by("pk"):
            self.stdout.write("  " + run_summary(child))
        if run.status != PipelineRun.Status.SUCCEEDED:
            raise CommandError(f"{kind} run #{run.pk} {run.status}: {run.error}")
        return run
