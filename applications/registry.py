"""Extension points for the pipeline app above applications (it plugs in from
AppConfig.ready()): applications must not import it, but its pages show what it computes."""

from __future__ import annotations

from collections.abc import Callable

# job, candidate user ids → {candidate user id: match score in 0..1}
BoardScores = Callable[..., dict[int, float]]
# application → {"score": 0..1, "explanation": {...}} or None
ApplicationMatch = Callable[..., dict | None]

_board_scores: list[BoardScores] = []
_application_matches: list[ApplicationMatch] = []


def on_board_scores(reader: BoardScores) -> BoardScores:
    """Register `reader(job=..., candidate_ids=...)`, giving the board's cards their scores."""
    if reader not in _board_scores:
        _board_scores.append(reader)
    return reader


def board_score_readers() -> tuple[BoardScores, ...]:
    return tuple(_board_scores)


def on_application_match(reader: ApplicationMatch) -> ApplicationMatch:
    """Register `reader(application=...)`, giving an application's page its match."""
    if reader not in _application_matches:
        _application_matches.append(reader)
    return reader


def application_match(application) -> dict | None:
    for reader in _application_matches:
        if (found := reader(application=application)) is not None:
            return found
    return None


# candidate user, limit → [{"id", "job", "score", "summary", "matched_skills",
# "missing_skills", "reasons"}]: their best undismissed matches, on open jobs not applied to
CandidateMatches = Callable[..., list[dict]]
_candidate_matches: list[CandidateMatches] = []


def on_candidate_matches(reader: CandidateMatches) -> CandidateMatches:
    """Register `reader(user=..., limit=...)`, giving the dashboard's "Jobs for you"."""
    if reader not in _candidate_matches:
        _candidate_matches.append(reader)
    return reader


def candidate_matches(*, user, limit: int) -> list[dict]:
    found: list[dict] = []
    for reader in _candidate_matches:
        found += reader(user=user, limit=limit)
    return found[:limit]
