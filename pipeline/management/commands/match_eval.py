"""Evaluate matching on a graded dataset against BM25 and MiniLM cosine baselines.

    python manage.py match_eval DATASET.jsonl [--top 10] [--rankings OUT.json]

Nothing is left in the database (see pipeline.matching.evaluation). OUT.json maps each job id
to its candidate ids, best first, by our method; it is written only when the run succeeds.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pipeline.matching.evaluation import DatasetError, dataset_load, evaluation_run


class Command(BaseCommand):
    help = "Evaluate candidate ranking on a graded JSONL dataset against BM25 and MiniLM."

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="JSON lines of jobs, candidates and qrels")
        parser.add_argument("--top", type=int, default=10, help="k of nDCG@k and P@k")
        parser.add_argument("--rankings", help="write our ranking of each job's candidates here")

    def handle(self, *args, **options):
        if options["top"] < 1:
            raise CommandError("--top must be at least 1")
        try:
            dataset = dataset_load(options["dataset"])
        except DatasetError as error:
            raise CommandError(str(error)) from error
        result = evaluation_run(dataset, top=options["top"])
        k = result.top
        self.stdout.write(f"{result.jobs} jobs, {result.candidates} candidates")
        self.stdout.write(
            f"{'method':<16}{f'nDCG@{k}':>10}{f'P@{k}':>10}{'MRR':>10}{'Recall@50':>11}"
        )
        for name, metrics in result.metrics.items():
            self.stdout.write(
                f"{name:<16}{metrics.ndcg:>10.4f}{metrics.precision:>10.4f}"
                f"{metrics.mrr:>10.4f}{metrics.recall:>11.4f}"
            )
        for baseline in result.metrics:
            if baseline != "ours":
                self.stdout.write(
                    f"ours vs {baseline}: {result.improvement(baseline):+.1%} nDCG@{k}"
                )
        if options["rankings"]:
            _write_json(Path(options["rankings"]), result.rankings)
            self.stdout.write(f"rankings written to {options['rankings']}")


def _write_json(path: Path, data: dict) -> None:
    """Write all of it or nothing (a temporary file renamed into place)."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent or ".", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
        os.replace(temporary, path)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error}") from error
