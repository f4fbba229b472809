"""Read what matching needs from a posting's or a resume's text, into plain JSON-able dicts.

Pure functions: no database. The enrich stage stores their output (JobEnrichment and
ProfileEnrichment), so matching reads it without parsing text again.

A posting gives its role, level, required and nice-to-have skills (each requirement a set of
alternatives: "Kafka or another streaming platform"), where and how the work is done, the
countries it can employ in, visa sponsorship, shifts, hours and salary. A resume gives the
candidate's role (from the headline: what they do, not what they mention), level, years,
skills (with "I have not used X" and "I am learning Y" read as such), where they live, and
their stated conditions: remote only, where they would move or commute, where they may work,
shifts, hours, roles they do not want.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pipeline.matching.places import ANYWHERE, countries_in, places_in, regions_in
from pipeline.matching.roles import (
    ROLE_BY_KEY,
    STUDENT,
    RoleRead,
    role_level,
    role_read,
    roles_in,
    stack_in,
)
from pipeline.matching.skills import DOMAINS, skill_mentions, skills_in, with_implied
from pipeline.normalize import salary_from_text, seniority_from_title

FEATURES_VERSION = 1

LEVELS = {"intern": 0, "junior": 1, "mid": 2, "senior": 3, "lead": 4, "principal": 4}
LEVEL_NAMES = {0: "student or intern", 1: "junior", 2: "mid-level", 3: "senior", 4: "lead"}

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20,
}  # fmt: skip
_NUMBER = r"(\d{1,2}(?:\.\d)?|" + "|".join(_NUMBER_WORDS) + r")"
_YEARS = re.compile(
    _NUMBER + r"(\s+and\s+a\s+half)?\+?\s+(years?|months?)\b(?!\s+ago)(?!\s+old)", re.IGNORECASE
)

# Words that set a level when a title or a "Seniority:" line says them.
_LEVEL_WORDS = re.compile(
    r"\b(?P<intern>intern|internship|student|werkstudent|trainee|apprentice)\b"
    r"|\b(?P<junior>junior|jr\.?|entry[-\s]level|entry|graduate|new grad(?:uate)?"
    r"|newly qualified|associate)\b"
    r"|\b(?P<mid>mid[-\s]?level|mid|intermediate|medior|professional|experienced)\b"
    r"|\b(?P<senior>senior|sr\.?)\b"
    r"|\b(?P<lead>lead|staff(?=\s*(?:/|engineer|software|backend|level|principal))|principal"
    r"|head of|director|architect|vp)\b",
    re.IGNORECASE,
)
_SENIORITY_LINE = re.compile(r"\b(?:seniority|level|experience level)\s*:\s*([^.\n;]{1,80})", re.I)

_REQUIRED_LABEL = re.compile(
    r"(?:^|(?<=[.\n]))\s*(?:must[-\s]haves?|requirements|required|you should have|you have"
    r"|what we look for|what we(?:'re| are) looking for|we(?:'re| are) looking for|we expect"
    r"|your profile|essential|qualifications|minimum qualifications|about you|who you are"
    r"|you bring|skills and experience)\s*:",
    re.IGNORECASE,
)
_NICE_LABEL = re.compile(
    r"(?:^|(?<=[.\n]))\s*(?:nice[-\s]to[-\s]haves?|desirable|bonus(?: points)?|preferred"
    r"(?: qualifications)?|pluses|good to have|extra credit|it's a plus)\s*:",
    re.IGNORECASE,
)
_OTHER_LABEL = re.compile(
    r"(?:^|(?<=[.\n]))\s*(?:seniority|location|salary|compensation|pay|schedule|hours|benefits"
    r"|what you will do|what you'll do|responsibilities|your tasks|you will|about us"
    r"|day to day)\s*:",
    re.IGNORECASE,
)
_SOFT_ITEM = re.compile(
    r"\b(?:preferred|is a plus|a plus|welcome|an advantage|nice to have|desirable|bonus)\b",
    re.IGNORECASE,
)

_REMOTE_NEGATED = re.compile(
    r"\b(?:no|not|never|do not offer|don't offer|does not offer)\s+(?:\w+\s+){0,2}remote"
    r"(?:\s+option)?\b",
    re.IGNORECASE,
)
_REMOTE = re.compile(
    r"\b(?:fully remote|remote[-\s]first|remote within|remote in|remote from|100% remote"
    r"|work from anywhere|remote,? worldwide|^remote\b|location:\s*remote|remote only"
    r"|remote[-\s]only|remote role|remote position)",
    re.IGNORECASE | re.MULTILINE,
)
_HYBRID = re.compile(r"\bhybrid\b", re.IGNORECASE)
_VISA_NONE = re.compile(
    r"\b(?:cannot|can't|can not|unable to|will not|won't|do not|don't|does not|not able to)"
    r"\s+(?:offer\s+|provide\s+)?(?:visa\s+)?sponsor(?:ship)?|no (?:visa )?sponsorship"
    r"|sponsorship (?:is )?not (?:available|offered)",
    re.IGNORECASE,
)
_VISA_AVAILABLE = re.compile(
    r"\b(?:visa sponsorship (?:is )?available|(?:we|can|will) sponsor|sponsorship available"
    r"|offer visa sponsorship|provide visa sponsorship)\b",
    re.IGNORECASE,
)
_NIGHT = re.compile(r"\bnight(?:s|[-\s]shifts?)\b|\bovernight\b", re.IGNORECASE)
_DAY_SHIFT = re.compile(r"\bday[-\s]shifts?\b", re.IGNORECASE)
_HOURS = re.compile(r"\b(\d{1,2})\s*hours?\s*(?:a|per|each)\s*week\b", re.IGNORECASE)
_PART_TIME = re.compile(r"\bpart[-\s]time\b", re.IGNORECASE)
_RELOCATION_SUPPORT = re.compile(
    r"\brelocation (?:support|package|assistance|budget)\b", re.IGNORECASE
)


# --- Small text helpers -----------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """Split prose into sentences (and lines)."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(\"'])|\n+", text or "")
    return [part.strip() for part in parts if part.strip()]


