from pipeline.management.stage_command import StageCommand
from pipeline.models import PipelineRun


class Command(StageCommand):
    help = "Enrich the jobs and candidate profiles whose text changed: fields, skills, vectors."
    kind = PipelineRun.Kind.ENRICH
