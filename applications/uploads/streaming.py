"""Read an upload under the size limit: while Django parses the body, then into a temporary file."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from applications.uploads.rejections import _Attempt, _reject, file_too_large_error

_CHUNK = 64 * 1024


@dataclass
class _Spooled:
    file: IO[bytes]
    size: int
    sha256: str


def _spool(upload: File, *, attempt: _Attempt) -> _Spooled:
    """Copy the upload chunk by chunk into a temporary file, stopping as soon as it is too big."""
    max_bytes = settings.UPLOAD_MAX_BYTES
    spooled = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # the caller closes it
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in upload.chunks(_CHUNK):
            size += len(chunk)
            attempt.size = size
            if size > max_bytes:
                raise file_too_large_error()
            digest.update(chunk)
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    if size == 0:
        spooled.close()
        raise _reject("The file is empty.", "file_empty")
    spooled.seek(0)
    return _Spooled(file=spooled, size=size, sha256=digest.hexdigest())


class UploadSizeLimitHandler(FileUploadHandler):
    """Stop reading a multipart body as soon as one file passes UPLOAD_MAX_BYTES.

    Django would otherwise write the whole body to a temporary file first. The view checks
    `exceeded` afterwards; the service enforces the same limit again on whatever it is given.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.max_bytes = settings.UPLOAD_MAX_BYTES
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.exceeded = True
            # Drain the rest of the body (bounded by the view's Content-Length check) so the
            # client gets our answer rather than a reset connection.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
