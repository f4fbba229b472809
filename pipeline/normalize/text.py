"""Text of postings: placeholders ("None", "-") as missing, HTML descriptions as plain text."""

from __future__ import annotations

import html
import re
from typing import Any

import lxml.html
from lxml import etree

# Placeholders real sites print where a value is missing: LinkedIn's Python-side "None",
# Stack Overflow's "-" region.
EMPTY_VALUES = frozenset(
    {"", "-", "--", "—", "none", "null", "nil", "undefined", "n/a", "nan", "unknown", "tbd"}
)
ANYWHERE_VALUES = frozenset(
    {
        "anywhere",
        "anywhere in the world",
        "everywhere",
        "worldwide",
        "global",
        "remote",
        "fully remote",
        "100% remote",
        "remote anywhere",
        "work from home",
        "wfh",
        "home based",
        "home-based",
        "telecommute",
    }
)
_SPACE = re.compile(r"\s+")
_LINE_SPACE = re.compile(r"[^\S\n]+")


def text_clean(value: Any) -> str | None:
    """Return the value as one line of text, or None for missing and placeholder values.

    A list gives its first non-empty item, a dict its `@value` or `name`.
    """
    if isinstance(value, list):
        return next((text for text in map(text_clean, value) if text), None)
    if isinstance(value, dict):
        return text_clean(value.get("@value", value.get("name")))
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = _SPACE.sub(" ", html.unescape(str(value))).strip()
    return None if text.lower() in EMPTY_VALUES else text


def _paragraphs(text: str) -> str:
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
_HTML_TAG = re.compile(
    r"</?(?:p|div|br|ul|ol|li|h[1-6]|strong|b|em|i|u|span|a|table|tr|td|section|article)\b[^>]*>",
    re.IGNORECASE,
)


def html_to_text(markup: str) -> str:
    """Return the text of an HTML fragment: blocks become blank-line-separated paragraphs,
    list items and `<br>` single lines, entities are decoded and spaces collapsed."""
    try:
        root = lxml.html.fragment_fromstring(markup.replace("\x00", ""), create_parent="div")
    except (etree.ParserError, ValueError):
        return _paragraphs(html.unescape(markup))
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
    return _paragraphs("".join("\n" * part if isinstance(part, int) else part for part in parts))


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


def description_normalise(value: Any) -> str | None:
    """Return a description as plain text, whether it came as HTML, as entity-encoded HTML
    (`&lt;div&gt;...`, as We Work Remotely prints it) or as plain text with entities."""
    if isinstance(value, list):
        value = "\n\n".join(item for item in value if isinstance(item, str))
    if not isinstance(value, str):
        return None
    if _HTML_TAG.search(value):
        text = html_to_text(value)
    else:
        unescaped = html.unescape(value)
        text = html_to_text(unescaped) if _HTML_TAG.search(unescaped) else _paragraphs(unescaped)
    return text if text and text.lower() not in EMPTY_VALUES else None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
