"""Scraped descriptions as safe HTML for Job.description_html: a small allow-list of text tags,
links only to http(s) and mailto, no scripts, styles, event handlers, frames or forms."""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner

ALLOWED_TAGS = frozenset(
    "p br div span ul ol li strong b em i u s h2 h3 h4 h5 h6 blockquote pre code a hr "
    "table thead tbody tr th td dl dt dd sub sup".split()
)
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_CLEANER = Cleaner(
    scripts=True,
    javascript=True,
    comments=True,
    style=True,
    inline_style=True,
    links=True,
    meta=True,
    page_structure=True,
    processing_instructions=True,
    embedded=True,
    frames=True,
    forms=True,
    annoying_tags=True,
    kill_tags={"script", "style", "iframe", "object", "embed", "svg", "math", "template"},
    remove_unknown_tags=False,
    allow_tags=ALLOWED_TAGS,
    safe_attrs_only=True,
    safe_attrs=frozenset({"href", "title", "colspan", "rowspan"}),
)
# Tags that say "this is HTML" (and not text that merely mentions "<3" or "a<b").
_HTML_TAG = re.compile(
    r"</?(?:p|div|br|ul|ol|li|h[1-6]|strong|b|em|i|u|span|a|table|tr|td|section|article)\b[^>]*>",
    re.IGNORECASE,
)


def _as_markup(value: str) -> str | None:
    """The value as HTML: itself, its unescaped form when it is entity-encoded HTML
    (`&lt;p&gt;...`, as Greenhouse sends it), or None for plain text."""
    if _HTML_TAG.search(value):
        return value
    unescaped = html.unescape(value)
    return unescaped if _HTML_TAG.search(unescaped) else None


def text_as_html(text: str) -> str:
    """Plain text as paragraphs: blank lines part paragraphs, single newlines become <br>."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line.strip()) for line in part.splitlines()) + "</p>"
        for part in paragraphs
    )


def html_sanitise(value: str | None) -> str:
    """Return safe HTML for a description given as HTML, entity-encoded HTML or plain text."""
    if not value or not value.strip():
        return ""
    markup = _as_markup(value)
    if markup is None:
        return text_as_html(html.unescape(value))
    try:
        root = lxml.html.fragment_fromstring(markup.replace("\x00", ""), create_parent="div")
    except (etree.ParserError, ValueError):
        return text_as_html(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    for heading in root.iter("h1"):
        heading.tag = "h2"
    cleaned = _CLEANER.clean_html(root)
    for link in cleaned.iter("a"):
        href = (link.get("href") or "").strip()
        if href.lower().startswith(_SAFE_SCHEMES):
            link.set("href", href)
            link.set("rel", "nofollow noopener noreferrer")
        else:
            link.attrib.pop("href", None)
    inner = (cleaned.text and html.escape(cleaned.text)) or ""
    inner += "".join(lxml.html.tostring(child, encoding="unicode") for child in cleaned)
    return inner.strip()
