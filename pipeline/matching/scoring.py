"""Score one candidate for one job, with the parts and the reasons a recruiter can read.

The score is a recruiter's tally on the 0–3 scale of a graded shortlist (3 strong, 2 good with
one real gap, 1 weak, 0 not relevant), scaled to 0..1:

1. Start from how close the roles are: the same role earns `role` points (3), a neighbouring
   role two thirds of them, an adjacent one a third, another field none. The role comes from
   the candidate's headline and current title, not from words their resume mentions.
2. Take off points for each real gap: required skills not covered (`skills`, up to 2 points
   when under half are covered), each level of seniority below the job or far above it
   (`seniority` per level), a move the candidate has not offered (`location`), a shift or
   hours that do not fit (`schedule`), a salary under what they asked (`salary`).
3. A candidate who lives abroad and has not said they would move is at most a weak match.
4. Blend in the semantic similarity of the two texts and nice-to-have coverage (`semantic`,
   `nice_to_have`: shares of the final score), which order candidates of the same tally.

Deal-breakers are not down-weighted but filtered (`feasible` is False): a remote-only candidate
and an on-site or hybrid job; a remote job that employs only in countries the candidate does
not live in; a job that cannot sponsor a visa and a candidate abroad without the right to work
there; a candidate who says they cannot work in the job's country, will not relocate, can work
only a few hours a week, wants only an internship, or does not want this kind of role.

All weights are `settings.MATCH_WEIGHTS`.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jobs.search.salary import salary_yearly
from pipeline.matching.features import LEVEL_NAMES
from pipeline.matching.places import ANYWHERE, EU, country_name, region_label
from pipeline.matching.roles import (
    ADJACENT,
    NEIGHBOUR,
    ROLE_BY_KEY,
    RoleRead,
    key_closeness,
    role_closeness,
)
from pipeline.matching.skills import display

DEFAULT_WEIGHTS = {
    "role": 3.0,
    "skills": 2.0,
    "seniority": 1.0,
    "location": 1.0,
    "schedule": 1.0,
    "salary": 1.0,
    "semantic": 0.1,
    "nice_to_have": 0.05,
}
# A skill counts as covered from this strength ("learning it" is 0.4, "has done it" 1).
COVERED = 0.5
# Required-skill coverage at or above FULL_COVERAGE loses nothing; each COVERAGE_SPAN below it
# loses all `skills` points (half covered: half of them).
FULL_COVERAGE = 0.8
COVERAGE_SPAN = 0.6
# Of the points above a cap, the share kept to order candidates held at the cap.
CAPPED_SHARE = 0.15
# Most similar texts of one field score about this much cosine similarity with MiniLM.
SEMANTIC_RANGE = (0.15, 0.75)


@dataclass
class PairScore:
    score: float
    feasible: bool
    parts: dict[str, float]
    explanation: dict
    points: float = 0.0
    blocked_by: list[str] = field(default_factory=list)


def _clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _place_name(location: Mapping) -> str:
    city = location.get("city")
    country = location.get("country")
    if city and country:
        return f"{city} ({country})"
    return city or country_name(country)


# --- Parts ---------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _closeness(job_keys: tuple, job_stack: tuple, keys: tuple, stack: tuple) -> float:
    return role_closeness(RoleRead(job_keys, job_stack), RoleRead(keys, stack))


def _role(
    job: Mapping, profile: Mapping, similarity: float | None, *, explain: bool = True
) -> tuple[float, str]:
    if not explain:  # the same as below, from a cache by the roles' keys and stacks
        job_role, candidate_role = job.get("role") or {}, profile.get("role") or {}
        job_keys, keys = tuple(job_role.get("keys", ())), tuple(candidate_role.get("keys", ()))
        if job_keys and keys:
            job_stack = tuple(job_role.get("stack", ()))
            return _closeness(job_keys, job_stack, keys, tuple(candidate_role.get("stack", ()))), ""
    job_role = RoleRead.from_dict(job.get("role"))
    candidate_role = RoleRead.from_dict(profile.get("role"))
    if job_role.known and candidate_role.known:
        closeness = role_closeness(job_role, candidate_role)
        if not explain:
            return closeness, ""
        job_label, candidate_label = job_role.label(), candidate_role.label()
        if closeness >= 0.99:
            return closeness, f"Same role: {candidate_label}."
        if closeness >= NEIGHBOUR - 0.01:
            return closeness, f"Close role: the job is for a {job_label}; the candidate is a " \
                f"{candidate_label}."  # fmt: skip
        if closeness >= ADJACENT - 0.01:
            return closeness, f"Related role with transferable skills: the job is for a " \
                f"{job_label}; the candidate is a {candidate_label}."  # fmt: skip
        return closeness, f"Different field: the job is for a {job_label}; the candidate " \
            f"works as a {candidate_label}."  # fmt: skip
    if similarity is None:
        return ADJACENT, "Role not recognised; judged as related."
    closeness = NEIGHBOUR * _clip((similarity - 0.35) / 0.35)
    return closeness, "Role not recognised; judged by how similar the texts are."


def _coverage(
    requirements: list, skills: Mapping[str, float], *, explain: bool = True
) -> tuple[float | None, list, list]:
    """(share of requirements covered, skills that covered them, requirements missed)."""
    if not requirements:
        return None, [], []
    matched: list[str] = []
    missing: list[str] = []
    total = 0.0
    for requirement in requirements:
        groups = requirement["any"]
        item = 0.0
        for group in groups:
            if not explain:
                # Most groups are one skill: skip max() over a generator for them.
                strength = skills.get(group[0], 0.0) if len(group) == 1 else \
                    max(skills.get(s, 0.0) for s in group)  # fmt: skip
                item += min(1.0, strength)
                continue
            best = max(group, key=lambda s: skills.get(s, 0.0))
            strength = skills.get(best, 0.0)
            item += min(1.0, strength)
            if strength >= COVERED:
                if display(best) not in matched:
                    matched.append(display(best))
            else:
                label = " or ".join(display(s) for s in group[:3])
                if label not in missing:
                    missing.append(label)
        total += item / len(groups)
    return total / len(requirements), matched, missing


def _seniority(job: Mapping, profile: Mapping) -> tuple[float, str | None]:
    """Levels of gap that count (0 when the candidate fits), and why."""
    job_level, level = job.get("level"), profile.get("level")
    if job_level is None or level is None:
        return 0.0, None
    job_name, name = LEVEL_NAMES[job_level], LEVEL_NAMES[level]
    if level == 0 and job_level >= 2:
        return 3.0, f"A student or intern for a {job_name} job."
    gap = level - job_level
    if gap < 0:
        levels = "one level" if gap == -1 else f"{-gap} levels"
        return float(min(3, -gap)), f"{levels.capitalize()} below the job ({name} for a " \
            f"{job_name} job)."  # fmt: skip
    if gap >= 2:
        return (1.0 if gap == 2 else 2.0), f"Far more senior than the job asks ({name} for " \
            f"a {job_name} job)."  # fmt: skip
    return 0.0, f"Level fits ({name} for a {job_name} job)."


@dataclass
class _Where:
    feasible: bool = True
    penalty: float = 0.0
    cap: float | None = None
    fit: float = 1.0
    remote_fit: float = 1.0
    reasons: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def block(self, rule: str, reason: str) -> None:
        self.feasible = False
        self.blocked.append(rule)
        self.reasons.append(reason)


def _authorised(rights: Mapping, country: str | None) -> bool:
    if not country:
        return False
    authorised = set(rights.get("authorised") or ())
    return country in authorised


def _where(job: Mapping, profile: Mapping) -> _Where:
    where = _Where()
    workplace = job.get("workplace") or "onsite"
    job_place = job.get("location") or {}
    place = profile.get("location") or {}
    rights = profile.get("work_rights") or {}
    excluded = set(rights.get("excluded") or ())
    allowed = rights.get("allowed")
    country = place.get("country")

    if workplace == "remote":
        regions = set(job.get("hiring_regions") or ())
        if regions and ANYWHERE not in regions:
            label = region_label(regions)
            if country is None:
                where.penalty = 0.25
                where.fit = 0.9
                where.reasons.append(f"Remote, employing in {label}; where the candidate lives "
                                     "is not known.")  # fmt: skip
            elif country not in regions:
                where.remote_fit = where.fit = 0.0
                where.block("hiring_region", f"The job is remote but can only employ people in "
                            f"{label}; the candidate lives in {country_name(country)}.")  # fmt: skip
            else:
                where.reasons.append(f"Remote within {label}, where the candidate lives.")
            if regions <= excluded or (allowed is not None and not regions & set(allowed)):
                where.remote_fit = where.fit = 0.0
                where.block("work_rights", f"The candidate says they cannot work in {label}.")
        else:
            where.reasons.append("Remote from anywhere.")
        return where

    kind = "hybrid" if workplace == "hybrid" else "on site"
    job_country, job_metro = job_place.get("country"), job_place.get("metro")
    at = _place_name(job_place)
    if profile.get("remote_only"):
        where.remote_fit = where.fit = 0.0
        where.block("remote_only", f"The candidate works remotely only; the job is {kind} in "
                    f"{at}.")  # fmt: skip
    if job_country and (job_country in excluded or (allowed is not None and
                                                    job_country not in allowed)):  # fmt: skip
        where.fit = 0.0
        where.block("work_rights", f"The candidate says they cannot work in "
                    f"{country_name(job_country)}.")  # fmt: skip
    relocation = profile.get("relocation") or {}
    metro = place.get("metro")
    if not job_metro and not job_country:
        return where
    if job_metro and (metro == job_metro or job_metro in (profile.get("commute") or ())):
        where.reasons.append(f"Lives within reach of {at} ({kind}).")
        return where
    if job_metro and job_metro in (relocation.get("metros") or ()):
        if country and job_country and country != job_country:
            where.penalty, where.fit = 1.0, 2 / 3
            where.reasons.append(f"Lives in {_place_name(place)} and would move to {at}, "
                                 "another country.")  # fmt: skip
        else:
            where.reasons.append(f"Would move to {at} ({kind}).")
        return where
    if country is None:
        where.penalty, where.fit = 0.25, 0.9
        where.reasons.append(f"The job is {kind} in {at}; where the candidate lives is not known.")
        return where
    willing = (
        job_country in (relocation.get("countries") or ())
        or relocation.get("anywhere")
        or (job_country in EU and "EU" in (relocation.get("countries") or ()))
    )
    if country == job_country:
        if willing:
            where.reasons.append(f"Lives in {_place_name(place)} and would relocate within "
                                 f"{country_name(job_country)} to {at}.")  # fmt: skip
        elif profile.get("will_not_relocate"):
            where.fit = 0.0
            where.block("relocation", f"The candidate lives in {_place_name(place)} and will "
                        f"not relocate; the job is {kind} in {at}.")  # fmt: skip
        else:
            where.penalty, where.fit = 1.0, 2 / 3
            where.reasons.append(f"Lives in {_place_name(place)}, another city than {at}, and "
                                 "has not said they would move.")  # fmt: skip
        return where
    # Abroad.
    if job.get("visa") == "none" and not _authorised(rights, job_country):
        where.fit = 0.0
        where.block("visa", f"The job cannot sponsor a visa; the candidate lives in "
                    f"{country_name(country)}.")  # fmt: skip
    elif profile.get("will_not_relocate"):
        where.fit = 0.0
        where.block("relocation", f"The candidate lives in {_place_name(place)} and will not "
                    f"relocate; the job is {kind} in {at}.")  # fmt: skip
    elif willing:
        where.penalty, where.fit = 1.0, 2 / 3
        where.reasons.append(f"Lives in {_place_name(place)} and would move abroad to {at}.")
    else:
        where.cap, where.fit = 1.0, 1 / 3
        where.reasons.append(f"Lives in {_place_name(place)}, abroad, and has not said they "
                             f"would move to {at}: at most a weak match.")  # fmt: skip
    return where


@dataclass
class _Schedule:
    feasible: bool = True
    penalty: float = 0.0
    cap: float | None = None
    reasons: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def _schedule(job: Mapping, profile: Mapping) -> _Schedule:
    schedule = _Schedule()
    if job.get("shift") == "night" and profile.get("day_shift_only"):
        schedule.cap = 1.0
        schedule.reasons.append("The job is on night shifts; the candidate can only work days.")
    max_hours = profile.get("max_hours")
    hours = job.get("hours") or (None if job.get("part_time") else 40)
    if max_hours and hours and hours > max_hours and not job.get("internship"):
        schedule.feasible = False
        schedule.blocked.append("hours")
        schedule.reasons.append(f"The candidate can work up to {max_hours} hours a week; the "
                                f"job is {hours}.")  # fmt: skip
    if profile.get("internship_only") and not job.get("internship"):
        schedule.feasible = False
        schedule.blocked.append("internship")
        schedule.reasons.append("The candidate is looking for an internship or student job only.")
    if profile.get("wants_part_time") and not job.get("part_time") and not job.get("hours"):
        schedule.penalty = 0.5
        schedule.reasons.append("The candidate wants part-time work; the job is full-time.")
    return schedule


@lru_cache(maxsize=4096)
def _yearly(amount: int, currency: str, period: str) -> int | None:
    """A salary per year in settings.SEARCH_CURRENCY (rates are fixed per process)."""
    return salary_yearly(amount, currency, period)


def _salary(job: Mapping, profile: Mapping) -> tuple[float, str | None]:
    """The share of a point lost to pay under what the candidate asked, and why."""
    offered = job.get("salary") or {}
    desired = profile.get("desired_salary") or {}
    if not offered or not desired.get("min"):
        return 0.0, None
    top = offered.get("max") or offered.get("min")
    if not top or not offered.get("currency") or not desired.get("currency"):
        return 0.0, None
    offered_yearly = _yearly(int(top), offered["currency"], offered.get("period", "year"))
    desired_yearly = _yearly(
        int(desired["min"]), desired["currency"], desired.get("period", "year")
    )
    if not offered_yearly or not desired_yearly:
        return 0.0, None
    gap = _clip((desired_yearly - offered_yearly) / (0.25 * desired_yearly))
    if gap <= 0:
        return 0.0, "The salary range reaches what the candidate asks."
    return gap, "The salary range tops out under what the candidate asks."


def _excluded(job: Mapping, profile: Mapping) -> str | None:
    job_keys = (job.get("role") or {}).get("keys") or ()
    for excluded in profile.get("excluded_roles") or ():
        if any(key_closeness(key, excluded) >= NEIGHBOUR for key in job_keys):
            return ROLE_BY_KEY[excluded].label
    return None


# --- The score -------------------------------------------------------------------------------


def _summary(points: float, feasible: bool, coverage: float | None) -> str:
    if not feasible:
        return "Not a match: a stated condition rules it out."
    if points >= 2.5 and (coverage is None or coverage >= 0.75):
        return "Strong match."
    if points >= 1.75:
        return "Good match with one gap."
    if points >= 0.9:
        return "Weak match."
    return "Not a match."


def _tally(
    w: Mapping[str, float],
    closeness: float,
    coverage: float | None,
    nice: float | None,
    levels: float,
    where: _Where,
    schedule: _Schedule,
    salary_gap: float,
    similarity: float | None,
) -> tuple[float, float, float]:
    """(score, points, fit) from a pair's parts (see the module)."""
    skill_gap = 0.0 if coverage is None else _clip((FULL_COVERAGE - coverage) / COVERAGE_SPAN)
    points = (
        w["role"] * closeness
        - w["skills"] * skill_gap
        - w["seniority"] * levels
        - w["location"] * where.penalty
        - w["schedule"] * schedule.penalty
        - w["salary"] * salary_gap
    )
    for cap in (where.cap, schedule.cap):
        if cap is not None and points > (ceiling := cap * w["role"] / 3):
            # At most the cap; what is left above it still orders those held at the cap.
            points = ceiling + CAPPED_SHARE * (points - ceiling)
    fit = _clip(points / w["role"]) if w["role"] else 0.0
    low, high = SEMANTIC_RANGE
    semantic = _clip(((similarity or 0.0) - low) / (high - low)) if similarity is not None else 0.5
    nice_share = nice if nice is not None else 0.5
    score = (1 - w["semantic"] - w["nice_to_have"]) * fit + w["semantic"] * semantic
    score += w["nice_to_have"] * nice_share
    return round(_clip(score), 4), points, fit