def _number(word: str) -> float:
    word = word.lower()
    return float(_NUMBER_WORDS.get(word, 0) or word) if word else 0.0


def years_in(text: str) -> float | None:
    """The first length of experience a text states: "five years", "18 months", "one and a
    half years"."""
    for match in _YEARS.finditer(text or ""):
        amount = _number(match.group(1)) + (0.5 if match.group(2) else 0)
        if match.group(3).lower().startswith("month"):
            amount /= 12
        if 0 < amount <= 50:
            return round(amount, 1)
    return None


def _level_of(text: str) -> int | None:
    """The first level word of a short text ("Senior Django Engineer / Tech Lead" → 3)."""
    match = _LEVEL_WORDS.search(text or "")
    if match is None:
        return None
    return {"intern": 0, "junior": 1, "mid": 2, "senior": 3, "lead": 4}[match.lastgroup or ""]


def _level_from_years(years: float | None, *, required: bool = False) -> int | None:
    """Years of experience to a level. A posting's "5+ years" is senior; "2+ years" mid."""
    if years is None:
        return None
    if required:
        return 1 if years < 2 else 2 if years < 5 else 3 if years < 10 else 4
    return 1 if years < 3 else 2 if years < 6 else 3


def _strip_parentheses(text: str) -> tuple[str, str]:
    inside = " ; ".join(re.findall(r"\(([^()]*)\)", text))
    return re.sub(r"\([^()]*\)", " ", text), inside


def _skill_groups(item: str) -> list[list[str]]:
    """One requirement item ("Python or Scala", "Docker and Kubernetes", "AWS (ECS, RDS)")
    as groups of alternatives, every group needed. Skills joined by "or", or by a qualifier
    ("microservices with Kafka"), are alternatives; "and" and commas start a new group.
    Skills in parentheses are examples: alternatives of the group before them."""
    head, inside = _strip_parentheses(item)
    groups: list[list[str]] = []
    previous_end = None
    for key, start, end in skill_mentions(head, prose=False):
        between = head[previous_end:start] if previous_end is not None else None
        if groups and between is not None and re.search(r"^\W*(?:or\b|/)", between.strip()):
            if key not in groups[-1]:
                groups[-1].append(key)
        elif not any(key in group for group in groups):
            groups.append([key])
        previous_end = end
    inside_skills = [s for s in skills_in(inside, prose=False) if not any(s in g for g in groups)]
    if not groups:
        return [inside_skills] if inside_skills else []
    if inside_skills:
        groups[-1] = groups[-1] + inside_skills
    return groups


