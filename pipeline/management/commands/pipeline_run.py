from django.core.management.base import CommandError

from pipeline.management.stage_command import StageCommand
from pipeline.models import PipelineRun, Source
from pipeline.orchestration import pipeline_queue


class Command(StageCommand):
    help = (
        "Run a pipeline stage (scrape, enrich, match, send) or the whole nightly chain now, "
        "here with a progress bar, or --queue it for the Celery workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("stage", choices=PipelineRun.Kind.values)
        parser.add_argument("--source", help="Scrape only this source (id or name).")
        parser.add_argument(
            "--queue", action="store_true", help="Queue it for the workers and print the run."
        )
        super().add_arguments(parser)

    def handle(self, *args, stage, source, queue, **options):
        found = None
        if source:
            if stage != PipelineRun.Kind.SCRAPE:
                raise CommandError("--source goes with the scrape stage only")
            lookup = {"pk": int(source)} if source.isdigit() else {"name": source}
            found = Source.objects.filter(**lookup).first()
            if found is None:
                raise CommandError(f"no source {source!r}")
        if queue:
            run = pipeline_queue(kind=stage, source=found)
            self.stdout.write(f"queued {run.get_kind_display()} run #{run.pk}")
            return
        self.run_stage(kind=stage, options=options, source=found)