def pair_score(
    job: Mapping,
    profile: Mapping,
    *,
    similarity: float | None,
    weights: Mapping[str, float] | None = None,
    explain: bool = True,
) -> PairScore:
    """Score `profile` (profile features) for `job` (job features); see the module.

    With `explain=False` only the score, feasibility and points are computed (parts and
    explanation stay empty): a shortlist is ranked that way, and its best are explained.
    """
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    reasons: list[str] = []
    closeness, role_reason = _role(job, profile, similarity, explain=explain)
    reasons.append(role_reason)

    skills = profile.get("skills") or {}
    coverage, matched, missing = _coverage(job.get("required") or [], skills, explain=explain)
    nice, matched_nice, _ = _coverage(job.get("nice") or [], skills, explain=explain)
    if coverage is not None and explain:
        count = len(job["required"])
        reasons.append(f"Covers {round(coverage * count, 1):g} of {count} required skills"
                       + (f"; missing {', '.join(missing[:4])}." if missing else "."))  # fmt: skip

    levels, seniority_reason = _seniority(job, profile)
    if seniority_reason:
        reasons.append(seniority_reason)
    where = _where(job, profile)
    reasons += where.reasons
    schedule = _schedule(job, profile)
    reasons += schedule.reasons
    salary_gap, salary_reason = _salary(job, profile)
    if salary_reason:
        reasons.append(salary_reason)
    blocked = where.blocked + schedule.blocked
    if excluded := _excluded(job, profile):
        blocked.append("role_preference")
        reasons.append(f"The candidate says they do not want a {excluded} role.")

    score, points, fit = _tally(
        w, closeness, coverage, nice, levels, where, schedule, salary_gap, similarity
    )
    feasible = not blocked
    if not explain:
        return PairScore(score, feasible, {}, {}, points, blocked)

    parts = {
        "role": round(closeness, 3),
        "skills": round(coverage, 3) if coverage is not None else None,
        "nice_to_have": round(nice, 3) if nice is not None else None,
        "seniority": round(_clip(1 - levels / 3), 3),
        "location": round(where.fit, 3),
        "remote": round(where.remote_fit, 3),
        "schedule": 0.0 if not schedule.feasible else round(
            1.0 - schedule.penalty / 2 - (0.5 if schedule.cap is not None else 0), 3),
        "salary": round(1 - salary_gap, 3),
        "semantic": round(similarity, 3) if similarity is not None else None,
        "fit": round(fit, 3),
    }  # fmt: skip
    explanation = {
        "summary": _summary(points * 3 / w["role"] if w["role"] else 0, feasible, coverage),
        "matched_skills": matched,
        "missing_required_skills": missing,
        "matched_nice_to_have": matched_nice,
        "reasons": reasons,
        "blocked_by": blocked,
    }
    return PairScore(
        score=score,
        feasible=feasible,
        parts=parts,
        explanation=explanation,
        points=points,
        blocked_by=blocked,
    )


