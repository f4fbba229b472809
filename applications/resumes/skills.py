"""Find the skills of a taxonomy in resume text.

The matching is `jobs.skills.SkillMatcher`, the one postings use too (see its rules: longest
term first, "C++", "C#", ".NET" and "Node.js" kept whole, everyday words and two-letter terms
only when written as a name). A resume adds one thing: its skills section is a list of skills,
where every term counts whatever its case ("rest, next, go, shell").
"""

from __future__ import annotations

from collections.abc import Iterable

from jobs.skills import SkillLike, SkillMatcher, SkillTerm

__all__ = ["SkillLike", "SkillMatcher", "SkillTerm", "skills_find"]


def skills_find(
    matcher: SkillMatcher, chunks: Iterable[tuple[str, bool]]
) -> list[tuple[str, bool]]:
    """Return (slug, found in a list of skills) in order of first mention, each slug once.

    `chunks` are (text, is the skills section); a chunk may hold several lines, so a term a
    narrow column wrapped ("Deep" / "learning") is still found.
    """
    found: dict[str, bool] = {}
    for chunk, in_skills in chunks:
        for match in matcher.find(chunk, listed=in_skills):
            slug = matcher.skills[match.index].slug
            found[slug] = found.get(slug, False) or match.listed
    return list(found.items())
