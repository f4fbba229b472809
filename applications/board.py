"""The pipeline board of a job: a column per stage, a card per applicant.

A card shows the candidate, their rating, their days in the stage and, where the matcher has
scored them for the job, the match score. Applications move through `application_move`, so
the board keeps the same rules, history and audit as the API.

Match scores belong to the pipeline app, above this one: it plugs a reader in with
`applications.registry.on_board_scores` from its AppConfig.ready().
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from applications.models import Application, Stage
from applications.registry import board_score_readers
from jobs.models import Job

# The most cards a column shows; the rest are counted and linked to the applications list.
CARDS_PER_COLUMN = 50


@dataclass
class Card:
    application: Application
    days_in_stage: int
    score: float | None

    @property
    def name(self) -> str:
        candidate = self.application.candidate
        return candidate.full_name or candidate.email

    @property
    def stars(self) -> str:
        return "★" * (self.application.rating or 0)

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(self.score * 100)


@dataclass
class Column:
    stage: Stage
    count: int
    cards: list[Card] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.count - len(self.cards)


# Applications on the board: those still in the running, and the hired. Rejected and withdrawn
# ones leave it (the applications list keeps them).
ON_BOARD = (Application.Status.ACTIVE, Application.Status.HIRED)


def job_board(*, job: Job, now: datetime | None = None) -> list[Column]:
    """The job's columns, in the stages' order, each with its first CARDS_PER_COLUMN cards
    (longest in the stage first): three queries, whatever the number of applicants."""
    now = now or timezone.now()
    stages = list(
        Stage.objects.filter(company_id=job.company_id)
        .exclude(kind=Stage.Kind.REJECTED)
        .order_by("position")
    )
    on_board = Application.objects.filter(job=job, status__in=ON_BOARD)
    counts = dict(
        on_board.values_list("stage_id").annotate(n=Count("pk")).values_list("stage_id", "n")
    )
    applications = list(
        on_board.select_related("candidate")
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=F("stage_id"),
                order_by=(F("stage_entered_at").asc(), F("pk").asc()),
            )
        )
        .filter(place__lte=CARDS_PER_COLUMN)
        .order_by("stage_entered_at", "pk")
    )
    scores: dict[int, float] = {}
    candidate_ids = [application.candidate_id for application in applications]
    for reader in board_score_readers():
        scores |= reader(job=job, candidate_ids=candidate_ids)
    columns = {stage.pk: Column(stage=stage, count=counts.get(stage.pk, 0)) for stage in stages}
    for application in applications:
        column = columns.get(application.stage_id)
        if column is None:
            continue  # a rejected stage's cards are not on the board
        column.cards.append(
            Card(
                application=application,
                days_in_stage=max((now - application.stage_entered_at).days, 0),
                score=scores.get(application.candidate_id),
            )
        )
    return list(columns.values())


def board_stages(*, job: Job) -> list[Stage]:
    """The stages a card may be moved to on the board (hire and reject are their own steps)."""
    return list(
        Stage.objects.filter(company_id=job.company_id)
        .exclude(kind__in=[Stage.Kind.HIRED, Stage.Kind.REJECTED])
        .order_by("position")
    )
