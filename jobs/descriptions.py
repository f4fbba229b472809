"""Job descriptions as HTML and as text.

`html_sanitise` turns a description given as HTML, entity-encoded HTML or plain text into safe
HTML for `Job.description_html`: a small allow-list of text tags, links only to http(s) and
mailto, no scripts, styles, event handlers, frames or forms. `html_to_text` gives the plain text
kept in `Job.description_text` (and read by search and matching).

Both the partner API (jobs) and the crawlers (pipeline) store descriptions through these.
"""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner

_SPACE = re.compile(r"\s+")
_LINE_SPACE = re.compile(r"[^\S\n]+")

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


def as_markup(value: str) -> str | None:
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
    markup = as_markup(value)
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


def paragraphs(text: str) -> str:
    """Collapse spaces in each line, and runs of blank lines into one blank line."""
    lines: list[str] = []
    blank = False
    for raw in text.splitlines():
        line = _LINE_SPACE.sub(" ", raw).strip()
        if not line:
            blank = True
            continue
        if blank and lines:
            lines.append("")
        lines.append(line)
        blank = False
    return "\n".join(lines)


_BLOCK_TAGS = frozenset(
    "address article aside blockquote div dl fieldset figcaption figure footer form h1 h2 h3 h4 "
    "h5 h6 header hr main nav ol p pre section table ul".split()
)
_LINE_TAGS = frozenset({"li", "tr", "dt", "dd"})
_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})


def html_to_text(markup: str) -> str:
    """Return the text of an HTML fragment: blocks become blank-line-separated paragraphs,
    list items and `<br>` single lines, entities are decoded and spaces collapsed."""
    try:
        root = lxml.html.fragment_fromstring(markup.replace("\x00", ""), create_parent="div")
    except (etree.ParserError, ValueError):
        return paragraphs(html.unescape(markup))
    parts: list[str | int] = []  # text, or a run of line breaks
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start" and (not tag or tag in _SKIPPED_TAGS):
            walker.skip_subtree()  # comments and scripts: no "end" event follows
            _add_text(parts, element.tail)
        elif event == "start":
            _add_break(parts, tag)
            _add_text(parts, element.text)
        else:
            if tag != "br":
                _add_break(parts, tag)
            _add_text(parts, element.tail)
    return paragraphs("".join("\n" * part if isinstance(part, int) else part for part in parts))


def _add_text(parts: list[str | int], text: str | None) -> None:
    text = _SPACE.sub(" ", text or "")
    if text and not (text == " " and (not parts or isinstance(parts[-1], int))):
        parts.append(text)  # (spaces between blocks are not text)


def _add_break(parts: list[str | int], tag: str) -> None:
    if tag == "br":  # <br><br> is a paragraph break
        if parts and isinstance(parts[-1], int):
            parts[-1] = min(parts[-1] + 1, 2)
        else:
            parts.append(1)
        return
    lines = 1 if tag in _LINE_TAGS else 2 if tag in _BLOCK_TAGS else 0
    if lines and parts and isinstance(parts[-1], int):
        parts[-1] = max(parts[-1], lines)
    elif lines:
        parts.append(lines)