# --- Many jobs for one candidate -------------------------------------------------------------

# The job fields each part of a score reads (every read of a job above is `job.get(field)` of
# one of these). Jobs equal on a part's fields score the same on that part for one candidate,
# whatever their other fields: the role alone also needs the similarity, when a role is not
# recognised.
PART_FIELDS: dict[str, tuple[str, ...]] = {
    "role": ("role",),
    "required": ("required",),
    "nice": ("nice",),
    "level": ("level",),
    "where": ("workplace", "location", "hiring_regions", "visa"),
    "schedule": ("shift", "hours", "part_time", "internship"),
    "salary": ("salary",),
}


class PartsIndex:
    """The distinct values of each part's fields among many jobs, each kept once (marshalled),
    and each job as its row of indexes into them (PART_FIELDS order)."""

    def __init__(self) -> None:
        self._indexes: list[dict[str, int]] = [{} for _ in PART_FIELDS]
        self.parts: dict[str, list[bytes]] = {name: [] for name in PART_FIELDS}

    def add(self, job: Mapping) -> list[int]:
        """`job`'s row, adding the values of its parts not seen before."""
        row = []
        for indexes, (name, fields) in zip(self._indexes, PART_FIELDS.items(), strict=True):
            values = {field_name: job.get(field_name) for field_name in fields}
            key = json.dumps(values, sort_keys=True, separators=(",", ":"))
            index = indexes.get(key)
            if index is None:
                index = indexes[key] = len(self.parts[name])
                self.parts[name].append(marshal.dumps(values))
            row.append(index)
        return row