def _items(section: str) -> list[str]:
    return [item.strip() for item in re.split(r";|(?<=[.!?])\s+|\n+", section) if item.strip()]


def posting_sections(text: str) -> tuple[list[str], list[str], str]:
    """Split a posting into (required sections, nice-to-have sections, the rest)."""
    marks = []
    for kind, pattern in (("required", _REQUIRED_LABEL), ("nice", _NICE_LABEL),
                          ("other", _OTHER_LABEL)):  # fmt: skip
        marks += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
    marks.sort()
    required: list[str] = []
    nice: list[str] = []
    rest = [text[: marks[0][0]] if marks else text]
    for index, (_, end, kind) in enumerate(marks):
        stop = marks[index + 1][0] if index + 1 < len(marks) else len(text)
        body = text[end:stop]
        # A section ends at its paragraph's end.
        paragraph, _, after = body.partition("\n\n")
        {"required": required, "nice": nice}.get(kind, rest).append(paragraph)
        rest.append(after)
    return required, nice, "\n".join(rest)


def _requirement(groups: list[list[str]], text: str) -> dict:
    """One requirement: groups of alternatives, every group needed (`text` is where it was
    read, for debugging; not stored)."""
    return {"any": groups}


# --- Jobs ---------------------------------------------------------------------------------


def job_features(
    *,
    title: str,
    text: str,
    city: str = "",
    region: str = "",
    country: str = "",
    remote: str = "",
    seniority: str = "",
    salary: dict | None = None,
    declared_skills: Iterable[tuple[str, bool]] = (),
) -> dict[str, Any]:
    """Read a posting. Structured values passed in (a recruiter's, or the posting's own) win
    over what the text says; `declared_skills` are (lexicon key or name, required) pairs."""
    text = text or ""
    role = role_read(title)
    required_sections, nice_sections, rest = posting_sections(text)
    required: list[dict] = []
    nice: list[dict] = []
    for section in required_sections:
        for item in _items(section):
            groups = _skill_groups(item)
            if groups:
                soft = _SOFT_ITEM.search(_strip_parentheses(item)[0])
                (nice if soft else required).append(_requirement(groups, item))
    for section in nice_sections:
        for item in _items(section):
            if groups := _skill_groups(item):
                nice.append(_requirement(groups, item))
    named = {skill for req in required + nice for group in req["any"] for skill in group}
    # Skills the title names are required ("QA Automation Engineer (Selenium, Java)").
    for skill in skills_in(title, prose=False):
        if skill not in named:
            (nice if skill in DOMAINS else required).append(_requirement([[skill]], title))
            named.add(skill)
    if not required_sections:
        # No requirements section: what the text names is wanted, more loosely.
        for skill in skills_in(rest):
            if skill not in named:
                nice.append(_requirement([[skill]], "mentioned in the description"))
                named.add(skill)
    # Listed skills (a recruiter's JobSkill rows) win: required there is required here.
    in_required = {skill for req in required for group in req["any"] for skill in group}
    for name, is_required in declared_skills:
        key = name.lower()
        if is_required and key not in in_required:
            required.append(_requirement([[key]], "listed skill"))
            in_required.add(key)
        elif key not in named:
            nice.append(_requirement([[key]], "listed skill"))
        named.add(key)

    location_text = _location_text(text)
    workplace = remote or _workplace(location_text, title)
    place = _place(location_text, text, city=city, country=country, region=region)
    hiring = sorted(_hiring_regions(location_text, text, place)) if workplace == "remote" else []

    level, level_source = _job_level(title, text, seniority)
    years = None
    for section in required_sections:
        if (found := _required_years(section)) is not None:
            years = found
            break
    if level is None and years is not None:
        level, level_source = _level_from_years(years, required=True), "years"

    if salary is None and (found_salary := salary_from_text(text)):
        salary = found_salary.as_dict()
    hours_match = _HOURS.search(text)
    return {
        "version": FEATURES_VERSION,
        "role": role.as_dict(),
        "level": level,
        "level_source": level_source,
        "years_required": years,
        "required": required,
        "nice": nice,
        "workplace": workplace,
        "location": place,
        "hiring_regions": hiring,
        "visa": "none"
        if _VISA_NONE.search(text)
        else "available"
        if _VISA_AVAILABLE.search(text)
        else None,  # fmt: skip
        "shift": "night" if _NIGHT.search(title) or _night_schedule(text) else None,
        "hours": int(hours_match.group(1)) if hours_match else None,
        "part_time": bool(_PART_TIME.search(title) or _PART_TIME.search(location_text)),
        "internship": bool(re.search(r"\bintern(?:ship)?\b", title, re.I)),
        "relocation_support": bool(_RELOCATION_SUPPORT.search(text)),
        "salary": salary,
    }


