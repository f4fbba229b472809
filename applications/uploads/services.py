"""Store, delete and serve documents, and record rejected uploads."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils.http import content_disposition_header

from accounts.models import User
from accounts.permissions import has_perm
from accounts.services import audit_record
from applications.models import Application, Document
from applications.uploads.formats import _check_content
from applications.uploads.names import _log_name, filename_clean
from applications.uploads.rejections import _Attempt, _human, _reject
from applications.uploads.scanning import _scan
from applications.uploads.streaming import _spool
from recruitment.logs import client_ip_prefix, security_event

logger = logging.getLogger("security.uploads")

DOWNLOAD_URL_MAX_AGE = 300  # seconds a signed storage URL stays valid, at most


def _private_storage() -> Storage:
    return storages["private"]


def _quota_check(owner: User, size: int) -> None:
    used = Document.objects.filter(owner=owner).aggregate(total=Sum("size"))["total"] or 0
    quota = settings.UPLOAD_QUOTA_BYTES
    if used + size > quota:
        raise _reject(
            f"This file would take you over your storage quota of {_human(quota)}; "
            "delete some documents first.",
            "quota_exceeded",
        )


def document_rejection_record(
    *,
    owner: User,
    error: ValidationError,
    size: int | None = None,
    name: str = "",
    application: Application | None = None,
    ip_address: str | None = None,
    details: dict | None = None,
) -> None:
    """Log and audit a rejected upload. Callers that reject before the service runs use it too."""
    code = getattr(error, "code", None) or "invalid"
    message = error.messages[0] if error.messages else ""
    # One structured security event; the file's name stays in the audit trail, not the log.
    security_event(
        "upload.rejected",
        user_id=owner.pk,
        reason=code,
        size=size,
        ip_prefix=client_ip_prefix(ip_address),
    )
    company = (
        application.job.company
        if application is not None and application.candidate_id == owner.pk
        else None
    )
    audit_record(
        action="document.rejected",
        actor=owner,
        company=company,
        changes={"reason": code, "message": message, "size": size, "name": name, **(details or {})},
        ip_address=ip_address,
    )


def document_upload(
    *,
    owner: User,
    file: File,
    kind: str,
    application: Application | None = None,
    ip_address: str | None = None,
) -> Document:
    """Check, scan and store one uploaded document, then queue its text extraction.

    Raise ValidationError (with a stable code; see `rejection_status`) for any rejected file.
    The rejection is logged and audited; call this outside a transaction that the error would
    roll back, or the audit event goes with it.
    """
    if not isinstance(file, File):
        file = File(file)
    attempt = _Attempt(name=_log_name(file.name or ""))
    try:
        return _document_store(
            owner=owner,
            file=file,
            kind=kind,
            application=application,
            ip_address=ip_address,
            attempt=attempt,
        )
    except ValidationError as error:
        document_rejection_record(
            owner=owner,
            error=error,
            size=attempt.size,
            name=attempt.name,
            application=application,
            ip_address=ip_address,
            details=attempt.details,
        )
        raise


def _document_store(
    *,
    owner: User,
    file: File,
    kind: str,
    application: Application | None,
    ip_address: str | None,
    attempt: _Attempt,
) -> Document:
    name = filename_clean(file.name or "")
    attempt.name = _log_name(name)
    if kind not in Document.Kind.values:
        raise _reject("Unknown kind of document.", "invalid_kind")
    if application is not None and application.candidate_id != owner.pk:
        raise _reject("That application is not yours.", "application_not_owned")
    spooled = _spool(file, attempt=attempt)
    with spooled.file:
        _quota_check(owner, spooled.size)  # early, before the expensive checks
        extension = name.rpartition(".")[2].lower()
        content_type = _check_content(spooled.file, size=spooled.size, extension=extension)
        _scan(spooled.file, attempt=attempt)
        storage = _private_storage()
        key = None
        try:
            with transaction.atomic():
                # One upload at a time per user, so parallel uploads cannot overrun the quota.
                list(User.objects.select_for_update().filter(pk=owner.pk).values_list("pk"))
                _quota_check(owner, spooled.size)
                spooled.file.seek(0)
                key = storage.save(f"documents/{uuid.uuid4().hex}", File(spooled.file))
                document = Document(
                    owner=owner,
                    application=application,
                    kind=kind,
                    storage_key=key,
                    original_name=name,
                    content_type=content_type,
                    size=spooled.size,
                    sha256=spooled.sha256,
                )
                document.full_clean()
                document.save()
                audit_record(
                    action="document.uploaded",
                    actor=owner,
                    target=document,
                    company=application.job.company if application is not None else None,
                    changes={"size": spooled.size, "content_type": content_type},
                    ip_address=ip_address,
                )
                from applications.tasks import document_extract_text

                document_extract_text.delay_on_commit(document.pk)
        except BaseException:
            if key is not None:
                storage.delete(key)
            raise
    return document


def document_delete(*, document: Document, actor: User) -> None:
    """Delete a document and, once the deletion is committed, its stored file."""
    if not (actor.is_superuser or document.owner_id == actor.pk):
        raise PermissionDenied("Only the owner can delete a document.")
    storage = _private_storage()
    key = document.storage_key
    with transaction.atomic():
        audit_record(
            action="document.deleted",
            actor=actor,
            target=document,
            company=document.application.job.company if document.application_id else None,
        )
        document.delete()
        transaction.on_commit(lambda: storage.delete(key))


# --- Downloads --------------------------------------------------------------------------------


def document_can_download(*, user, document: Document) -> bool:
    """The owner, superusers, and members of the application's company who may download."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or document.owner_id == user.pk:
        return True
    return document.application is not None and has_perm(
        user, "documents.download", document.application
    )


