"""Find the schema.org JobPosting of one page: JSON-LD and microdata, read with extruct.

Real pages break strict parsers, so when extruct gives up on a page's JSON-LD each script is
parsed again leniently (raw control characters, invalid escapes, trailing commas, comments,
entity-encoded scripts, several objects in one script). Pages over a size cap are skipped
without being parsed, and bytes are decoded leniently, so a bad page costs a skip, not a crash.
"""

from __future__ import annotations

import codecs
import html
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any

import lxml.html
from extruct import JsonLdExtractor, MicrodataExtractor
from lxml import etree

from pipeline.normalize import text_clean

logger = logging.getLogger(__name__)

MAX_PAGE_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 20.0
USER_AGENT = "recruitment-pipeline/0.1 (job posting reader; schema.org JobPosting; Python urllib)"


class PageError(Exception):
    """A page that yields no posting; the message is one line for a log or a terminal."""


class PageUnreadable(PageError):
    """The file or URL could not be read at all (missing file, HTTP error, timeout)."""


class PageTooLarge(PageError):
    """The page is bigger than the size cap; it is skipped without being parsed."""


class PostingNotFound(PageError):
    """The page holds no schema.org JobPosting."""


class PostingUnreadable(PostingNotFound):
    """The page's JSON-LD is broken beyond repair, so any posting it holds cannot be read."""


@dataclass(frozen=True)
class Page:
    body: bytes
    url: str | None = None
    content_type: str | None = None
    name: str | None = None  # the file or URL, for messages


@dataclass(frozen=True)
class FoundPosting:
    data: dict[str, Any]
    syntax: str  # "json-ld" or "microdata"
    position: int  # 1-based, among all the page's postings
    total: int
    complete: bool
    url: str | None  # the page's own URL if known, else its canonical URL
    page_description: str | None = None  # HTML from the page, when the posting has none
    skipped_scripts: int = 0  # JSON-LD scripts that could not be parsed even leniently
    notes: list[str] = field(default_factory=list)


# --- Reading ----------------------------------------------------------------------------------


