from pipeline.management.stage_command import StageCommand
from pipeline.models import PipelineRun


class Command(StageCommand):
    help = "Queue the due match digests in the outbox and send what is due."
    kind = PipelineRun.Kind.SEND