@dataclass(frozen=True)
class DocumentDownload:
    """Either a short-lived signed `url` to redirect to, or an open `file` to stream."""

    document: Document
    filename: str
    content_type: str
    url: str | None = None
    file: BinaryIO | None = None


def _signed_url(storage: Storage, document: Document) -> str | None:
    if not getattr(storage, "querystring_auth", False):
        return None  # not S3 (so boto3 is not imported), or S3 without signed URLs
    from storages.backends.s3 import S3Storage

    if not isinstance(storage, S3Storage):
        return None
    return storage.url(
        document.storage_key,
        parameters={
            "ResponseContentDisposition": content_disposition_header(
                as_attachment=True, filename=document.original_name
            ),
            "ResponseContentType": document.content_type,
            "ResponseCacheControl": "private, no-store",
        },
        expire=min(storage.querystring_expire, DOWNLOAD_URL_MAX_AGE),
    )


def document_download(*, user, document_id: int, ip_address: str | None = None) -> DocumentDownload:
    """Open a document for `user`, or sign a URL for it; audit reads by anyone but the owner.

    Raise Http404 both when the document does not exist and when `user` may not see it, so
    nobody learns which documents exist.
    """
    document = (
        Document.objects.select_related("application__job__company").filter(pk=document_id).first()
    )
    if document is None or not document_can_download(user=user, document=document):
        raise Http404("No such document.")
    storage = _private_storage()
    url = _signed_url(storage, document)
    opened = None
    if url is None:
        try:
            opened = storage.open(document.storage_key, "rb")
        except FileNotFoundError as exc:
            logger.error("document %s has no stored file %s", document.pk, document.storage_key)
            raise Http404("No such document.") from exc
    if document.owner_id != user.pk:
        audit_record(
            action="document.downloaded",
            actor=user,
            target=document,
            company=document.application.job.company if document.application else None,
            ip_address=ip_address,
        )
    return DocumentDownload(
        document=document,
        filename=document.original_name,
        content_type=document.content_type,
        url=url,
        file=opened,
    )
