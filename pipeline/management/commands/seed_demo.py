from django.core.management.base import BaseCommand, CommandError

from pipeline import demo
from recruitment.api import ApplicationError


class Command(BaseCommand):
    help = (
        "Load the demo data set: skills, companies with members in every role, jobs, "
        "candidates, applications with their history, interviews and offers. Idempotent: "
        "it adds only the rows that are missing, so a bigger --jobs or --candidates adds more."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--jobs",
            type=int,
            default=demo.DEFAULT_JOBS,
            help=f"How many jobs (default {demo.DEFAULT_JOBS}).",
        )
        parser.add_argument(
            "--candidates",
            type=int,
            default=demo.DEFAULT_CANDIDATES,
            help=f"How many candidates (default {demo.DEFAULT_CANDIDATES}).",
        )

    def handle(self, *args, jobs: int, candidates: int, verbosity: int, **options):
        for flag, value in (("--jobs", jobs), ("--candidates", candidates)):
            if value < 0:
                raise CommandError(f"{flag} must be zero or more, not {value}.")
        try:
            report = demo.demo_seed(
                jobs=jobs,
                candidates=candidates,
                progress=self.stdout.write if verbosity >= 2 else None,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if verbosity >= 1:
            self.stdout.write(report.summary())
