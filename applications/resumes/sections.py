"""Resume text as lines tagged with their section, and the patterns every part shares."""

from __future__ import annotations

import re
from dataclasses import dataclass

from applications.resumes.dates import RANGE

MAX_LINES = 2000

_HEADINGS = {
    "experience": """experience|work experience|professional experience|employment history|
        employment|career history|work history|professional background|relevant experience|
        career|positions held|berufserfahrung|expérience professionnelle|
        expériences professionnelles|experiencia|experiencia profesional|experience and projects""",
    "education": """education|academic background|education and training|academic
        qualifications|qualifications|ausbildung|formation|educación|studies|
        education and certifications|academic history""",
    "skills": """skills|technical skills|core skills|key skills|skills and tools|technologies|
        tech stack|competencies|core competencies|expertise|areas of expertise|toolbox|
        kenntnisse|compétences|habilidades|skills summary|technical proficiencies|
        skills and technologies|tools and technologies""",
    "summary": """summary|professional summary|profile|professional profile|about|about me|
        objective|career objective|personal statement|overview|profil""",
    "contact": """contact|contact details|contact information|personal details|personal
        information|kontakt|coordonnées""",
    "other": """projects|personal projects|side projects|open source|certifications|
        certificates|languages|interests|hobbies|references|awards|honors|honours|
        publications|volunteering|volunteer experience|courses|training|achievements|
        additional information|memberships""",
}

HEADINGS: dict[str, str] = {
    " ".join(name.split()): kind
    for kind, names in _HEADINGS.items()
    for name in names.replace("\n", " ").split("|")
}

_INLINE_HEADING = re.compile(
    r"^(?P<heading>[^\W\d_][\w &]{2,40}?)\s*:\s*(?P<rest>\S.*)$", re.IGNORECASE
)

_NOISE = re.compile(
    r"\bpage\s+\d+(?:\s+of\s+\d+)?\b|^-\s*\d+\s*-$|^\d+\s*/\s*\d+$|^references available",
    re.IGNORECASE,
)

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_KNOWN_HOSTS = (
    r"linkedin\.com|github\.com|gitlab\.com|bitbucket\.org|stackoverflow\.com|medium\.com|"
    r"behance\.net|dribbble\.com|twitter\.com|x\.com|kaggle\.com|xing\.com"
)

URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'|,;()]+"
    rf"|(?<![\w@./])(?:[a-z]{{2,3}}\.)?(?:{_KNOWN_HOSTS})/[^\s<>\"'|,;()]+",
    re.IGNORECASE,
)

# A label followed by a number: "Mobile: +44…", "Tel. 030…", not "Mobile Developer".
PHONE_LABEL = re.compile(
    r"(?:\b(?:phone|tel|telephone|téléphone|tél|mobile|mob|cell|handy|telefon|portable|móvil|"
    r"whatsapp)\b|[☎📞✆])\.?\s*:?\s*[+(\d]",
    re.IGNORECASE,
)

_SEPARATORS = re.compile(r"\s*[|·•▪◦]\s*|\s+[—–]\s+|\s+-\s+|\t|\s{3,}")


@dataclass(frozen=True)
class Line:
    text: str
    section: str  # top, summary, experience, education, skills, contact, other


def heading_kind(text: str) -> str | None:
    key = re.sub(r"[^\w&' ]+", " ", text.lower()).replace("&", " and ")
    return HEADINGS.get(" ".join(key.split()))


def _join_wrapped(raw: list[str]) -> list[str]:
    """Join a date range or a link that a narrow column wrapped onto the next line."""
    joined: list[str] = []
    wrapped: set[str] = set()
    for line in raw:
        if joined and line and (previous := joined[-1]):
            both = f"{previous} {line}"
            m = RANGE.search(both)
            if m and m.start() < len(previous) < m.end() and not RANGE.search(previous):
                joined[-1] = both
                continue
            m = URL.search(previous)
            if (
                m
                and m.end() == len(previous)
                and previous not in wrapped
                and re.fullmatch(r"[a-z0-9\-_./~%#?=&]+", line)
                and not URL.search(line)
                and not re.search(r"\.[a-z]{2,}(?:/|$)", line)
                and "/" in m.group(0).split("//")[-1]
            ):
                joined[-1] = previous + line
                wrapped.add(joined[-1])
                continue
        joined.append(line)
    return joined


def split_sections(text: str) -> list[Line]:
    """Cut the text into non-empty lines, each tagged with the section it sits in."""
    raw = _join_wrapped([line.strip() for line in text.splitlines()][:MAX_LINES])
    first_seen: dict[str, int] = {}
    lines: list[Line] = []
    section = "top"
    for position, line in enumerate(raw):
        if not line or (len(line) <= 40 and _NOISE.search(line)):
            continue
        # A page header with contact details repeats on every page: keep its first appearance.
        # (A repeated job title is not a header: "Data Scientist" may head the page and a job.)
        if line in first_seen and first_seen[line] < 5 and (EMAIL.search(line) or "|" in line):
            continue
        first_seen.setdefault(line, position)
        kind = heading_kind(line) if len(line) <= 45 else None
        if kind:
            section = kind
            continue
        inline = _INLINE_HEADING.match(line)
        if inline and (kind := heading_kind(inline.group("heading"))) in ("skills", "summary"):
            lines.append(Line(inline.group("rest"), kind))
            continue
        lines.append(Line(line, section))
    return lines


def segments(text: str) -> list[str]:
    return [part.strip(" ,;:") for part in _SEPARATORS.split(text) if part.strip(" ,;:")]
