"""Contact details: email, phone (E.164), links, location and the person's name."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from applications.resumes.history import COMPANY_WORDS, INSTITUTION, ROLE_WORDS, TITLE_MODIFIERS
from applications.resumes.places import parse_location
from applications.resumes.sections import (
    EMAIL,
    PHONE_LABEL,
    URL,
    Line,
    heading_kind,
    segments,
)

LINK_LABEL = re.compile(
    r"\b(?:github|gitlab|linkedin|xing|twitter|stack\s*overflow|website|portfolio|web|"
    r"e-?mail|phone|mobile|tel)\b\s*:?",
    re.IGNORECASE,
)

# What phonenumbers may take for a number but is a date: "2015 - 2018", "06/2025".
_DATE_LIKE = re.compile(
    r"^\(?(?:19|20)\d{2}\)?\s*[-–]\s*(?:19|20)\d{2}$"
    r"|(?:^|\D)(?:0?[1-9]|1[0-2])\s*[/.]\s*(?:19|20)\d{2}(?!\d)"
)

_FALLBACK_REGIONS = ("US", "GB", "DE", "FR", "IN", "CA", "AU", "NL", "ES", "IT", "IE", "CH")

_PARTICLES = frozenset(
    "van von der den de del della di da dos das du la le bin binti al el ter ten zu y".split()
)

_NOT_NAMES = frozenset(
    "curriculum vitae resume résumé cv lebenslauf profile contact summary page".split()
)

_HONORIFIC = re.compile(r"^(?:dr|prof|mr|mrs|ms|mx)\.?\s+", re.IGNORECASE)

_POSTNOMINAL = re.compile(r",\s*(?:phd|ph\.d\.|mba|msc|m\.sc\.|cfa|cpa|pmp|md)\.?$", re.I)


def contact_lines(lines: list[Line]) -> list[Line]:
    """Lines that may hold contact details: the top, a contact section, the footer, and any
    line with an email address, a link or a phone label, in that order of preference."""
    first = [line for line in lines if line.section in ("top", "contact")]
    rest = [
        line
        for line in lines
        if line.section not in ("top", "contact")
        and (EMAIL.search(line.text) or URL.search(line.text) or PHONE_LABEL.search(line.text))
    ]
    footer = [line for line in lines[-3:] if line not in first and line not in rest]
    return first + rest + footer


def find_email(lines: list[Line], contact: list[Line]) -> tuple[str | None, float]:
    for group, confidence in ((contact, 0.97), (lines, 0.85)):
        for line in group:
            if m := EMAIL.search(line.text):
                return m.group(0).lower().rstrip("."), confidence
    return None, 0.0


def _country_of_email(email: str | None) -> str | None:
    if not email:
        return None
    tld = email.rsplit(".", 1)[-1].upper()
    if tld == "UK":
        return "GB"
    if len(tld) == 2 and phonenumbers.country_code_for_region(tld):
        return tld
    return None


def find_phone(
    contact: list[Line], *, region: str | None, email: str | None
) -> tuple[str | None, float]:
    """The first valid number: international ones first, then national ones read with the
    location's country, the email's country, and last a few common countries."""
    email_region = _country_of_email(email)
    candidates = []
    for line in contact:
        text = EMAIL.sub(" ", URL.sub(" ", line.text))
        if sum(ch.isdigit() for ch in text) >= 6:
            labelled = bool(PHONE_LABEL.search(line.text))
            contact_like = labelled or bool(
                EMAIL.search(line.text) or URL.search(line.text) or re.search(r"[|·•]", text)
            )
            candidates.append((text, labelled, contact_like))
    for text, _, _ in candidates:
        for match in PhoneNumberMatcher(text, "ZZ", leniency=Leniency.VALID):
            return _e164(match.number), 0.95
    for candidate in dict.fromkeys((region, email_region, *_FALLBACK_REGIONS)):
        if candidate is None:
            continue
        for text, labelled, contact_like in candidates:
            for match in PhoneNumberMatcher(text, candidate, leniency=Leniency.VALID):
                raw = match.raw_string.strip()
                if _DATE_LIKE.search(raw):
                    continue  # a year range or a month, not a number
                if not contact_like and len(raw) < len(text.strip()) / 2:
                    continue  # digits inside other text ("Rome 06, 2016 – 2020")
                if candidate == region:
                    confidence = 0.9
                elif candidate == email_region:
                    confidence = 0.8
                else:
                    confidence = 0.6 if labelled else 0.5
                return _e164(match.number), confidence
    return None, 0.0


def _e164(number) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalize_url(url: str) -> str:
    url = url.rstrip(".,;:)/")
    url = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    host, _, path = url.partition("/")
    host = host.lower().removeprefix("www.")
    return f"https://{host}" + (f"/{path}" if path else "")


def find_links(lines: list[Line]) -> tuple[dict, float]:
    links: dict = {"linkedin": None, "github": None, "other": []}
    for m in URL.finditer("\n".join(line.text for line in lines)):
        url = normalize_url(m.group(0))
        host = url.split("/")[2]
        if host.endswith("linkedin.com"):
            links["linkedin"] = links["linkedin"] or url
        elif host == "github.com":
            links["github"] = links["github"] or url
        elif url not in links["other"]:
            links["other"].append(url)
    found = links["linkedin"] or links["github"] or links["other"]
    return links, 0.95 if found else 0.0


def find_location(contact: list[Line]) -> tuple[dict | None, float]:
    for line in contact:
        labelled = re.match(r"^(?:location|address|based in)\s*:?\s*(.+)$", line.text, re.I)
        if labelled and (place := parse_location(labelled.group(1))):
            return place, 0.9
        for part in [line.text, *segments(line.text)]:
            if place := parse_location(part):
                confidence = 0.85 if "," in part else 0.7
                return place, confidence
    return None, 0.0


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def as_name(text: str) -> str | None:
    text = _POSTNOMINAL.sub("", _HONORIFIC.sub("", text.strip())).strip()
    if not text or len(text) > 50 or re.search(r"[\d@/:,()]", text):
        return None
    tokens = text.split()
    if not 2 <= len(tokens) <= 5 or heading_kind(text):
        return None
    words = [token.lower().strip(".") for token in tokens]
    if any(
        w in ROLE_WORDS or w in COMPANY_WORDS or w in TITLE_MODIFIERS or w in _NOT_NAMES
        for w in words
    ):
        return None
    if parse_location(text) or INSTITUTION.search(text):
        return None
    letters = [ch for ch in text if ch.isalpha()]
    caps = all(ch.isupper() for ch in letters)
    proper = 0
    for token, word in zip(tokens, words, strict=True):
        if word in _PARTICLES and proper:
            continue
        if not (token[0].isupper() and all(ch.isalpha() or ch in "'’-." for ch in token)):
            return None
        proper += 1
    if proper < 2:
        return None
    if caps:
        tokens = [
            token.lower() if i and token.lower() in _PARTICLES else token.title()
            for i, token in enumerate(tokens)
        ]
    return " ".join(tokens)


def find_name(lines: list[Line], email: str | None) -> tuple[str | None, float]:
    local = _ascii(email.split("@")[0]) if email else ""
    best, best_score = None, 0.0
    for position, line in enumerate(lines[:15]):
        labelled = re.match(r"^(?:full\s+)?name\s*:\s*(.+)$", line.text, re.IGNORECASE)
        candidate = as_name(labelled.group(1) if labelled else (segments(line.text) or [""])[0])
        if not candidate:
            continue
        score = 0.6 + (0.25 if position == 0 else 0.15 if position < 3 else 0.0)
        if labelled:
            score = max(score, 0.85)
        if local and any(len(p) > 2 and p in local for p in _ascii(candidate).split()):
            score += 0.1
        if score > best_score:
            best, best_score = candidate, score
    return best, min(best_score, 0.97)