def _location_text(text: str) -> str:
    """The sentences that say where the job is: a "Location:" line, else those naming a
    workplace arrangement."""
    match = re.search(r"\blocation\s*:\s*(.+?)(?=\s(?:salary|compensation|pay|hours)\s*:|\n|$)",
                      text, re.IGNORECASE)  # fmt: skip
    if match:
        return match.group(1)
    hits = [
        s for s in sentences(text)
        if re.search(r"\b(?:remote|hybrid|on[-\s]?site|office|based in|located in)\b", s, re.I)
    ]  # fmt: skip
    return " ".join(hits)


def _workplace(location_text: str, title: str) -> str:
    text = _REMOTE_NEGATED.sub(" ", f"{title}. {location_text}")
    if _REMOTE.search(text) and not re.search(r"\bhybrid\b", title, re.I):
        return "remote"
    if _HYBRID.search(text):
        return "hybrid"
    if re.search(r"\bremote\b", text, re.I) and not re.search(r"\bon[-\s]?site\b", text, re.I):
        return "remote"
    return "onsite"


def _place(location_text: str, text: str, *, city: str, country: str, region: str) -> dict:
    found = places_in(city) or places_in(location_text) or places_in(text)
    place = found[0] if found else None
    code = country or (place.country if place else None)
    if not code:
        countries = countries_in(location_text) or countries_in(text)
        code = countries[0][1] if countries else None
    return {
        "metro": place.metro if place else (city.lower() or None),
        "city": city or (place.name if place else None),
        "region": region or None,
        "country": code or None,
    }


def _hiring_regions(location_text: str, text: str, place: dict) -> set[str]:
    """The countries a remote job may employ in; {"ANY"} when worldwide, empty when the
    posting does not say."""
    scope = location_text
    for sentence in sentences(text):
        if re.search(r"\b(?:only (?:employ|hire)|cannot hire|residents? of|must (?:live|be "
                     r"(?:based|resident|located))|right to work)\b", sentence, re.I):  # fmt: skip
            scope += " " + sentence
    codes = regions_in(scope)
    if not codes and place.get("country"):
        codes = {place["country"]}
    return codes


def _night_schedule(text: str) -> bool:
    for sentence in sentences(text):
        if re.search(r"\b(?:schedule|shifts?|rota)\b", sentence, re.I) and _NIGHT.search(sentence):
            return True
    return False


def _job_level(title: str, text: str, seniority: str) -> tuple[int | None, str | None]:
    if seniority in LEVELS:
        return LEVELS[seniority], "listed"
    title_level = seniority_from_title(re.sub(r"\([^)]*\)", " ", title))
    if title_level in LEVELS:
        return LEVELS[title_level], "title"
    if match := _SENIORITY_LINE.search(text):
        if (level := _level_of(match.group(1))) is not None:
            return level, "text"
    return None, None


def _required_years(section: str) -> float | None:
    match = re.search(r"\b(\d{1,2})\s*(?:\+|-\s*\d{1,2}|to \d{1,2})?\s*years?\b", section)
    return float(match.group(1)) if match else None


# --- Candidates -----------------------------------------------------------------------------