class ShortlistScorer:
    """`pair_score(..., explain=False)` of one candidate for many jobs, each job given as its
    row of a `PartsIndex` (`parts` is the index's). Each distinct part is scored once for the
    candidate and reused: a job whose parts were all seen costs a few dict reads, one with
    new parts about what `pair_score` costs, without reading its whole features."""

    def __init__(
        self,
        profile: Mapping,
        parts: Mapping[str, Sequence[bytes]],
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self.profile = profile
        self.parts = parts
        self.w = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.skills = profile.get("skills") or {}
        self.memo: dict[str, dict[int, Any]] = {name: {} for name in PART_FIELDS}

    def _fields(self, name: str, index: int) -> Mapping:
        return marshal.loads(self.parts[name][index])  # nosec B302 # bytes PartsIndex marshalled in this process, never outside input

    def _part(self, name: str, index: int) -> Any:
        memo = self.memo[name]
        if index in memo:
            return memo[index]
        job, profile = self._fields(name, index), self.profile
        if name == "role":  # closeness, or None when it depends on the similarity
            job_role, role = RoleRead.from_dict(job.get("role")), profile.get("role")
            known = job_role.known and RoleRead.from_dict(role).known
            value = (_role(job, profile, None, explain=False)[0] if known else None,
                     _excluded(job, profile), job)  # fmt: skip
        elif name in ("required", "nice"):
            value = _coverage(job.get(name) or [], self.skills, explain=False)[0]
        elif name == "level":
            value = _seniority(job, profile)[0]
        elif name == "where":
            value = _where(job, profile)
        elif name == "schedule":
            value = _schedule(job, profile)
        else:
            value = _salary(job, profile)[0]
        memo[index] = value
        return value

    def score(self, indexes: Sequence[int], similarity: float | None) -> tuple[float, bool]:
        """(score, feasible) of the job whose parts are `indexes` (PART_FIELDS order)."""
        role, required, nice, level, where, schedule, salary = indexes
        closeness, excluded, role_fields = self._part("role", role)
        if closeness is None:
            closeness = _role(role_fields, self.profile, similarity, explain=False)[0]
        where_part, schedule_part = self._part("where", where), self._part("schedule", schedule)
        score, _, _ = _tally(
            self.w,
            closeness,
            self._part("required", required),
            self._part("nice", nice),
            self._part("level", level),
            where_part,
            schedule_part,
            self._part("salary", salary),
            similarity,
        )
        return score, where_part.feasible and schedule_part.feasible and not excluded
