"""The level of a job, from its title and, failing that, strong signals in its text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pipeline.normalize.text import text_clean

SENIORITY_ORDER = ("intern", "junior", "mid", "senior", "lead")
# "Staff" is a level only before an engineering role: on tech ladders a Staff Engineer is above
# Senior, next to Principal, so it maps to "lead". Elsewhere ("Staff Accountant", consulting's
# "Staff level") it is the entry grade, so it says nothing.
_ROLE_AFTER_STAFF = (
    r"(?:software|engineer|engineering|developer|programmer|scientist|data|designer|architect|"
    r"sre|site|product|ml|machine|ai|backend|back-end|frontend|front-end|full[-\s]?stack|"
    r"platform|security|infrastructure|devops|cloud|mobile|ios|android|web|research|"
    r"analyst|qa|test|systems?|network|database|technical|solutions?)\b"
)
_LEVEL_WORDS = re.compile(
    r"(?P<senior_mid>\bmid[-\s]?senior\b)"  # LinkedIn's "Mid-Senior level"
    r"|(?P<intern>\b(?:intern(?:ship)?s?|praktikant(?:in)?|praktikum|stážista|stáž)\b)"
    r"|(?P<junior>\b(?:junior|jr\.?|graduate|new\s+grad|entry[-\s]level|trainee|absolvent(?:ka)?)"
    r"(?!\w))"
    r"|(?P<mid>\b(?:mid[-\s]?level|mid|intermediate|medior|regular)\b)"
    r"|(?P<senior>\b(?:senior|sr\.?|sénior)(?!\w))"
    r"|(?P<lead>\b(?:lead|leader|principal|head\s+of|director|vp|vice\s+president|chief|cto)\b"
    r"(?!\s+gen(?:eration)?\b)|\bstaff(?=\s+" + _ROLE_AFTER_STAFF + r"))",
    re.IGNORECASE,
)
# Engineer I / II / III ladders, in titles only.
_ROMAN_LEVEL = re.compile(r"(?<=\w )(I{1,3}|IV)\b(?![.'’])")
_ROMAN_LEVELS = {"I": "junior", "II": "mid", "III": "senior", "IV": "senior"}
_RANGE_BETWEEN = re.compile(r"\s*(?:[/,&+–—-]|\bor\b|\bto\b|\band\b)\s*", re.IGNORECASE)
_LABELLED_LEVEL = re.compile(
    r"\b(?:experience|seniority|career|job)\s+level\s*:\s*([^\n]{1,60})", re.IGNORECASE
)
_LEVEL_PHRASE = re.compile(
    r"\b(entry|junior|mid|intermediate|senior)[-\s]level\b(?![-\s]*(?:stakeholder|executive))",
    re.IGNORECASE,
)
_YEARS_OF_EXPERIENCE = re.compile(
    r"(?:at\s+least\s+|minimum\s+(?:of\s+)?|min\.?\s+)?\b(\d{1,2})\s*(?:\+|plus)?\s*"
    r"(?:(?:-|–|to)\s*\d{1,2}\s*\+?\s*)?years?(?:\s+of)?(?:\s+[\w-]+){0,3}?\s+experience",
    re.IGNORECASE,
)


# More years than this is a company boasting ("30 years of experience in the market").
MAX_YEARS_OF_EXPERIENCE = 15


def _levels_in(text: str) -> list[tuple[int, int, str]]:
    found = []
    for match in _LEVEL_WORDS.finditer(text):
        kind = match.lastgroup or ""
        found.append((match.start(), match.end(), "senior" if kind == "senior_mid" else kind))
    return found


def _lowest(levels: Iterable[str]) -> str | None:
    ranked = sorted(levels, key=SENIORITY_ORDER.index)
    return ranked[0] if ranked else None


def seniority_from_title(title: str | None) -> str | None:
    """Return the level a title names. Several levels joined as a range ("Junior/Mid",
    "Junior to Senior") give the lowest, since the job is open from there; stacked ones
    ("Senior Staff Engineer") give the highest."""
    if not title:
        return None
    found = _levels_in(title)
    found += [(m.start(), m.end(), _ROMAN_LEVELS[m.group(1)]) for m in _ROMAN_LEVEL.finditer(title)]
    found.sort()
    if not found:
        return None
    levels = [level for _, _, level in found]
    is_range = any(
        _RANGE_BETWEEN.fullmatch(title[left[1] : right[0]])
        for left, right in zip(found, found[1:], strict=False)
    )
    ranked = sorted(levels, key=SENIORITY_ORDER.index)
    return ranked[0] if is_range else ranked[-1]


def _seniority_from_years(years: int) -> str:
    if years <= 1:
        return "junior"
    return "mid" if years <= 4 else "senior"


def seniority_from_text(text: str | None, *, experience: Any = None) -> str | None:
    """Return the level a posting's text states, from strong signals only.

    In order: `experienceRequirements` (a label, or `monthsOfExperience`), a labelled
    "Experience level: ..." line, years of experience ("2+ years of experience"), then an
    "<level>-level" phrase. A list of levels gives the lowest. Loose words ("lead the team",
    "mentor junior engineers") are ignored on purpose.
    """
    if isinstance(experience, dict):
        months = experience.get("monthsOfExperience")
        if isinstance(months, int | float) and not isinstance(months, bool) and months >= 0:
            return _seniority_from_years(int(months // 12))
    elif level := _lowest(level for _, _, level in _levels_in(text_clean(experience) or "")):
        return level
    text = text or ""
    for match in _LABELLED_LEVEL.finditer(text):
        if level := _lowest(level for _, _, level in _levels_in(match.group(1))):
            return level
    years = [int(m.group(1)) for m in _YEARS_OF_EXPERIENCE.finditer(text)]
    years = [y for y in years if y <= MAX_YEARS_OF_EXPERIENCE]
    if years:
        return _seniority_from_years(max(years))
    phrases = [m.group(1) for m in _LEVEL_PHRASE.finditer(text)]
    return _lowest(level for _, _, level in _levels_in(" ".join(f"{p} level" for p in phrases)))


def seniority_normalise(
    *, title: str | None, text: str | None, experience: Any = None
) -> str | None:
    """Return intern, junior, mid, senior or lead: the title's level, else the text's."""
    return seniority_from_title(title) or seniority_from_text(text, experience=experience)
