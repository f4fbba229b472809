"""Work history, education and years of experience: entries anchored on date ranges."""

from __future__ import annotations

import re
from datetime import date

from applications.resumes.dates import YEAR, DateRange, find_range, merged_months
from applications.resumes.places import ORGANISATION_WORDS, parse_location, strip_location
from applications.resumes.sections import EMAIL, PHONE_LABEL, URL, Line, segments

_BULLET = re.compile(r"^[•\-*▪◦●–·>✓➢]\s*")

_ABBREVIATION_END = re.compile(
    r"\b(?:co|inc|ltd|corp|llc|plc|s\.a|b\.v|n\.v|jr|sr|st|dept|intl)\.$", re.IGNORECASE
)

ROLE_WORDS = frozenset(
    """
    engineer developer programmer architect manager lead head director designer scientist
    analyst consultant specialist administrator intern internship officer coordinator researcher
    assistant associate technician vp president cto ceo cfo coo cio cpo founder co-founder
    cofounder owner devops sre tester recruiter accountant nurse teacher lecturer professor
    student trainee apprentice werkstudent freelancer contractor executive representative
    advisor adviser strategist writer editor marketer supervisor partner principal
    administrateur ingénieur développeur entwickler ingenieur berater desarrollador
    """.split()
)

TITLE_MODIFIERS = frozenset(
    """
    senior junior staff mid chief product data software full-stack fullstack frontend
    front-end backend back-end mobile web cloud platform systems system qa test support
    technical site reliability embedded machine learning ux ui it bi ios android associate
    """.split()
)

COMPANY_WORDS = ORGANISATION_WORDS

_NOT_TITLES = frozenset({"full-time", "part-time", "contract", "freelance", "remote", "hybrid"})

_VERBS = frozenset(
    """
    built ran wrote grew cut split rebuilt own owns lead leads run runs drive drove made took won
    set sold taught brought kept began write build design develop manage create deliver help
    work support reduce increase improve launch mentor drive migrate maintain implement ship
    """.split()
)

DEGREE = re.compile(
    r"(?<![\w.])(?:bachelor\w*|master\w*|mba|ph\.?\s?d|d\.?\s?phil|doctor(?:ate)?|diplom\w*|"
    r"licen[cs]e|licenciatura|grado|laurea|associate|abitur|baccalaur\w+|a-levels?|"
    r"[bm]\.?\s?sc|[bm]\.?\s?eng|[bm]\.?\s?tech|[bm]\.\s?[aes]\.?)(?![\w])",
    re.IGNORECASE,
)

DEGREE_ABBREVIATION = re.compile(
    r"(?<![\w.])(?:BA|MA|BS|MS|BE|ME|BFA|MFA|BBA|LLB|LLM|MD|MPhil|DPhil|HND|BTS|DUT)(?![\w])"
)

INSTITUTION = re.compile(
    r"(?<!\w)(?:univers\w*|college|institute|institut|school|école|ecole|hochschule|academy|"
    r"akademie|polytechnic|polytechnique|politecnico|conservatoire|fachhochschule|lycée|"
    r"ETH|EPFL|MIT|IIT)(?!\w)",
    re.IGNORECASE,
)

EXPLICIT_YEARS = re.compile(
    r"(?:(?:over|more\s+than|almost|nearly|about|around|some)\s+)?(?P<n>\d{1,2})\s*\+?\s*"
    r"(?:years?|yrs?)\b(?:\s+of)?[^.\n]{0,40}?\b(?:experience|expérience|erfahrung)",
    re.IGNORECASE,
)


def has_role(text: str) -> bool:
    return any(
        part in ROLE_WORDS
        for word in text.lower().split()
        for part in word.strip(".,()").split("/")
    )


def title_score(text: str) -> float:
    """How much a phrase reads like a job title (positive) or an organisation (negative)."""
    words = [w.strip(".,()").lower() for w in text.split()]
    score = 0.0
    for word in words:
        parts = word.split("/")
        if any(p in ROLE_WORDS for p in parts):
            score += 2
        elif word in TITLE_MODIFIERS:
            score += 0.5
        if word in COMPANY_WORDS:
            score -= 2
    return score


def is_header_like(text: str) -> bool:
    """A line that could name a role or an employer, not a sentence or a bullet point."""
    if len(text) > 90 or _BULLET.match(text) or not re.search(r"[^\W\d_]", text):
        return False
    if text.endswith(".") and not _ABBREVIATION_END.search(text):
        return False
    if ";" in text or len(text.split()) > 12:
        return False
    first = text.split()[0].lower()
    if first in ROLE_WORDS or first in TITLE_MODIFIERS:
        return True
    return not (first.endswith("ed") or first in _VERBS)


def _header_parts(text: str) -> list[tuple[str, str | None]]:
    """Split an entry's header into (phrase, role) with role 'title', 'company' or unknown."""
    parts: list[tuple[str, str | None]] = []
    for part in segments(text):
        part = part.strip(" ,;:()[]")
        at = re.split(r"\s+(?:at|@|chez|bei)\s+", part, maxsplit=1)
        if len(at) == 2 and all(at):
            company = strip_location(at[1].strip(" ,"))
            parts += [(at[0].strip(" ,"), "title")] + ([(company, "company")] if company else [])
            continue
        part = strip_location(part)
        if not part or part.lower() in _NOT_TITLES:
            continue
        parts.append((part, None))
    if len(parts) == 1 and parts[0][1] is None and "," in parts[0][0]:
        left, _, right = parts[0][0].partition(",")
        if has_role(left) != has_role(right):  # "Solutions Architect, Halcyon Ltd"
            parts = [(left.strip(), None), (right.strip(), None)]
    return parts


