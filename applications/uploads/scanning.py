"""Virus scanning: stream the file to clamd over its Unix socket."""

from __future__ import annotations

import logging
import socket
import struct
from typing import IO

from django.conf import settings

from applications.uploads.rejections import _Attempt, _reject
from applications.uploads.streaming import _CHUNK

logger = logging.getLogger("security.uploads")


def clamd_instream(f: IO[bytes], *, socket_path: str, timeout: float) -> str | None:
    """Stream `f` to clamd with INSTREAM; return the signature name if it found one.

    Raise OSError when clamd is unreachable or answers anything but OK or FOUND.
    """
    f.seek(0)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(socket_path)
        try:
            conn.sendall(b"zINSTREAM\0")
            while chunk := f.read(_CHUNK):
                conn.sendall(struct.pack("!L", len(chunk)) + chunk)
            conn.sendall(struct.pack("!L", 0))
        except BrokenPipeError:
            pass  # clamd hung up early (a size limit, say); its reply says why
        reply = b""
        while not reply.endswith(b"\0") and (data := conn.recv(4096)):
            reply += data
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer == "stream: OK":
        return None
    if answer.startswith("stream: ") and answer.endswith(" FOUND"):
        return answer.removeprefix("stream: ").removesuffix(" FOUND")
    raise OSError(f"clamd answered {answer!r}")


def _scan(f: IO[bytes], *, attempt: _Attempt) -> None:
    socket_path = settings.CLAMAV_SOCKET
    if not socket_path:
        return
    try:
        signature = clamd_instream(f, socket_path=socket_path, timeout=settings.CLAMAV_TIMEOUT)
    except OSError as exc:
        logger.error("virus scanner unavailable at %s: %s", socket_path, exc)
        raise _reject(
            "The virus scanner is unavailable; try again in a few minutes.",
            "scanner_unavailable",
        ) from exc
    if signature is not None:
        attempt.details["signature"] = signature
        raise _reject("The file contains malware.", "virus_found")
