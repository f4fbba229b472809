"""Posting dates as ISO dates, with placeholder dates (1970-01-01) as missing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pipeline.normalize.text import text_clean

# Dates outside these years are placeholders: LinkedIn's validThrough 1970-01-01 means "unknown".
FIRST_PLAUSIBLE_YEAR = 1990
LAST_PLAUSIBLE_YEAR = 2100
_ISO_DATE = re.compile(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)")
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%d.%m.%Y")


def date_normalise(value: Any) -> str | None:
    """Return the ISO date of a date or datetime, or None.

    The day is the one written in the posting, in its own offset: "2020-10-25T16:01:35-07:00"
    is 2020-10-25. Epoch numbers (seconds or milliseconds) are read in UTC.
    """
    parsed = _date_parse(value)
    if parsed is None or not FIRST_PLAUSIBLE_YEAR <= parsed.year <= LAST_PLAUSIBLE_YEAR:
        return None
    return parsed.isoformat()


def _date_parse(value: Any) -> date | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    text = text_clean(value)
    if text is None:
        return None
    if match := _ISO_DATE.match(text):
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
