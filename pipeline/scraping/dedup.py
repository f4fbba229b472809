"""How one job is recognised across sources: canonical URLs, a fingerprint of employer, title and
place, and MinHash signatures of descriptions for near-duplicates. Pure: no database."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from datasketch import MinHash

# Query parameters that say where a visitor came from, not which page it is.
TRACKING_PARAMS = frozenset(
    {"gclid", "gclsrc", "dclid", "fbclid", "msclkid", "yclid", "igshid", "twclid", "ttclid",
     "ref", "referrer", "referer", "source", "src", "trk", "trkid", "tracking", "campaign",
     "mc_cid", "mc_eid", "_hsenc", "_hsmi", "gh_src", "gh_jid_src", "lever-source",
     "lever-origin", "lever-via", "ashby_jid_src", "utm", "cmp", "share", "sharedid"}
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "matomo_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_canonical(url: str) -> str:
    """The URL a posting is known by: lower-case scheme and host without "www." or a default
    port, no fragment, no tracking parameters (utm_*, gclid, fbclid, ref, source, ...), the
    other parameters sorted, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    )
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _fold(text: str) -> str:
    """Lower case, accents dropped, "&" as "and", punctuation as spaces, spaces collapsed."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = plain.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9+#]+", " ", plain).split())


# Legal forms at the end of a name: "Acme Robotics, Inc." and "Acme Robotics" are one employer.
_LEGAL_FORMS = frozenset(
    {"inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "mbh", "ag", "kg",
     "co", "company", "corp", "corporation", "plc", "sa", "sas", "sarl", "srl", "spa", "bv",
     "nv", "oy", "ab", "as", "asa", "aps", "pty", "pte", "se", "ug", "kk", "group", "holding",
     "holdings"}
)  # fmt: skip


def company_key(name: str | None) -> str:
    words = _fold(name or "").split()
    if words and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


_GENDER_TAGS = re.compile(
    r"\(\s*(?:[mwfdxh]\s*[/|,]\s*)+[mwfdxh]\s*\)|\(\s*all genders\s*\)|\*in\b", re.IGNORECASE
)
_TITLE_WORDS = {"sr": "senior", "snr": "senior", "jr": "junior", "jnr": "junior", "mgr": "manager"}


def title_key(title: str | None) -> str:
    """ "Sr. Backend Engineer (m/w/d)" and "Senior backend engineer" give the same key."""
    words = _fold(_GENDER_TAGS.sub(" ", title or "")).split()
    return " ".join(_TITLE_WORDS.get(word, word) for word in words)


def location_key(locations: Iterable[Mapping[str, Any]], *, remote: bool) -> str:
    for location in locations:
        parts = [_fold(str(location.get(key) or "")) for key in ("city", "region", "country")]
        if any(parts):
            return "|".join(parts)
    return "remote" if remote else ""


def posting_fingerprint(
    *, company: str, title: str, locations: Iterable[Mapping[str, Any]], remote: bool
) -> str:
    """sha256 of the normalised employer, title and first place."""
    key = "\n".join(
        (company_key(company), title_key(title), location_key(locations, remote=remote))
    )
    return hashlib.sha256(key.encode()).hexdigest()


def locations_compatible(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two places may be the same job's: no field that both name differs ("Berlin, DE" and
    "DE" may; "Berlin" and "Munich" may not)."""
    for key in ("city", "region", "country"):
        left, right = _fold(str(a.get(key) or "")), _fold(str(b.get(key) or ""))
        if left and right and left != right:
            return False
    return True


SHINGLE_WORDS = 3
NUM_PERM = 128


def description_shingles(text: str | None, *, size: int = SHINGLE_WORDS) -> set[str]:
    words = _fold(text or "").split()
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def description_minhash(text: str | None, *, num_perm: int = NUM_PERM) -> MinHash | None:
    """The MinHash of a description's word shingles; None for a text too short to compare."""
    shingles = description_shingles(text)
    if len(shingles) < 5:
        return None
    signature = MinHash(num_perm=num_perm)
    signature.update_batch([shingle.encode() for shingle in shingles])
    return signature
