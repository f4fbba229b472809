"""Matching candidates and jobs: features read from text, a shortlist by meaning (pgvector),
and a re-rank a recruiter can read (roles, skills, seniority, place, conditions)."""

from pipeline.matching.services import (
    MatchResult,
    match_dismiss,
    match_label,
    match_run,
    matches_for_candidate,
    matches_for_job,
)

__all__ = [
    "MatchResult",
    "match_dismiss",
    "match_label",
    "match_run",
    "matches_for_candidate",
    "matches_for_job",
]