_NEGATION = re.compile(
    r"\b(?:not|never|no|without|nor|lack)\b|n't\b|\bhave little\b", re.IGNORECASE
)
_WEAK = re.compile(
    r"\b(?:(?<!machine )(?<!deep )(?<!e-)learning|learn|started using|starting to|studying|preparing for|curious about"
    r"|interested in|would like to|want to|exploring|plan to|planning to|hope to|basics? of"
    r"|basic|beginner|some exposure|familiar with|introductory|tutorial|only briefly|briefly"
    r"|little|side project|personal project|home lab|certification course|working through"
    r"|read the documentation)\b",
    re.IGNORECASE,
)
_CLAUSE_SPLIT = re.compile(
    r",?\s+but\s+|;\s*|\s+and\s+(?=I\b|have\b|has\b|am\b)|\s+while\s+|\s+although\s+"
    r"|,\s+(?=I\b)",
)
_REMOTE_ONLY = re.compile(
    r"\bonly\b[^.;]{0,40}\bremote|\bremote[^.;]{0,30}\bonly\b|\bremote[-\s]only\b"
    r"|\bwill not (?:work|come)[^.;]{0,25}\b(?:office|on[-\s]?site)"
    r"|\bno office days\b|\bwill not relocate or work hybrid\b|\bwill not work on[-\s]?site\b",
    re.IGNORECASE,
)
_BASED = re.compile(
    r"\b(?:based in|i live in|living in|located in|i am in|i work remotely from|"
    r"currently living in|resident in|live in)\b\s*(.{0,80})",
    re.IGNORECASE,
)
_MOVE = re.compile(
    r"\b(?:relocat\w*|move to|moving to|move there|planning to move|plan to move|would move"
    r"|willing to move|open to moving|ready to move)\b",
    re.IGNORECASE,
)
_COMMUTE = re.compile(
    r"\b(?:commute|commuting|travel to|drive between|work across|visits? to)\b", re.IGNORECASE
)
_NO_MOVE = re.compile(
    r"\b(?:cannot|can't|can not|will not|won't|not able to|unable to|do not want to|"
    r"don't want to)\s+(?:\w+\s+)?(?:relocate|move)\b|\bwant to stay here\b",
    re.IGNORECASE,
)
_WORK_RIGHTS_NEG = re.compile(
    r"\b(?:without|do not have|don't have|do not yet have|no|lack)\s+(?:the\s+)?(?:full\s+)?"
    r"(?:(?P<before>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)\s+)?"
    r"(?:right to work|work authori[sz]ation|work permit|work visa)"
    r"(?:\s+(?P<outside>outside)?\s*(?:in\s+)?(?:the\s+)?(?P<after>[^.;,]{0,60}))?",
)
_WORK_RIGHTS_POS = re.compile(
    r"\b(?:(?P<nation>US|U\.S\.|American|Canadian|British|UK|Irish|EU|German|Dutch|French"
    r"|Spanish|Portuguese|Polish|Indian|Austrian|Italian)\s+(?:citizen|national|passport)"
    r"|(?:full\s+)?(?:(?P<country1>UK|US)\s+)?right to work(?:\s+in\s+(?:the\s+)?"
    r"(?P<country2>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?))?|(?P<pr>Canadian) permanent resident"
    r"|permanent resident of (?P<country3>[A-Z]\w+))",
)
_EMPLOYED_ONLY = re.compile(
    r"\b(?:can only be employed|only (?:be )?employ(?:ed)?|employ me in)\b[^.;]{0,80}"
)
_NATIONALITY = {
    "US": "US", "U.S.": "US", "American": "US", "Canadian": "CA", "British": "GB", "UK": "GB",
    "Irish": "IE", "EU": "EU", "German": "DE", "Dutch": "NL", "French": "FR", "Spanish": "ES",
    "Portuguese": "PT", "Polish": "PL", "Indian": "IN", "Austrian": "AT", "Italian": "IT",
}  # fmt: skip
_DAY_ONLY = re.compile(
    r"\b(?:only (?:work )?day shifts|day shifts only|no nights|not nights|cannot work nights"
    r"|day[-\s]shift (?:position|role|job) only|regular daytime hours|daytime hours only)\b",
    re.IGNORECASE,
)
_MAX_HOURS = re.compile(
    r"\b(?:up to|no more than|not more than|cannot work more than|can't work more than"
    r"|maximum of|max\.?|at most)\s+(\d{1,2})\s*hours?\b",
    re.IGNORECASE,
)
_INTERNSHIP_ONLY = re.compile(
    r"\blooking for (?:a |an )?(?:[\w-]+\s+){0,3}internship\b|\bnot looking for a full[-\s]time"
    r"|\blooking for a working[-\s]student\b|\bworking[-\s]student (?:or internship )?position",
    re.IGNORECASE,
)
_WANTS_PART_TIME = re.compile(
    r"\b(?:looking for|want|seeking|prefer)\s+(?:a\s+)?(?:\w+\s+)?part[-\s]time\b", re.I
)
_NOT_INTERESTED = re.compile(
    r"\b(?:not (?:looking for|interested in)|(?:do not|don't) want|no interest in)\s+"
    r"(?:a |an |any )?(?:return to an? )?(?P<what>[\w\s/,-]{3,60}?)\s+"
    r"(?:roles?|positions?|jobs?|work)\b",
    re.IGNORECASE,
)
# Words people use for a kind of role they do not want, and the roles they mean.
_ROLE_WORDS = {
    "recruiting": ("recruiter", "recruiting_coordinator"),
    "recruitment": ("recruiter", "recruiting_coordinator"),
    "talent": ("recruiter",),
    "data science": ("data_scientist",),
    "closing": ("account_executive",),
    "sales": ("account_executive", "sdr"),
    "pure software": ("backend", "frontend", "fullstack", "software_engineer"),
    "management": ("engineering_manager",),
    "operations": (),
    "testing": ("qa_automation", "qa_manual"),
}
_CAREER_CHANGE = re.compile(
    r"\b(?:moving (?:in)?to|retraining as|transitioning (?:in)?to|switching to|becoming)\s+"
    r"(?:an?\s+)?(?P<target>.+)$",
    re.IGNORECASE,
)
# Skills every holder of a role has, whether or not the resume spells them out.
ROLE_SKILLS = {
    "registered_nurse": ("registered nurse",),
    "primary_care_nurse": ("registered nurse",),
    "nurse_manager": ("registered nurse",),
    "nurse_informatics": ("registered nurse", "nursing informatics"),
    "nurse_quality": ("registered nurse",),
    "recruiter": ("recruiting",),
    "hr_business_partner": ("hr business partnering", "employee relations"),
    "account_executive": ("closing", "b2b saas"),
    "sdr": ("prospecting",),
    "customer_success": ("customer onboarding", "renewals", "account management"),
    "account_manager": ("account management", "renewals"),
    "data_engineer": ("data pipelines",),
    "qa_automation": ("test automation",),
    "qa_manual": ("manual testing",),
}


