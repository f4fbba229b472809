"""Find the skills of a taxonomy (names and aliases) in resume text.

Matching is case-insensitive on word boundaries that understand "C++", "C#", ".NET" and
"Node.js", and prefers the longest term at a position, so "React Native" is not also "React" and
"GitHub Actions" is not also "Git". Terms that are everyday words ("go", "rest", "next", "node",
"shell") or two letters long ("ts", "ml") count only inside a skills section, or elsewhere when
written as the skill's own name ("Go", "Rust") or as an acronym ("REST", "ML").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


class SkillLike(Protocol):
    slug: str
    name: str
    aliases: Sequence[str]


@dataclass(frozen=True)
class SkillTerm:
    """A taxonomy entry without the database: what the parser needs of a `jobs.Skill`."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()


AMBIGUOUS = frozenset(
    """
    go rust swift ruby scala spring rest next node shell security elastic containers analytics
    express torch spark tableau payments healthcare agile unity dart julia crystal elixir
    hive pig flow prism ember meteor chef puppet salt keras fastly vault consul
    """.split()
)
ACRONYMS = frozenset({"rest", "ml", "dl", "js", "gql", "nlp", "sh"})
SKILLS_LINE = re.compile(
    r"^\s*(?:(?:technical|key|core)\s+)?(?:skills|technologies|tech\s+stack|stack|tools)\s*[:|]",
    re.IGNORECASE,
)


def _pattern(term: str) -> str:
    return r"\s+".join(re.escape(word) for word in term.split())


class SkillMatcher:
    def __init__(self, skills: Iterable[SkillLike]):
        self.terms: dict[str, str] = {}
        self.names: dict[str, str] = {}
        for skill in skills:
            self.names[skill.slug] = skill.name
            for term in (skill.name, *(skill.aliases or ())):
                key = " ".join(term.lower().split())
                if key:
                    self.terms.setdefault(key, skill.slug)
        alternatives = sorted(self.terms, key=len, reverse=True)
        self.regex = (
            re.compile(
                r"(?<![\w.#+])(?:" + "|".join(map(_pattern, alternatives)) + r")(?![\w#+])(?!\.\w)",
                re.IGNORECASE,
            )
            if alternatives
            else None
        )

    def find(self, chunks: Iterable[tuple[str, bool]]) -> list[tuple[str, bool]]:
        """Return (slug, found in a skills context) in order of first mention, each slug once.

        `chunks` are (text, is a skills section); a chunk may hold several lines.
        """
        found: dict[str, bool] = {}
        if self.regex is None:
            return []
        for chunk, in_skills in chunks:
            for m in self.regex.finditer(chunk):
                line_start = chunk.rfind("\n", 0, m.start()) + 1
                line_end = chunk.find("\n", m.end())
                line = chunk[line_start : len(chunk) if line_end < 0 else line_end]
                context = in_skills or bool(SKILLS_LINE.match(line))
                term = " ".join(m.group(0).lower().split())
                slug = self.terms[term]
                if context or self._accept(term, slug, m.group(0), m.start() - line_start, line):
                    found[slug] = found.get(slug, False) or context
        return list(found.items())

    def _accept(self, term: str, slug: str, text: str, start: int, line: str) -> bool:
        if term not in AMBIGUOUS and not (len(term) <= 2 and term.isalpha()):
            return True
        if text.isupper() and term in ACRONYMS:
            return True
        if text != self.names[slug] or len(text) <= 1:
            return False
        # "Go" is the language, unless it starts a sentence ("Go-to person", "Go live").
        before = line[:start].rstrip()
        starts_sentence = not before or before.endswith((".", "!", "?", ":", "•", "-"))
        after = line[start + len(text) :].lstrip()
        in_list = not after or after[0] in ",/|;)"
        return not starts_sentence or in_list
