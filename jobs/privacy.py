"""The jobs part of the privacy registry (accounts.privacy): a person's searches of the job
board. Erasure unlinks the searches from them (the board's analytics keep the words, which
then belong to no one) and takes them off the hiring teams they were on."""

from __future__ import annotations

from accounts.models import User
from accounts.privacy import Erasure, Export, privacy_part_register
from jobs.models import Job, SearchQuery


def jobs_export(*, user: User) -> Export:
    searches = SearchQuery.objects.filter(user=user).order_by("created_at", "pk")
    return Export(
        parts={
            "searches": [
                {
                    "query": s.query,
                    "filters": s.filters,
                    "results": s.result_count,
                    "clicked_job": s.clicked_job_id,
                    "at": s.created_at,
                }
                for s in searches
            ]
        }
    )


def jobs_erase(*, user: User, erasure: Erasure) -> dict[str, int]:
    return {
        "searches_unlinked": SearchQuery.objects.filter(user=user).update(user=None),
        "hiring_teams_left": Job.hiring_team.through.objects.filter(user_id=user.pk).delete()[0],
    }


def privacy_register() -> None:
    privacy_part_register(name="jobs", export=jobs_export, erase=jobs_erase)
