from pipeline.management.stage_command import StageCommand
from pipeline.models import PipelineRun


class Command(StageCommand):
    help = "Match the candidates and jobs that changed since the last match run."
    kind = PipelineRun.Kind.MATCH