def _candidate_role(
    headline: str, text: str, current_title: str, *, title_first: bool = False
) -> tuple[RoleRead, bool]:
    """The role a candidate does (and whether they are changing careers into it)."""
    if title_first and current_title and (read := role_read(current_title)).known:
        return read, False
    head = re.split(r"\s+[–—|-]\s+", headline or "", maxsplit=1)[0]
    if change := _CAREER_CHANGE.search(head):
        target = change.group("target")
        keys = roles_in(target) or roles_in(f"{target} engineer")
        if keys:
            return RoleRead(keys, stack_in(headline)), True
    first_sentence = sentences(text)[0] if text else ""
    read = role_read(headline or current_title, fallback_text=first_sentence)
    if not read.known and current_title:
        read = role_read(current_title, fallback_text=first_sentence)
    return read, False


def _candidate_stack(read: RoleRead, text: str) -> tuple[str, ...]:
    if read.stack or not any(ROLE_BY_KEY[key].by_stack for key in read.keys):
        return read.stack
    first = sentences(text)[:2]
    stack = stack_in(" ".join(first))
    if stack:
        return stack
    counts: dict[str, int] = {}
    for language in re.findall(r"\b(?:Java|Kotlin|Scala|Python|Go|Golang|TypeScript|JavaScript"
                               r"|Node\.js|Ruby|PHP|C#|Rust)\b", text):  # fmt: skip
        for token in stack_in(language):
            counts[token] = counts.get(token, 0) + 1
    return tuple(sorted(counts, key=lambda k: -counts[k])[:2])