def page_read(path: str | Path, *, max_bytes: int = MAX_PAGE_BYTES) -> Page:
    try:
        with open(path, "rb") as file:
            body = file.read(max_bytes + 1)
    except OSError as exc:
        raise PageUnreadable(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(body) > max_bytes:
        raise PageTooLarge(f"{path} is larger than the {max_bytes:,}-byte cap; skipped")
    return Page(body, name=str(path))


def page_fetch(
    url: str, *, max_bytes: int = MAX_PAGE_BYTES, timeout: float = FETCH_TIMEOUT
) -> Page:
    """GET an http(s) URL with an honest user agent, a timeout and a size cap."""
    request = urllib.request.Request(
        url,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml;q=0.9"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310 # only http(s) URLs get here (page_load checks the scheme)
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise PageTooLarge(f"{url} is larger than the {max_bytes:,}-byte cap; skipped")
            body = response.read(max_bytes + 1)
            final_url = response.geturl()
            content_type = response.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        raise PageUnreadable(f"cannot fetch {url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise PageUnreadable(f"cannot fetch {url}: {exc.reason}") from exc
    except (TimeoutError, HTTPException, OSError) as exc:
        raise PageUnreadable(f"cannot fetch {url}: {exc or type(exc).__name__}") from exc
    if len(body) > max_bytes:
        raise PageTooLarge(f"{url} is larger than the {max_bytes:,}-byte cap; skipped")
    return Page(body, final_url, content_type, name=url)


def page_load(
    source: str, *, max_bytes: int = MAX_PAGE_BYTES, timeout: float = FETCH_TIMEOUT
) -> Page:
    """Read an http(s) URL or a file path."""
    if re.match(r"https?://", source, re.IGNORECASE):
        return page_fetch(source, max_bytes=max_bytes, timeout=timeout)
    return page_read(source, max_bytes=max_bytes)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Browsers read these labels as windows-1252 (WHATWG Encoding), and so do we.
_WINDOWS_1252_LABELS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "ascii", "us-ascii"}
)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def page_decode(body: bytes, content_type: str | None = None) -> str:
    """Decode a page: BOM, then the HTTP charset, then <meta charset>, else UTF-8 falling back
    to windows-1252. Bytes that don't fit become U+FFFD instead of an error."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    declared = None
    if content_type and (match := re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)):
        declared = match.group(1)
    elif match := _META_CHARSET.search(body[:4096]):
        declared = match.group(1).decode("ascii", "replace")
    encoding = _known_encoding(declared)
    if encoding is None:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
    return body.decode(encoding, errors="replace")


def _known_encoding(label: str | None) -> str | None:
    if not label:
        return None
    if label.lower() in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page that could read its own "utf-16" label is not UTF-16: browsers read it as UTF-8.
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else name


# --- Lenient JSON -----------------------------------------------------------------------------

_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?://\s*)?(?:\]\]>|-->)\s*$")
_LITERALS = {"None": "null", "True": "true", "False": "false", "undefined": "null", "NaN": "null"}


def jsonld_loads(text: str) -> Any:
    """Parse one JSON-LD script, repairing what real sites break. Raise ValueError if nothing
    can be recovered."""
    text = _WRAPPERS.sub("", text).strip().rstrip(";")
    attempts = [text, _json_repair(text)]
    if "&quot;" in text or "&#34;" in text:
        attempts.append(_json_repair(html.unescape(text)))
    for attempt in attempts:
        try:
            return _loads_all(attempt)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            continue
    raise ValueError("JSON-LD that no repair makes readable")


def _loads_all(text: str) -> Any:
    """Parse one JSON value, or several written one after another (a list then)."""
    decoder = json.JSONDecoder(strict=False)
    values, index = [], 0
    while True:
        while index < len(text) and (text[index].isspace() or text[index] in ",;"):
            index += 1
        if index >= len(text):
            break
        value, index = decoder.raw_decode(text, index)
        values.append(value)
    if not values:
        raise ValueError("empty JSON-LD script")
    return values[0] if len(values) == 1 else values


_WORD = re.compile(r"[^\W\d]\w*")
_NEXT_CHAR = re.compile(r"\s*(.?)", re.DOTALL)


def _next_char(text: str, index: int) -> str:
    return _NEXT_CHAR.match(text, index).group(1)


def _json_repair(text: str) -> str:
    """Rewrite almost-JSON as JSON in one pass: escape raw control characters and stray quotes
    inside strings, keep invalid escapes (\\' \\d) as literal text, and outside strings drop
    comments and trailing commas and read None/True/False as null/true/false."""
    out: list[str] = []
    i, n, in_string = 0, len(text), False
    while i < n:
        char = text[i]
        if in_string:
            if char == "\\":
                following = text[i + 1 : i + 2]
                if following and following in '"\\/bfnrt':
                    out.append(char + following)
                    i += 2
                elif following == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                    out.append(text[i : i + 6])
                    i += 6
                elif following == "'":
                    out.append("'")
                    i += 2
                else:
                    out.append("\\\\")
                    i += 1
                continue
            if char == '"':
                in_string = _next_char(text, i + 1) not in ("", ",", ":", "}", "]")
                out.append('"' if not in_string else '\\"')
            elif char < " ":
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
            i += 1
            continue
        if char == '"':
            in_string = True
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif char == "," and _next_char(text, i + 1) in ("}", "]"):
            i += 1
            continue
        elif word := _WORD.match(text, i):
            word = word.group(0)
            out.append(_LITERALS.get(word, word))
            i += len(word)
            continue
        out.append(char)
        i += 1
    return "".join(out)


# --- Finding the posting ----------------------------------------------------------------------


def _type_names(node: dict[str, Any]) -> set[str]:
    types = node.get("@type", node.get("type"))
    values = types if isinstance(types, list) else [types]
    return {re.split(r"[/:#]", str(value))[-1].lower() for value in values if value}


def _postings_in(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Yield JobPosting dicts anywhere in a JSON-LD value: lists, @graph, mainEntity, ..."""
    if depth > 12:
        return
    if isinstance(value, list):
        for item in value:
            yield from _postings_in(item, depth + 1)
    elif isinstance(value, dict):
        if "jobposting" in _type_names(value):
            yield value
            return
        for item in value.values():
            yield from _postings_in(item, depth + 1)


def _from_microdata(item: Any) -> Any:
    if isinstance(item, list):
        return [_from_microdata(value) for value in item]
    if isinstance(item, dict) and "properties" in item:
        types = item.get("type")
        data: dict[str, Any] = {"@type": types}
        data.update({key: _from_microdata(value) for key, value in item["properties"].items()})
        return data
    return item


def _jsonld_values(document: etree._Element) -> tuple[list[Any], int]:
    """Return the page's JSON-LD values and how many scripts were unreadable."""
    try:
        values = JsonLdExtractor().extract_items(document)
        if next(_postings_in(values), None) is not None:
            return values, 0
    except (ValueError, RecursionError) as exc:  # one broken script spoils the whole page
        logger.debug("extruct could not read the JSON-LD (%s); parsing leniently", exc)
    # Leniently, script by script; this also reads type="application/ld+json; charset=utf-8",
    # which extruct's exact match misses.
    values, skipped = [], 0
    for script in document.xpath("//script[@type]"):
        if not script.get("type", "").strip().lower().startswith("application/ld+json"):
            continue
        try:
            values.append(jsonld_loads(script.text_content()))
        except ValueError as exc:  # (jsonld_loads turns RecursionError into ValueError too)
            skipped += 1
            logger.debug("unreadable JSON-LD script skipped: %s", exc)
    return values, skipped


# extruct reads nested items recursively; on absurd nesting a RecursionError inside it can leave
# its class-level XPath lock held, which hangs every later call in the process. So such pages
# are skipped before extruct sees them.
MAX_MICRODATA_DEPTH = 32


def _microdata_values(document: etree._Element, url: str | None) -> list[Any]:
    too_deep = f"boolean(//*[@itemscope][count(ancestor::*[@itemscope]) >= {MAX_MICRODATA_DEPTH}])"
    if document.xpath(too_deep):
        logger.debug("microdata nested deeper than %d items skipped", MAX_MICRODATA_DEPTH)
        return []
    try:
        return [_from_microdata(item) for item in MicrodataExtractor().extract_items(document, url)]
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        logger.debug("unreadable microdata skipped: %s", exc)
        return []


def _is_complete(posting: dict[str, Any]) -> bool:
    return all(
        text_clean(posting.get(key)) for key in ("title", "hiringOrganization", "description")
    )


def _document(text: str) -> etree._Element:
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.replace("\x00", ""))
    try:
        return lxml.html.document_fromstring(text or "<html></html>")
    except (etree.ParserError, ValueError) as exc:
        raise PostingNotFound(f"not an HTML page ({exc})") from exc


def posting_find(page: Page, *, max_bytes: int = MAX_PAGE_BYTES) -> FoundPosting:
    """Return the page's JobPosting: the first complete one (title, company and description)
    when there are several, else the first; JSON-LD before microdata."""
    where = page.name or page.url or "the page"
    if len(page.body) > max_bytes:
        raise PageTooLarge(f"{where} is larger than the {max_bytes:,}-byte cap; skipped")
    document = _document(page_decode(page.body, page.content_type))
    jsonld, skipped = _jsonld_values(document)
    candidates = [(posting, "json-ld") for posting in _postings_in(jsonld)]
    candidates += [
        (posting, "microdata") for posting in _postings_in(_microdata_values(document, page.url))
    ]
    if not candidates:
        if skipped:
            raise PostingUnreadable(
                f"no schema.org JobPosting found on {where} "
                f"({skipped} unreadable JSON-LD script(s) skipped)"
            )
        raise PostingNotFound(f"no schema.org JobPosting found on {where}")
    complete = [index for index, (posting, _) in enumerate(candidates) if _is_complete(posting)]
    index = complete[0] if complete else 0
    posting, syntax = candidates[index]
    notes = []
    if len(candidates) > 1:
        why = "the first complete one" if complete else "none is complete; the first"
        notes.append(
            f"the page has {len(candidates)} JobPostings; took #{index + 1} ({syntax}), {why}"
        )
    if skipped:
        notes.append(f"{skipped} unreadable JSON-LD script(s) skipped")
    description = None if text_clean(posting.get("description")) else _page_description(document)
    return FoundPosting(
        data=posting,
        syntax=syntax,
        position=index + 1,
        total=len(candidates),
        complete=bool(complete),
        url=page.url or _canonical_url(document),
        page_description=description,
        skipped_scripts=skipped,
        notes=notes,
    )


def _canonical_url(document: etree._Element) -> str | None:
    for href in document.xpath(
        '//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
        ' | //meta[@property="og:url"]/@content'
    ):
        if href.strip().lower().startswith(("http://", "https://")):
            return href.strip()
    return None


_DESCRIPTION_NODES = etree.XPath(
    "//body//*[not(self::script or self::style or self::meta or self::form)]"
    '[contains(translate(@class, "DESCRIPTON", "descripton"), "description")'
    ' or contains(translate(@id, "DESCRIPTON", "descripton"), "description")]'
)
# Below this, a "description" element is a label or a teaser, not the job's text.
MIN_PAGE_DESCRIPTION = 200


def _page_description(document: etree._Element) -> str | None:
    """Return the HTML of the page's job description for a posting that carries none: the
    innermost element named *description* that holds most of the text, else the meta
    description."""
    nodes = [(node, len(node.text_content().strip())) for node in _DESCRIPTION_NODES(document)]
    nodes = [(node, size) for node, size in nodes if size >= MIN_PAGE_DESCRIPTION]
    if nodes:
        best, size = max(nodes, key=lambda pair: pair[1])
        while inner := [
            (node, n) for node, n in nodes if n >= 0.6 * size and best in node.iterancestors()
        ]:
            best, size = max(inner, key=lambda pair: pair[1])
        return lxml.html.tostring(best, encoding="unicode")
    for content in document.xpath(
        '//meta[@property="og:description" or @name="description"]/@content'
    ):
        if text_clean(content):
            return content
    return None
