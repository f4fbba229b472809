"""Skills of a posting against a taxonomy (names and aliases) that the caller passes in.

The matching itself is `jobs.skills.SkillMatcher`, the one the resume parser uses too; this
module gives it the posting's shape: a `Taxonomy` built from (name, aliases) pairs, and
`skills_extract`, which reads a posting's declared `skills` as well as its title and text.
For the taxonomy of the database, wrap the process-wide matcher:
`Taxonomy(jobs.skills.skill_matcher())`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jobs.skills import AMBIGUOUS_SKILL_WORDS, SkillMatcher, SkillTerm
from pipeline.normalize.text import as_list, text_clean

__all__ = ["AMBIGUOUS_SKILL_WORDS", "Taxonomy", "skills_extract", "taxonomy_build"]


@dataclass(frozen=True)
class Taxonomy:
    """Skills by every spelling; skills come out as their lower-case names."""

    matcher: SkillMatcher

    @cached_property
    def canonical(self) -> list[str]:
        return [skill.name.lower() for skill in self.matcher.skills]

    @cached_property
    def names(self) -> Mapping[str, str]:
        """Spelling key → canonical lower-case name."""
        return {key: self.canonical[index] for key, index in self.matcher.terms.items()}

    @cached_property
    def compact(self) -> Mapping[str, str]:
        """The key without spaces, dots and dashes ("nodejs") → canonical name."""
        return {key: self.canonical[index] for key, index in self.matcher.compact.items()}

    @property
    def pattern(self) -> SkillMatcher | None:
        """What text is searched with; None when the taxonomy has nothing to find."""
        return self.matcher if self.matcher.terms else None


def taxonomy_build(entries: Iterable[tuple[str, Iterable[str]]]) -> Taxonomy:
    """Build a Taxonomy from (name, aliases) pairs, e.g. `Skill.objects.values_list("name",
    "aliases")`. A name wins over another skill's alias of the same spelling."""
    return Taxonomy(
        SkillMatcher(
            SkillTerm(name.strip().lower(), name, tuple(aliases or ()))
            for name, aliases in entries
            if name and name.strip()
        )
    )


def _skill_key(text: str) -> str:
    return " ".join(re.split(r"[\s_-]+", text.strip().lower())).strip()


def _declared_skills(value: Any) -> Iterator[str]:
    """Yield the spellings in a `skills` property: a list, a comma-separated string, or
    DefinedTerm objects."""
    for item in as_list(value):
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            for part in re.split(r"\s*[,;|\n]\s*", html.unescape(item)):
                if text := text_clean(part):
                    yield text


def skills_extract(
    *, declared: Any, text: str | None, taxonomy: Taxonomy, title: str | None = None
) -> list[str]:
    """Return sorted unique lower-case skill names: the posting's own `skills` (mapped to the
    taxonomy's name where a spelling is known, else kept as written) and the taxonomy's
    skills found in the title and text, on word boundaries that keep C++, C#, .NET and
    Node.js whole."""
    matcher, canonical = taxonomy.matcher, taxonomy.canonical
    found: set[str] = set()
    for spelling in _declared_skills(declared):
        index = matcher.lookup(spelling)
        found.add(canonical[index] if index is not None else _skill_key(spelling))
    for match in matcher.find(title, prose=False):
        found.add(canonical[match.index])
    for match in matcher.find(text):
        found.add(canonical[match.index])
    return sorted(found)