def candidate_skills(headline: str, text: str) -> dict[str, float]:
    """Skills with how surely the candidate has them: 1 done, 0.4 learning or basic, 0 said
    they lack it ("I have not used FastAPI in production"). Implied skills follow (Django →
    Python)."""
    mentions: dict[str, list[float]] = {skill: [1.0] for skill in skills_in(headline, prose=False)}
    for sentence in sentences(text):
        for clause in _CLAUSE_SPLIT.split(sentence):
            found = skills_in(clause)
            if not found:
                continue
            if _NEGATION.search(clause):
                strength = 0.0
            elif _WEAK.search(clause):
                strength = 0.4
            else:
                strength = 1.0
            for skill in found:
                mentions.setdefault(skill, []).append(strength)
    closed: dict[str, float] = {}
    for skill, strengths in mentions.items():
        for implied in with_implied([skill]):
            closed[implied] = max(closed.get(implied, 0.0), max(strengths))
    return closed


def profile_features(
    *,
    headline: str,
    text: str,
    current_title: str = "",
    city: str = "",
    region: str = "",
    country: str = "",
    remote_preference: str = "",
    seniority: str = "",
    years_experience: int | None = None,
    skills: Iterable[str] = (),
    confirmed_skills: Iterable[str] = (),
    title_confirmed: bool = False,
) -> dict[str, Any]:
    """Read a candidate. Values passed in win over the text: `skills` (lexicon keys or names)
    count where the text does not say otherwise, `confirmed_skills` count whatever it says,
    and a confirmed `current_title` names the role before the headline does."""
    text = text or ""
    read, career_change = _candidate_role(
        headline, text, current_title, title_first=title_confirmed
    )
    read = RoleRead(read.keys, _candidate_stack(read, text))
    head = re.split(r"\s+[–—|-]\s+", headline or "", maxsplit=1)[0]
    years = float(years_experience) if years_experience is not None else years_in(text)
    student = bool(STUDENT.search(head)) or bool(
        re.search(r"\b(?:i am a|i'm a)\s+[\w\s']{0,30}student\b|\bstudent at\b", text, re.I)
    )
    if seniority in LEVELS:
        level, level_source = LEVELS[seniority], "listed"
    elif student:
        level, level_source = 0, "student"
    elif career_change:
        level, level_source = 1, "career change"
    elif (found := _level_of(head)) is not None:
        level, level_source = found, "headline"
    elif (found := role_level(read)) is not None:
        level, level_source = found, "role"
    else:
        level, level_source = _level_from_years(years), "years"

    strengths = candidate_skills(headline, text)
    for key in read.keys:
        for skill in ROLE_SKILLS.get(key, ()):
            if strengths.get(skill, 1.0) > 0:
                strengths[skill] = 1.0
    for skill in skills:
        strengths.setdefault(skill.lower(), 1.0)
    for skill in confirmed_skills:
        for implied in with_implied([skill.lower()]):
            strengths[implied] = 1.0

    all_sentences = sentences(text)
    remote_only = remote_preference == "remote" or bool(
        _REMOTE_ONLY.search(headline or "") or any(_REMOTE_ONLY.search(s) for s in all_sentences)
    )
    return {
        "version": FEATURES_VERSION,
        "role": read.as_dict(),
        "role_title": head.strip(),
        "career_change": career_change,
        "level": level,
        "level_source": level_source,
        "years": years,
        "student": student,
        "skills": strengths,
        "location": _candidate_place(
            all_sentences, text, city=city, country=country, region=region
        ),  # fmt: skip
        "remote_only": remote_only,
        "remote_preference": "remote" if remote_only else (remote_preference or "any"),
        **_mobility(all_sentences),
        "work_rights": _work_rights(text),
        "day_shift_only": any(_DAY_ONLY.search(s) for s in all_sentences),
        "max_hours": _max_hours(text),
        "internship_only": bool(
            _INTERNSHIP_ONLY.search(text) or _INTERNSHIP_ONLY.search(headline or "")
        ),
        "wants_part_time": bool(_WANTS_PART_TIME.search(text)),
        "excluded_roles": _excluded_roles(all_sentences),
    }


def _candidate_place(all_sentences: list[str], text: str, *, city: str, country: str,
                     region: str) -> dict:  # fmt: skip
    place = None
    if city:
        found = places_in(city)
        place = found[0] if found else None
    if place is None:
        for sentence in all_sentences:
            if match := _BASED.search(sentence):
                found = places_in(match.group(1))
                if found:
                    place = found[0]
                    break
                if not country and (countries := countries_in(match.group(1))):
                    country = countries[0][1]
    if place is None and not country:
        found = places_in(text)
        place = found[0] if found else None
    code = country or (place.country if place else None)
    if not code:
        countries = countries_in(text)
        code = countries[0][1] if countries else None
    return {
        "metro": place.metro if place else (city.lower() or None),
        "city": city or (place.name if place else None),
        "region": region or None,
        "country": code,
    }


