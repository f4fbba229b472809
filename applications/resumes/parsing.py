"""Parse resume text into suggested profile fields, each with a confidence in [0, 1].

Heuristics, not a model: the text is cut into sections by their headings, contact details are
looked for near the top (and in page headers and footers), the work history is anchored on date
ranges, and skills come from the taxonomy. The confidences say how sure each heuristic is; the
profile only takes suggestions above a threshold, and never over fields the candidate confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from applications.resumes.contact import (
    LINK_LABEL,
    as_name,
    contact_lines,
    find_email,
    find_links,
    find_location,
    find_name,
    find_phone,
)
from applications.resumes.history import (
    find_education,
    find_work_history,
    find_years,
    title_score,
)
from applications.resumes.sections import EMAIL, URL, Line, segments, split_sections
from applications.resumes.skills import SkillLike, SkillMatcher, SkillTerm, skills_find

FIELDS = (
    "name",
    "email",
    "phone",
    "links",
    "location",
    "current_title",
    "years_experience",
    "skills",
    "education",
    "work_history",
)


def parse_resume(
    text: str,
    *,
    skills: SkillMatcher | Iterable[SkillLike] = (),
    today: date | None = None,
) -> dict:
    """Suggest profile fields from a resume's text: {field: {"value": ..., "confidence": ...}}.

    `skills` is the taxonomy: a built matcher (`jobs.skills.skill_matcher()` for the database's
    skills), or skills to build one from (cached by their value)."""
    today = today or date.today()
    lines = split_sections(text)
    contact = contact_lines(lines)
    email, email_confidence = find_email(lines, contact)
    location, location_confidence = find_location(contact)
    phone, phone_confidence = find_phone(
        contact, region=location["country"] if location else None, email=email
    )
    links, links_confidence = find_links(lines)
    work, ranges, work_confidence = find_work_history(lines, today)
    name, name_confidence = find_name(lines, email)
    title, title_confidence = _current_title(lines, work, name)
    years, years_confidence = find_years(lines, ranges, today)
    education, education_confidence = find_education(lines)
    found, skills_confidence = _skills(lines, skills)
    return {
        "name": _field(name, name_confidence),
        "email": _field(email, email_confidence),
        "phone": _field(phone, phone_confidence),
        "links": _field(links, links_confidence),
        "location": _field(location, location_confidence),
        "current_title": _field(title, title_confidence),
        "years_experience": _field(years, years_confidence),
        "skills": _field(found, skills_confidence),
        "education": _field(education, education_confidence),
        "work_history": _field(work, work_confidence),
    }


def _field(value, confidence: float) -> dict:
    if value in (None, "", [], {}):
        return {"value": value, "confidence": 0.0}
    return {"value": value, "confidence": round(min(max(confidence, 0.0), 1.0), 2)}


def _headline(lines: list[Line], name: str | None) -> str | None:
    for line in lines[:6]:
        for part in segments(line.text):
            if part == name or as_name(part) or len(part) > 60:
                continue
            if title_score(part) >= 2 and not EMAIL.search(part) and not URL.search(part):
                return part
    return None


def _current_title(
    lines: list[Line], work: list[dict], name: str | None
) -> tuple[str | None, float]:
    headline = _headline(lines, name)
    titled = [entry for entry in work if entry["title"]]
    if titled:
        latest = max(titled, key=lambda entry: entry["start"])
        same = headline and headline.lower() == latest["title"].lower()
        return latest["title"], 0.95 if same else 0.85 if latest["end"] == "present" else 0.7
    return headline, 0.6


@lru_cache(maxsize=8)
def _matcher(terms: tuple[SkillTerm, ...]) -> SkillMatcher:
    return SkillMatcher(terms)


def skill_terms(skills: Iterable[SkillLike]) -> tuple[SkillTerm, ...]:
    return tuple(SkillTerm(skill.slug, skill.name, tuple(skill.aliases or ())) for skill in skills)


def _skills(
    lines: list[Line], skills: SkillMatcher | Iterable[SkillLike]
) -> tuple[list[str], float]:
    matcher = skills if isinstance(skills, SkillMatcher) else _matcher(skill_terms(skills))
    # Match over runs of lines of one section, so a skill a narrow column wrapped ("Deep" /
    # "learning") is still found.
    chunks: list[tuple[str, bool]] = []
    previous = None
    for line in lines:
        text = line.text
        if URL.search(text) or EMAIL.search(text):
            text = LINK_LABEL.sub(" ", EMAIL.sub(" ", URL.sub(" ", text)))
        elif LINK_LABEL.fullmatch(text.strip()) and line.section != "skills":
            continue
        if previous == line.section:
            chunks[-1] = (f"{chunks[-1][0]}\n{text}", chunks[-1][1])
        else:
            chunks.append((text, line.section == "skills"))
        previous = line.section
    found = skills_find(matcher, chunks)
    if not found:
        return [], 0.0
    in_section = sum(1 for _, context in found if context)
    return [slug for slug, _ in found], 0.85 if in_section else 0.6
