"""Text of postings: placeholders ("None", "-") as missing, HTML descriptions as plain text
(through jobs.descriptions)."""

from __future__ import annotations

import html
import re
from typing import Any

from jobs.descriptions import as_markup, html_to_text, paragraphs

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


def description_normalise(value: Any) -> str | None:
    """Return a description as plain text, whether it came as HTML, as entity-encoded HTML
    (`&lt;div&gt;...`, as We Work Remotely prints it) or as plain text with entities."""
    if isinstance(value, list):
        value = "\n\n".join(item for item in value if isinstance(item, str))
    if not isinstance(value, str):
        return None
    markup = as_markup(value)
    text = html_to_text(markup) if markup is not None else paragraphs(html.unescape(value))
    return text if text and text.lower() not in EMPTY_VALUES else None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
