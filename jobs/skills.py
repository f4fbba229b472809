"""The one skill matcher: every spelling of every skill of the taxonomy, found in text.

Postings (`pipeline.normalize.skills`) and resumes (`applications.resumes.skills`) both use it,
so a skill is found the same way wherever it is written.

How it scales: text is cut into tokens once, and each run of up to `max_tokens` tokens is
looked up in a dict of spellings, longest first, only while the run is the start of some
spelling. A taxonomy of 14k skills with 100k spellings costs about what one of fifty does.

The rules:
- A token keeps "C++", "C#", ".NET", "Node.js" and "ASP.NET" whole, and leaves off a possessive
  "'s" and a trailing "+" ("ES6+"). White space (line breaks too), hyphens and underscores join
  the tokens of a spelling ("scikit learn" is "scikit-learn"); "/" and "&" are tokens of their
  own ("CI/CD", "R&D"); any other punctuation ends a spelling. E-mail addresses and URLs are
  never skills.
- The longest spelling at a position wins: "React Native" is not also "React".
- A name wins over another skill's alias of the same spelling; otherwise the first skill wins.
- Everyday words (`AMBIGUOUS_SKILL_WORDS`) and spellings of one or two letters count only when
  written as a name: not all lower case ("go", "react to") and, in prose, not merely capitalised
  at the start of a sentence ("Go ahead", "Rest assured") unless a list goes on after them
  ("Go, Rust"). Acronyms in capitals ("REST", "ML", "RN") count. A single letter ("R", "C")
  counts only next to a list separator ("Python, R").
- Words that are everyday only in lower case (`CAPITALISED_SKILL_WORDS`: "excel", "epic") count
  when capitalised, at the start of a sentence too.
- Human languages (`LANGUAGE_SKILL_WORDS`) are also nationalities ("a German fintech"): in prose
  they count near a word about language ("fluent German", "English C1") or in a list.
- Skills too generic to find in prose (`GENERIC_SKILL_WORDS`: "history", "energy") count only
  in a list of skills.
- In a list of skills (`listed=True`, e.g. a resume's skills section, or a line that starts
  "Skills:" or "Tech stack:") every spelling counts, whatever its case.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from django.db import connection

# Skill names that are also everyday words.
AMBIGUOUS_SKILL_WORDS = frozenset(
    """
    go rust swift ruby spring rest next node shell security elastic containers analytics express
    torch spark payments healthcare unity dart crystal elixir hive pig flow prism ember
    meteor chef puppet salt vault consul make jest mocha flask play react angular r c d less swing
    canvas source scratch eclipse assembly pascal nodes storm beam access teams project office
    word outlook slack zoom notion segment heap stitch circle sentry bootstrap
    """.split()
)  # fmt: skip

# Skill names that are everyday words only in lower case ("excel at", "an epic journey"): they
# count when capitalised, at the start of a sentence too ("Tableau is a plus").
CAPITALISED_SKILL_WORDS = frozenset(
    """
    julia tableau excel epic snowflake airflow looker jenkins prometheus vagrant confluence bamboo
    crucible greenhouse lever workday outreach gong chorus intercom amplitude redshift flutter
    electron tailwind sas android delphi gherkin pulsar prefect travis groovy cypress selenium
    rails helm
    """.split()
)  # fmt: skip

# Skills that are real but too generic to report when prose merely uses the words ("energy",
# "history", "logic", "personal development"): they count only in a list of skills.
GENERIC_SKILL_WORDS = frozenset(
    """
    energy history hair dies logic literature ethics morality dance golf football boxing tennis
    yoga ski swim sing prayer cameras database databases logging migration electricity lasers
    explosives graphite beeswax bristles adhesives medicines cosmetics livestock gemstones
    blueprints obesity pregnancy allergies autism childbirth lactation betting crafting coining
    crimping declaim persist grammar spelling terminology semantics geography aesthetics
    consultation decommissioning depreciation foreclosure outplacement oxidation kinetics
    mechanics optics sensors ecosystems camouflage wildlife rhetoric genealogy surgery protein
    """.split()
) | frozenset(
    ("personal development", "make decisions", "work in teams", "think creatively", "manage time")
)

# Human languages: also adjectives of nationality ("a German fintech", "an Irish citizen"), so in
# prose they count only near a word that speaks of language ("fluent German", "English C1",
# "written English", "in Dutch") or in a list ("Polish, English").
LANGUAGE_SKILL_WORDS = frozenset(
    """
    albanian arabic armenian azerbaijani basque belarusian bengali berber bosnian bulgarian
    cantonese catalan chinese croatian czech danish dutch english estonian filipino finnish french
    galician georgian german greek gujarati hebrew hindi hungarian icelandic indonesian irish
    italian japanese javanese kazakh korean kurdish latin latvian lithuanian macedonian malay
    maltese mandarin marathi montenegrin norwegian persian polish portuguese punjabi romani
    romanian russian sanskrit serbian slovak slovenian spanish swahili swedish tagalog tamil
    telugu thai turkish ukrainian urdu vietnamese welsh yiddish
    """.split()
)  # fmt: skip
_LANGUAGE_CUE = re.compile(
    r"\b(?:fluen\w*|speak\w*|spoken|writ\w*|read(?:s|ing)?|native|mother\s+tongue|languages?|bilingual"
    r"|proficien\w*|conversational|working\s+knowledge|interpret\w*|translat\w*|[abc][12]|level)\b",
    re.IGNORECASE,
)
_LANGUAGE_WINDOW = 40  # characters either side, within the line

_TOKENS = re.compile(
    r"""
    (?P<skip>(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<word>\.?\w+(?:\.\w+|['’](?!s\b)\w+)*(?:\+\+|\#)?)(?:\+|['’]s\b)?
  | (?P<sym>[/&])
    """,
    re.VERBOSE,
)
_JOIN = re.compile(r"[\s_-]*")
_SYMBOLS = frozenset({"/", "&"})
_LIST_AFTER = frozenset(",/|;)")
_LIST_BEFORE = frozenset(",/|;(")
_SENTENCE_END = frozenset(".!?:•*-–—")
SKILLS_LINE = re.compile(
    r"^\s*[•*\-–]?\s*(?:(?:technical|key|core|required|main)\s+)?"
    r"(?:skills|technologies|tech(?:nology)?\s+stack|stack|tools|tooling)\s*[:|]",
    re.IGNORECASE,
)


class SkillLike(Protocol):
    slug: str
    name: str
    aliases: Sequence[str]


@dataclass(frozen=True)
class SkillTerm:
    """A taxonomy entry without the database: what the matcher needs of a `jobs.Skill`."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkillMatch:
    """One mention of a skill: `index` into `SkillMatcher.skills`, where it was written, and
    whether it was found in a list of skills."""

    index: int
    start: int
    end: int
    written: str
    listed: bool


def _tokens(text: str) -> Iterator[tuple[str, int, int, bool]]:
    """Yield (key, start, end, joined to the previous token) for each token of `text`."""
    previous_end = -1
    for match in _TOKENS.finditer(text):
        if match.lastgroup == "skip":
            previous_end = -1
            continue
        start, end = match.span(match.lastgroup)
        joined = previous_end >= 0 and _JOIN.fullmatch(text, previous_end, start) is not None
        previous_end = match.end()
        yield match.group(match.lastgroup).lower().replace("’", "'"), start, end, joined


_PLAIN = re.compile(r"[A-Za-z0-9 -]*")


def skill_key(spelling: str) -> str:
    """The form every spelling is looked up by: its tokens, lower case, joined by a space."""
    if _PLAIN.fullmatch(spelling):  # the common case, without the tokeniser: 10× faster
        return " ".join(spelling.replace("-", " ").lower().split())
    return " ".join(key for key, *_ in _tokens(spelling))


def _compact_key(text: str) -> str:
    return re.sub(r"[\s_.\-]+", "", text.lower())


class SkillMatcher:
    """Skills by every spelling, and the rules that find them in text (see the module)."""

    def __init__(self, skills: Iterable[SkillLike | SkillTerm], *, max_tokens: int = 6):
        self.skills: list[SkillTerm] = []
        for skill in skills:
            name = (skill.name or "").strip()
            if name:
                aliases = tuple(a for a in (skill.aliases or ()) if a and a.strip())
                self.skills.append(SkillTerm(skill.slug, name, aliases))
        self.terms: dict[str, int] = {}  # spelling key → index into self.skills
        keys = [skill_key(skill.name) for skill in self.skills]
        for index, key in enumerate(keys):
            self.terms.setdefault(key, index)
        for index, skill in enumerate(self.skills):
            for alias in skill.aliases:
                self.terms.setdefault(skill_key(alias), index)
        self.terms.pop("", None)
        self.max_tokens = max_tokens
        self._prefixes: set[str] = set()
        for key in list(self.terms):
            tokens = key.split(" ")
            if len(tokens) > max_tokens or tokens[0] in _SYMBOLS or tokens[-1] in _SYMBOLS:
                continue
            for n in range(1, len(tokens)):
                self._prefixes.add(" ".join(tokens[:n]))
        self.case_sensitive = frozenset(
            key
            for key in self.terms
            if key in AMBIGUOUS_SKILL_WORDS
            or key in CAPITALISED_SKILL_WORDS
            or (key.isalpha() and len(key) <= 2)
        )
        self.capitalised = frozenset(key for key in self.terms if key in CAPITALISED_SKILL_WORDS)
        # A generic skill's other one-word spellings ("consultations") are generic too.
        generic_skills = {i for i, key in enumerate(keys) if key in GENERIC_SKILL_WORDS}
        self.generic = frozenset(
            key
            for key, index in self.terms.items()
            if key in GENERIC_SKILL_WORDS or (index in generic_skills and " " not in key)
        )
        self.languages = frozenset(key for key in self.terms if key in LANGUAGE_SKILL_WORDS)
        self._special = self.case_sensitive | self.generic | self.languages

    def __len__(self) -> int:
        return len(self.skills)

    @cached_property
    def compact(self) -> dict[str, int]:
        """Spellings without spaces, dots and dashes ("nodejs"), for names given as a list."""
        compact: dict[str, int] = {}
        for key, index in self.terms.items():
            compact.setdefault(_compact_key(key), index)
        return compact

    def lookup(self, spelling: str) -> int | None:
        """The skill (an index into `skills`) that `spelling` names, or None."""
        key = skill_key(spelling)
        index = self.terms.get(key)
        if index is None:
            index = self.compact.get(_compact_key(key))
        return index

    def find(
        self, text: str | None, *, prose: bool = True, listed: bool = False
    ) -> list[SkillMatch]:
        """Every mention of a skill in `text`, in order. `prose` is False for a title or a
        heading (no sentences there); `listed` says the whole text is a list of skills."""
        if not text or not self.terms:
            return []
        tokens = list(_tokens(text))
        terms, prefixes, found = self.terms, self._prefixes, []
        count, i = len(tokens), 0
        while i < count:
            candidates = []
            key, j = tokens[i][0], i
            while True:
                if key in terms:
                    candidates.append((j, key))
                if key not in prefixes or j + 1 >= count or not tokens[j + 1][3]:
                    break
                j += 1
                key = f"{key} {tokens[j][0]}"
            for j, key in reversed(candidates):  # the longest first
                start, end = tokens[i][1], tokens[j][2]
                accepted = self._accept(key, text, start, end, prose=prose, listed=listed)
                if accepted is not None:
                    found.append(SkillMatch(terms[key], start, end, text[start:end], accepted))
                    i = j + 1
                    break
            else:
                i += 1
        return found

    def _accept(
        self, key: str, text: str, start: int, end: int, *, prose: bool, listed: bool
    ) -> bool | None:
        """None to reject the mention, else whether it was in a list of skills."""
        if listed:
            return True
        line_start = text.rfind("\n", 0, start) + 1
        if SKILLS_LINE.match(text, line_start):
            return True
        if key not in self._special:
            return False
        if key in self.generic:
            return None
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        before = text[line_start:start].rstrip()
        after = text[end:line_end].lstrip()
        written = text[start:end]
        if key in self.languages:
            if written.islower():
                return None
            if before[-1:] in _LIST_BEFORE or after[:1] in _LIST_AFTER or before.endswith(" in"):
                return False
            window = text[
                max(line_start, start - _LANGUAGE_WINDOW) : min(line_end, end + _LANGUAGE_WINDOW)
            ]
            return False if _LANGUAGE_CUE.search(window) else None
        if written == written.lower():
            return None
        if len(key) == 1:
            return False if after[:1] in _LIST_AFTER or before[-1:] in _LIST_BEFORE else None
        if written.isupper() or not prose or key in self.capitalised:
            return False
        at_sentence_start = not before or before[-1] in _SENTENCE_END
        return False if not at_sentence_start or not after or after[0] in _LIST_AFTER else None


# --- The taxonomy of the database, built once per process ------------------------------------

_lock = threading.Lock()
_cached: tuple[tuple[int, int], SkillMatcher] | None = None

# A cheap fingerprint of jobs_skill: any added, removed, renamed or re-aliased skill changes it.
_VERSION_SQL = """
SELECT count(*), coalesce(sum(hashtext(slug || '|' || name || '|' || array_to_string(aliases, '|'))), 0)
  FROM jobs_skill
"""


def skill_matcher() -> SkillMatcher:
    """The matcher of every `jobs.Skill`, built once per process and rebuilt when the skills
    change. Checking for a change costs one aggregate query (~10 ms over the ESCO taxonomy), so
    take it once per batch of postings or resumes, not once per text."""
    global _cached
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        count, checksum = cursor.fetchone()
    version = (int(count), int(checksum))
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is not None and _cached[0] == version:
            return _cached[1]
        from jobs.models import Skill

        rows = Skill.objects.order_by("id").values_list("slug", "name", "aliases")
        matcher = SkillMatcher(
            SkillTerm(slug, name, tuple(aliases)) for slug, name, aliases in rows
        )
        _cached = (version, matcher)
        return matcher
