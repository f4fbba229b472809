"""The rejection vocabulary shared by every step: stable codes, their HTTP status, messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

# The status a caller answers for each rejection code; any other code is a 400.
_STATUS_BY_CODE = {"file_too_large": 413, "quota_exceeded": 413, "scanner_unavailable": 503}


def rejection_status(error: ValidationError) -> int:
    """The HTTP status for a rejected upload: 413 too large, 503 scanner down, else 400."""
    return _STATUS_BY_CODE.get(getattr(error, "code", None) or "", 400)


def _reject(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def file_too_large_error() -> ValidationError:
    return _reject(
        f"The file is larger than the limit of {_human(settings.UPLOAD_MAX_BYTES)}.",
        "file_too_large",
    )


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


@dataclass
class _Attempt:
    """What is known of an upload so far, for the rejection record."""

    name: str
    size: int | None = None
    details: dict = field(default_factory=dict)
