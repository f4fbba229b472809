"""Skills of a posting against a taxonomy (names and aliases) that the caller passes in."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.normalize.text import as_list, text_clean

# Skill names that are also everyday words. They count only when written as a name: in
# capitals, or capitalised inside a sentence ("We use Go", "REST"); never all lower case
# ("go", "react to") nor merely capitalised at a sentence start ("Go ahead", "Rest assured").
# Spellings of one or two letters ("ML", "JS") follow the same rule.
AMBIGUOUS_SKILL_WORDS = frozenset(
    {"go", "rust", "swift", "spring", "next", "node", "rest", "shell", "express", "dart",
     "elastic", "ember", "meteor", "chef", "puppet", "salt", "make", "jest", "mocha", "flask",
     "spark", "hive", "pig", "play", "unity", "react", "angular", "security", "r", "c", "d"}
)  # fmt: skip


@dataclass(frozen=True)
class Taxonomy:
    """Skills by every spelling, and one regex that finds them in text."""

    names: Mapping[str, str]  # spelling key → canonical lower-case name
    compact: Mapping[str, str]  # the key without spaces, dots and dashes ("nodejs")
    case_sensitive: frozenset[str]
    pattern: re.Pattern[str] | None


def _skill_key(text: str) -> str:
    return " ".join(re.split(r"[\s_-]+", text.strip().lower())).strip()


def _compact_key(text: str) -> str:
    return re.sub(r"[\s_.\-]+", "", text.lower())


def _term_pattern(term: str) -> str:
    return r"[\s-]+".join(re.escape(token) for token in re.split(r"[\s-]+", term.strip()) if token)


def taxonomy_build(entries: Iterable[tuple[str, Iterable[str]]]) -> Taxonomy:
    """Build a Taxonomy from (name, aliases) pairs, e.g. `Skill.objects.values_list("name",
    "aliases")`. A name wins over another skill's alias of the same spelling."""
    entries = [(name, list(aliases or ())) for name, aliases in entries if name and name.strip()]
    names: dict[str, str] = {}
    for name, _ in entries:
        names.setdefault(_skill_key(name), name.strip().lower())
    for name, aliases in entries:
        for alias in aliases:
            if alias and alias.strip():
                names.setdefault(_skill_key(alias), name.strip().lower())
    compact = {}
    for key, canonical in names.items():
        compact.setdefault(_compact_key(key), canonical)
    case_sensitive = frozenset(
        key for key in names if key in AMBIGUOUS_SKILL_WORDS or (key.isalpha() and len(key) <= 2)
    )
    terms = sorted(names, key=len, reverse=True)  # longest first: "react native" before "react"
    pattern = None
    if terms:
        alternatives = "|".join(_term_pattern(term) for term in terms)
        pattern = re.compile(
            rf"(?<![\w+#@&])(?<!\w\.)(?:{alternatives})(?![\w#&@]|\+[+\w]|\.\w)", re.IGNORECASE
        )
    return Taxonomy(names, compact, case_sensitive, pattern)


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


_SENTENCE_START = re.compile(r"(?:^|[.!?:•*]\s+|\n\s*)$")


def _written_as_name(text: str, match: re.Match[str], *, prose: bool) -> bool:
    """Tell "Go"/"REST" the technology from "go"/"Rest" the word: not all lower case and, in
    prose, not merely capitalised at the start of a sentence."""
    written = match.group(0)
    if written == written.lower():
        return False
    if not prose or (written.isupper() and len(written) > 1):
        return True
    return not _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()])


def skills_extract(
    *, declared: Any, text: str | None, taxonomy: Taxonomy, title: str | None = None
) -> list[str]:
    """Return sorted unique lower-case skill names: the posting's own `skills` (mapped to the
    taxonomy's name where a spelling is known, else kept as written) and the taxonomy's
    skills found in the title and text, on word boundaries that keep C++, C#, .NET and
    Node.js whole."""
    found: set[str] = set()
    for spelling in _declared_skills(declared):
        key = _skill_key(spelling)
        found.add(taxonomy.names.get(key) or taxonomy.compact.get(_compact_key(key)) or key)
    found.update(_skills_in(title, taxonomy, prose=False))
    found.update(_skills_in(text, taxonomy, prose=True))
    return sorted(found)


def _skills_in(text: str | None, taxonomy: Taxonomy, *, prose: bool) -> Iterator[str]:
    if taxonomy.pattern is None or not text:
        return
    for match in taxonomy.pattern.finditer(text):
        key = _skill_key(match.group(0))
        if key in taxonomy.case_sensitive and not _written_as_name(text, match, prose=prose):
            continue
        if canonical := taxonomy.names.get(key):
            yield canonical
