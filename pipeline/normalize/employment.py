"""`employmentType` as one of Job.EmploymentType, or "other"."""

from __future__ import annotations

import re
from typing import Any

from pipeline.normalize.text import text_clean

_EMPLOYMENT_TYPES = {
    "fulltime": "full_time",
    "permanent": "full_time",
    "vollzeit": "full_time",
    "parttime": "part_time",
    "teilzeit": "part_time",
    "werkstudent": "part_time",
    "contractor": "contract",
    "contract": "contract",
    "contracttohire": "contract",
    "freelance": "contract",
    "freelancer": "contract",
    "temporary": "temporary",
    "temp": "temporary",
    "seasonal": "temporary",
    "fixedterm": "temporary",
    "intern": "internship",
    "internship": "internship",
    "perdiem": "other",
    "volunteer": "other",
    "other": "other",
}
_LIST_SEPARATOR = re.compile(r"\s*(?:[,;|/]|\band\b|\bor\b)\s*", re.IGNORECASE)


def employment_type_normalise(value: Any) -> str | None:
    """Map `employmentType` (a string, a list, or "A, B") to full_time, part_time, contract,
    temporary, internship or other. The first specific type wins over OTHER; unknown → None."""
    found: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        text = text_clean(item)
        for part in _LIST_SEPARATOR.split(text or ""):
            if kind := _EMPLOYMENT_TYPES.get(re.sub(r"[^a-z]", "", part.lower())):
                found.append(kind)
    specific = [kind for kind in found if kind != "other"]
    return (specific or found or [None])[0]
