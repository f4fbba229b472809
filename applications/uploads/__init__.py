"""Secure uploads: check a candidate's document, scan it, keep it in private storage, serve it.

Nothing about an upload is trusted. The name is only for display (files are stored under a
random key), the client's Content-Type is ignored, and the magic bytes, the extension and the
parsed structure must agree. Every rejection is a `ValidationError` with a stable code, one
`upload.rejected` security event and a `document.rejected` audit event, and leaves nothing behind:
no row and no stored file.

The package: `names` (file names), `streaming` (the size limit while reading), `formats` (PDF,
DOCX and text checks), `scanning` (clamd), `rejections` (codes and statuses) and `services`
(store, delete, download). Import from the package itself; these are its public names.
"""

from applications.uploads.formats import ALLOWED_EXTENSIONS, DOCX, PDF, TEXT
from applications.uploads.names import DANGEROUS_EXTENSIONS, MAX_NAME_LENGTH, filename_clean
from applications.uploads.rejections import file_too_large_error, rejection_status
from applications.uploads.scanning import clamd_instream
from applications.uploads.services import (
    DOWNLOAD_URL_MAX_AGE,
    DocumentDownload,
    document_can_download,
    document_delete,
    document_download,
    document_rejection_record,
    document_upload,
)
from applications.uploads.streaming import UploadSizeLimitHandler

__all__ = [
    "ALLOWED_EXTENSIONS",
    "DANGEROUS_EXTENSIONS",
    "DOCX",
    "DOWNLOAD_URL_MAX_AGE",
    "MAX_NAME_LENGTH",
    "PDF",
    "TEXT",
    "DocumentDownload",
    "UploadSizeLimitHandler",
    "clamd_instream",
    "document_can_download",
    "document_delete",
    "document_download",
    "document_rejection_record",
    "document_upload",
    "file_too_large_error",
    "filename_clean",
    "rejection_status",
]
