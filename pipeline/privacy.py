"""The pipeline part of the privacy registry (accounts.privacy): a candidate's job matches,
with the explanation of each, and what enrichment read from their profile."""

from __future__ import annotations

from accounts.models import User
from accounts.privacy import Erasure, Export, privacy_part_register
from pipeline.models import Match, ProfileEnrichment


def pipeline_export(*, user: User) -> Export:
    matches = (
        Match.objects.filter(candidate__user=user)
        .select_related("job__company")
        .order_by("-score", "pk")
    )
    enrichment = ProfileEnrichment.objects.filter(profile__user=user).first()
    return Export(
        parts={
            "matches": [
                {
                    "job": {"id": m.job_id, "title": m.job.title, "company": m.job.company.name},
                    "score": m.score,
                    "score_parts": m.score_parts,
                    "explanation": m.explanation,
                    "status": m.get_status_display(),
                    "found_at": m.created_at,
                    "notified_at": m.notified_at,
                    "dismissed_at": m.dismissed_at,
                }
                for m in matches
            ],
            "profile_enrichment": (
                {
                    "features": enrichment.features,
                    "filled_fields": enrichment.filled,
                    "enriched_at": enrichment.enriched_at,
                }
                if enrichment is not None
                else None
            ),
        }
    )


def pipeline_erase(*, user: User, erasure: Erasure) -> dict[str, int]:
    matches = Match.objects.filter(candidate__user=user)
    erasure.add_subjects("pipeline.match", matches.values_list("pk", flat=True))
    return {
        "matches": matches.delete()[0],
        "profile_enrichment": ProfileEnrichment.objects.filter(profile__user=user).delete()[0],
    }


def privacy_register() -> None:
    privacy_part_register(name="pipeline", export=pipeline_export, erase=pipeline_erase)