def _named_countries(clause: str) -> set[str]:
    """Countries and regions a clause names, leaving out the state or country written right
    after a city ("Boston, Massachusetts" names Boston, not all of the US)."""
    cities = places_in(clause)
    named = set()
    for position, code in countries_in(clause):
        if any(0 < position - place.start <= len(place.name) + 25 for place in cities):
            continue
        named.add(code)
    for match in re.finditer(r"\b(?:EU|European Union|Europe|EEA|DACH|Nordics|North America)\b",
                             clause):  # fmt: skip
        named |= regions_in(match.group(0))
    return named


def _mobility(all_sentences: list[str]) -> dict:
    """Where the candidate says they would move or commute to, or that they will not move."""
    metros: set[str] = set()
    countries: set[str] = set()
    commute: set[str] = set()
    anywhere = will_not = False
    for sentence in all_sentences:
        if _NO_MOVE.search(sentence):
            will_not = True
            continue
        if move := _MOVE.search(sentence):
            clause = sentence[move.start() :]
            found = {place.metro for place in places_in(clause) if place.metro}
            named = _named_countries(clause)
            metros |= found
            countries |= named
            # "Open to relocation" with no place: anywhere. "Move to" needs a place ("a move
            # to Tableau" is not a move).
            anywhere |= not found and not named and bool(re.search(r"\brelocat", clause, re.I))
        if re.search(r"\bcommut\w*", sentence, re.I):
            commute |= {place.metro for place in places_in(sentence) if place.metro}
    return {
        "relocation": {
            "metros": sorted(metros),
            "countries": sorted(countries),
            "anywhere": anywhere,
        },
        "commute": sorted(commute),
        "will_not_relocate": will_not,
    }


def _codes(words: str | None) -> set[str]:
    if not words:
        return set()
    codes = regions_in(words) - {ANYWHERE}
    return codes


def _work_rights(text: str) -> dict:
    """Where the candidate may work: countries they say they cannot, countries they say
    are the only ones, and countries they are entitled to (citizenship, right to work)."""
    excluded: set[str] = set()
    allowed: set[str] | None = None
    authorised: set[str] = set()
    for match in _WORK_RIGHTS_NEG.finditer(text):
        named = _codes(match.group("before")) | _codes(match.group("after"))
        if match.group("outside"):
            allowed = (allowed or set()) | named
        else:
            excluded |= named
    for match in _EMPLOYED_ONLY.finditer(text):
        named = _codes(match.group(0))
        if named:
            allowed = (allowed or set()) | named
    for match in _WORK_RIGHTS_POS.finditer(text):
        nation = match.group("nation") or match.group("pr")
        if nation:
            code = _NATIONALITY[nation]
            authorised |= set(regions_in("EU")) if code == "EU" else {code}
        for group in ("country1", "country2", "country3"):
            authorised |= _codes(match.group(group))
    authorised -= excluded
    return {
        "excluded": sorted(excluded),
        "allowed": sorted(allowed) if allowed is not None else None,
        "authorised": sorted(authorised),
        "needs_sponsorship": bool(re.search(r"\bvisa sponsorship\b|\bwith a work visa\b", text)),
    }


def _max_hours(text: str) -> int | None:
    hours = [int(m.group(1)) for m in _MAX_HOURS.finditer(text) if int(m.group(1)) <= 35]
    if hours:
        return min(hours)
    if re.search(r"\blooking for (?:a |an )?(?:[\w-]+\s+){0,2}(?:working[-\s]student|werkstudent)",
                 text, re.I):  # fmt: skip
        return 20
    return None


def _excluded_roles(all_sentences: list[str]) -> list[str]:
    keys: list[str] = []
    for sentence in all_sentences:
        for match in _NOT_INTERESTED.finditer(sentence):
            what = match.group("what").lower()
            found = list(roles_in(what))
            for word, roles in _ROLE_WORDS.items():
                if re.search(rf"\b{word}\b", what):
                    found += roles
            for key in found:
                if key not in keys:
                    keys.append(key)
    return keys
