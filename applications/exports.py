"""Applications as CSV, for the back office's export: what the user may see, nothing more."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from applications.models import Application

CSV_HEADER = (
    "application_id",
    "candidate_name",
    "candidate_email",
    "job",
    "company",
    "stage",
    "status",
    "source",
    "rating",
    "applied_at",
    "stage_entered_at",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def applications_csv(applications: QuerySet[Application]) -> Iterator[str]:
    """CSV lines (header first) of `applications`, read in chunks: memory stays flat."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_HEADER)
    rows: Iterable[Application] = (
        applications.select_related("candidate", "job__company", "stage")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )
    for application in rows:
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    application.pk,
                    application.candidate.full_name,
                    application.candidate.email,
                    application.job.title,
                    application.job.company.name,
                    application.stage.name,
                    application.status,
                    application.source,
                    application.rating,
                    application.created_at.isoformat(),
                    application.stage_entered_at.isoformat(),
                )
            ]
        )