def _title_and_company(parts: list[tuple[str, str | None]]) -> tuple[str, str]:
    title = next((p for p, role in parts if role == "title"), "")
    company = next((p for p, role in parts if role == "company"), "")
    unknown = [p for p, role in parts if role is None]
    if not title and unknown:
        title = max(unknown, key=lambda p: (title_score(p), -unknown.index(p)))
        unknown.remove(title)
    if not company and unknown:
        company = min(unknown, key=lambda p: (title_score(p), unknown.index(p)))
    return title, company


def find_work_history(lines: list[Line], today: date) -> tuple[list[dict], list[DateRange], float]:
    region = [line.text for line in lines if line.section == "experience"]
    if not region:
        region = [line.text for line in lines if line.section not in ("education", "skills", "top")]
    anchors = [(i, r) for i, text in enumerate(region) if (r := find_range(text, today))]
    if not anchors:
        return [], [], 0.0
    before = any(is_header_like(region[j]) for j in range(anchors[0][0]))
    entries, ranges = [], []
    for k, (i, found) in enumerate(anchors):
        line = region[i]
        parts = _header_parts(line[: found.span[0]] + " | " + line[found.span[1] :])
        low = anchors[k - 1][0] + 1 if k else 0
        high = anchors[k + 1][0] if k + 1 < len(anchors) else len(region)
        neighbours = range(i - 1, low - 1, -1) if before else range(i + 1, high)
        taken = 0
        for j in neighbours:
            if len(parts) >= 2 or taken >= 2 or not is_header_like(region[j]):
                break
            more = _header_parts(region[j])
            parts = more + parts if before else parts + more
            taken += 1
        ranges.append(found)
        title, company = _title_and_company(parts)
        if title or company:
            entries.append(
                {
                    "title": title,
                    "company": company,
                    "start": found.start.iso(),
                    "end": found.end.iso() if found.end else "present",
                }
            )
    complete = sum(1 for e in entries if e["title"] and e["company"])
    confidence = 0.4 + 0.45 * complete / len(entries) if entries else 0.0
    return entries, ranges, confidence


def find_years(lines: list[Line], ranges: list[DateRange], today: date) -> tuple[int | None, float]:
    computed = merged_months(ranges, today) // 12 if ranges else None
    explicit = None
    for preferred in (True, False):
        for line in lines:
            if (line.section != "experience") == preferred and (
                m := EXPLICIT_YEARS.search(line.text)
            ):
                explicit = int(m.group("n"))
                break
        if explicit is not None:
            break
    if explicit is not None and computed is not None:
        if abs(explicit - computed) <= 1:
            return max(explicit, computed), 0.9
        return computed, 0.6
    if explicit is not None:
        return explicit, 0.7
    if computed is not None:
        return computed, 0.7 if len(ranges) > 1 else 0.6
    return None, 0.0


def find_education(lines: list[Line]) -> tuple[list[dict], float]:
    entries: list[dict] = []
    current: dict | None = None
    previous_institution = None
    for line in (line for line in lines if line.section == "education"):
        text = line.text
        if EMAIL.search(text) or URL.search(text) or PHONE_LABEL.search(text):
            continue  # a contact line (a footer, say) that ends up under the last heading
        years = [int(y) for y in YEAR.findall(text)]
        bare = YEAR.sub(" ", text)
        parts = [
            p.strip(" ,;:–—-()[]")
            for p in re.split(r"[,|·•()\[\]]|\s[—–-]\s", bare)
            if p.strip(" ,;:–—-()[]")
        ]
        degree = next((p for p in parts if DEGREE.search(p) or DEGREE_ABBREVIATION.search(p)), None)
        institution = next((p for p in parts if p != degree and INSTITUTION.search(p)), None)
        if degree is None and institution is not None:
            others = [p for p in parts if p != institution and not parse_location(p)]
            degree = others[0] if others and len(others[0]) <= 80 else None
        if (
            current is not None
            and current["institution"] == previous_institution
            and current["end"] is None
            and years
            and not (degree or institution)
            and parts
            and len(parts[0].split()) <= 3
            and parts[0][:1].isupper()
            and not parse_location(parts[0])
        ):
            # The end of an institution's name that a narrow column wrapped:
            # "National Institute of Technology" / "Karnataka, 2020–2022".
            current["institution"] = f"{current['institution']} {parts[0]}"
            parts = parts[1:]
        previous_institution = institution
        if not (degree or institution or years):
            continue
        starts_new = current is None or (
            (degree and current["degree"]) or (institution and current["institution"])
        )
        if (degree or institution) and starts_new:
            current = {"degree": "", "institution": "", "start": None, "end": None}
            entries.append(current)
        if current is None:
            continue
        current["degree"] = current["degree"] or degree or ""
        current["institution"] = current["institution"] or institution or ""
        if years and current["end"] is None:
            current["start"], current["end"] = min(years), max(years)
    entries = [e for e in entries if e["degree"] or e["institution"]]
    if not entries:
        return [], 0.0
    complete = sum(1 for e in entries if e["degree"] and e["institution"] and e["end"])
    return entries, 0.5 + 0.35 * complete / len(entries)
