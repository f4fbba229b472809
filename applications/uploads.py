"""Secure uploads: check a candidate's document, scan it, keep it in private storage, serve it.

Nothing about an upload is trusted. The name is only for display (files are stored under a
random key), the client's Content-Type is ignored, and the magic bytes, the extension and the
parsed structure must agree. Every rejection is a `ValidationError` with a stable code, a
`security.uploads` log line and a `document.rejected` audit event, and leaves nothing behind:
no row and no stored file.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
import socket
import struct
import tempfile
import unicodedata
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO
from xml.etree import ElementTree
from xml.parsers import expat

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils.http import content_disposition_header

from accounts.models import User
from accounts.permissions import has_perm
from accounts.services import audit_record
from applications.models import Application, Document

logger = logging.getLogger("security.uploads")

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
ALLOWED_EXTENSIONS: dict[str, str] = {"pdf": PDF, "docx": DOCX, "txt": TEXT}
_TYPE_LABELS = {PDF: "a PDF", DOCX: "a Word document (.docx)", TEXT: "plain text"}

# Anywhere in a name (`cv.php.pdf`, `cv.pdf.php`): a web server or a desktop may run these.
DANGEROUS_EXTENSIONS = frozenset(
    """php php3 php4 php5 php7 php8 phtml phar pht asp aspx ashx asmx cer jsp jspx cfm cgi pl py
    pyc rb sh bash zsh csh ksh exe dll com bat cmd scr msi msp pif cpl hta lnk reg inf jar js mjs
    jse vbs vbe wsf wsh ps1 psm1 psd1 html htm xhtml shtml shtm svg svgz xml xsl swf app elf so
    dylib apk deb rpm""".split()
)
MAX_NAME_LENGTH = 120
DOWNLOAD_URL_MAX_AGE = 300  # seconds a signed storage URL stays valid, at most
# Deflate reaches ~10:1 on Word XML; a huge entry far beyond that is a bomb.
_MAX_COMPRESSION_RATIO = 100
_RATIO_MIN_ENTRY_BYTES = 1024 * 1024
_SMALL_PART_MAX_BYTES = 1024 * 1024  # [Content_Types].xml and _rels/.rels
_CHUNK = 64 * 1024

# The status a caller answers for each rejection code; any other code is a 400.
_STATUS_BY_CODE = {"file_too_large": 413, "quota_exceeded": 413, "scanner_unavailable": 503}

# Signatures of common files that are not allowed, so a rejection can say what the file is.
_KNOWN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a Java class or macOS executable"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc)"),
    (b"{\\rtf", "an RTF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
)

_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')
# Long names only: a short one such as /JS turns up by chance in compressed streams.
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?)(?![A-Za-z0-9#])")
_ZIP_LOCAL_HEADER = re.compile(rb"PK\x03\x04")
_ZIP_END_RECORD = re.compile(rb"PK\x05\x06")
_ZIP_METHODS = frozenset({0, 1, 6, 8, 9, 12, 14, 93, 95, 98, 99})
_MARKUP_START = re.compile(r"(?:<\s*[a-z!?%/]|#!)", re.IGNORECASE)
_MARKUP_ANYWHERE = re.compile(
    r"<\s*(?:script|svg|html|iframe|object|embed|body|head|meta|\?php)\b",
    re.IGNORECASE,
)
_CONTROL_CHARS = re.compile(r"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]")

_WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_WORD_MACRO_TYPES = (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


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


# --- Names ------------------------------------------------------------------------------------


def filename_clean(name: str) -> str:
    """Return `name` fit to show and to put in a header, or reject it.

    NUL, CR and LF are never part of an honest name, so they reject the upload; paths, other
    control and formatting characters (such as right-to-left overrides) are dropped.
    """
    if any(char in name for char in "\x00\r\n"):
        raise _reject("The file name contains control characters.", "invalid_filename")
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    # Control characters (a tab, say) become spaces; format characters, such as the
    # right-to-left override that shows `cv\u202efdp.exe` as "cvexe.pdf", go.
    name = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in name
        if unicodedata.category(char) not in ("Cf", "Cs", "Co", "Cn")
    )
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split())
    # Leading dots hide files; Windows ignores trailing dots and spaces (`cv.php.` is cv.php).
    name = name.strip(". ")
    if not name:
        raise _reject("The file has no usable name.", "invalid_filename")
    stem, dot, extension = name.rpartition(".")
    suffixes = [part.strip().lower() for part in name.split(".")[1:]]
    if any(suffix in DANGEROUS_EXTENSIONS for suffix in suffixes):
        raise _reject(
            "The file name has an extension of a program or web page; rename the file.",
            "dangerous_extension",
        )
    if not dot or extension.lower() not in ALLOWED_EXTENSIONS:
        raise _reject(
            "Upload a PDF, a Word document (.docx) or a text file.", "extension_not_allowed"
        )
    if len(name) > MAX_NAME_LENGTH:
        name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip('. ')}.{extension}"
    return name


def _log_name(name: str) -> str:
    """The name as it may appear in a log line or the audit trail: escaped and short."""
    escaped = name.encode("unicode_escape", errors="backslashreplace").decode("ascii")
    return escaped[:200]


# --- Reading the upload -----------------------------------------------------------------------


@dataclass
class _Attempt:
    """What is known of an upload so far, for the rejection record."""

    name: str
    size: int | None = None
    details: dict = field(default_factory=dict)


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


def _windows(f: IO[bytes], *, size: int = 1024 * 1024, overlap: int = 64) -> Iterator[bytes]:
    """The file in large overlapping pieces, so a pattern across a boundary is still seen."""
    f.seek(0)
    carry = b""
    while chunk := f.read(size):
        buffer = carry + chunk
        yield buffer
        carry = buffer[-overlap:]


def _describe(head: bytes) -> str | None:
    for signature, label in _KNOWN_SIGNATURES:
        if head.startswith(signature):
            return label
    return None


def _detect(head: bytes) -> str:
    """The type the first bytes claim; anything but PDF or ZIP may only be plain text."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return DOCX
    return TEXT


def _check_content(f: IO[bytes], *, size: int, extension: str) -> str:
    """Check that the content is what the extension says, and return the detected type."""
    expected = ALLOWED_EXTENSIONS[extension]
    f.seek(0)
    head = f.read(1024)
    detected = _detect(head)
    if detected != expected:
        what = _describe(head) or _TYPE_LABELS[detected]
        raise _reject(
            f"The file's content is {what}, not {_TYPE_LABELS[expected]} as its name says.",
            "type_mismatch",
        )
    if expected == PDF:
        _check_pdf(f, size=size)
    elif expected == DOCX:
        _check_docx(f)
    else:
        _check_text(f, head=head)
    return expected


# --- PDF --------------------------------------------------------------------------------------


def _contains_zip(f: IO[bytes]) -> bool:
    """Does the file hold a plausible ZIP end record or local header (a polyglot)?

    Compressed streams hold random bytes, so the 4-byte signatures alone turn up by chance;
    the fields after them must look real too.
    """
    for window in _windows(f):
        for match in _ZIP_END_RECORD.finditer(window):
            fields = window[match.end() : match.end() + 8]
            if len(fields) == 8:
                disk, directory_disk, on_disk, total = struct.unpack("<HHHH", fields)
                if disk == directory_disk == 0 and on_disk == total:
                    return True
        for match in _ZIP_LOCAL_HEADER.finditer(window):
            header = window[match.end() : match.end() + 26]
            if len(header) < 26:
                continue  # seen again, whole, in the next window
            version, _flags, method = struct.unpack("<HHH", header[:6])
            name_length = struct.unpack("<H", header[22:24])[0]
            # Random bytes of a compressed stream match `PK\3\4` now and then; a real header
            # has a small version, a known method and a name.
            if version <= 63 and method in _ZIP_METHODS and 0 < name_length <= 1024:
                return True
    return False


def _check_pdf(f: IO[bytes], *, size: int) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if _contains_zip(f):
        raise _reject("The PDF also contains a ZIP archive.", "polyglot")
    f.seek(max(0, size - 1024))
    if b"%%EOF" not in f.read():
        raise _reject("The PDF is damaged or incomplete (no end marker).", "invalid_pdf")
    if any(_PDF_ACTIVE.search(window) for window in _windows(f)):
        raise _reject(
            "The PDF contains scripts or embedded files; save it again as a plain PDF.",
            "pdf_active_content",
        )
    f.seek(0)
    try:
        reader = PdfReader(f, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _reject("The PDF is protected by a password; remove it.", "pdf_encrypted")
        if len(reader.pages) == 0:
            raise _reject("The PDF has no pages.", "invalid_pdf")
        root = reader.trailer["/Root"].get_object()
        names = root.get("/Names")
        names = names.get_object() if names is not None else {}
        action = root.get("/OpenAction")
        action = action.get_object() if action is not None else None
        active = (
            "/JavaScript" in names
            or "/EmbeddedFiles" in names
            or "/AA" in root
            or (hasattr(action, "get") and action.get("/S") in ("/JavaScript", "/Launch"))
        )
    # Parsers of untrusted input fail in many ways; each of them means "not a valid PDF".
    except (
        PyPdfError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        AssertionError,
        RecursionError,
        OSError,
        zlib.error,
        struct.error,
    ) as exc:
        raise _reject("The file is not a valid PDF.", "invalid_pdf") from exc
    if active:
        raise _reject(
            "The PDF contains scripts or embedded files; save it again as a plain PDF.",
            "pdf_active_content",
        )


# --- DOCX -------------------------------------------------------------------------------------


class _DtdFound(Exception):
    pass


def _unsafe_member(name: str) -> bool:
    return (
        "\x00" in name
        or "\\" in name
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name) is not None
        or ".." in name.split("/")
    )


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def _check_xml(stream: IO[bytes], *, budget: int) -> int:
    """Parse one XML part with expat, refusing any DTD; return the bytes it really held.

    A DTD is how entity expansion (billion laughs) and external entities (XXE) get in, and
    Word never writes one. Refusing it here keeps python-docx's lxml from ever seeing one.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*args):
        raise _DtdFound

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    read = 0
    try:
        while chunk := stream.read(_CHUNK):
            read += len(chunk)
            if read > budget:
                raise _reject(
                    "The document unpacks to more data than allowed (a zip bomb).",
                    "docx_zip_bomb",
                )
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _DtdFound as exc:
        raise _reject(
            "The document contains XML entity declarations, which Word never writes.",
            "docx_xml_dtd",
        ) from exc
    except expat.ExpatError as exc:
        raise _reject("The document contains malformed XML.", "invalid_docx") from exc
    return read


def _check_docx(f: IO[bytes]) -> None:
    f.seek(0)
    if b"%PDF-" in f.read(1024):
        raise _reject("The document also carries a PDF header.", "polyglot")
    f.seek(0)
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _reject("The file is not a valid Word document.", "invalid_docx") from exc
    try:
        with archive:
            _check_docx_entries(archive)
            types = _small_xml_part(archive, "[Content_Types].xml")
            _check_docx_main_part(types, _small_xml_part(archive, "_rels/.rels"))
            _check_docx_xml_parts(archive, types)
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, zlib.error) as exc:
        raise _reject("The document is damaged.", "invalid_docx") from exc
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    f.seek(0)
    try:
        docx.Document(f)
    except (PackageNotFoundError, LxmlError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise _reject("The file is not a valid Word document.", "invalid_docx") from exc


def _check_docx_entries(archive: zipfile.ZipFile) -> None:
    """Paths, links, sizes, macros and the parts every Word document has."""
    infos = archive.infolist()
    if len(infos) > settings.UPLOAD_DOCX_MAX_ENTRIES:
        raise _reject("The document has too many parts.", "docx_too_many_entries")
    seen: set[str] = set()
    declared = 0
    for info in infos:
        name = info.orig_filename
        if _unsafe_member(name):
            raise _reject("The document contains a part with an unsafe path.", "docx_unsafe_path")
        if _is_symlink(info):
            raise _reject("The document contains a symbolic link.", "docx_symlink")
        if name in seen:
            # Two readers may pick different copies: what we check is not what gets read.
            raise _reject("The document contains a part twice.", "invalid_docx")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise _reject("The document is encrypted.", "invalid_docx")
        declared += info.file_size
        if info.file_size >= _RATIO_MIN_ENTRY_BYTES and info.file_size > (
            max(info.compress_size, 1) * _MAX_COMPRESSION_RATIO
        ):
            raise _reject(
                "The document is compressed suspiciously well (a zip bomb).", "docx_zip_bomb"
            )
        if name.lower().endswith("vbaproject.bin"):
            raise _reject("Documents with macros are not accepted.", "docx_macros")
    if declared > settings.UPLOAD_DOCX_MAX_UNCOMPRESSED_BYTES:
        raise _reject(
            "The document unpacks to more data than allowed (a zip bomb).", "docx_zip_bomb"
        )
    for required in ("[Content_Types].xml", "_rels/.rels", "word/document.xml"):
        if required not in seen:
            raise _reject(
                f"The file is a ZIP archive but not a Word document (it has no {required}).",
                "docx_missing_part",
            )


def _small_xml_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    if archive.getinfo(name).file_size > _SMALL_PART_MAX_BYTES:
        raise _reject("The document is damaged.", "invalid_docx")
    data = archive.read(name)
    _check_xml(io.BytesIO(data), budget=_SMALL_PART_MAX_BYTES)
    try:  # expat has just refused any DTD in it, so ElementTree is safe here
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise _reject("The document is damaged.", "invalid_docx") from exc


def _check_docx_main_part(types: ElementTree.Element, rels: ElementTree.Element) -> None:
    """The package must name word/document.xml as its main part, of a Word document type."""
    main_targets = [
        rel.get("Target", "").lstrip("/")
        for rel in rels.iter(f"{_REL_NS}Relationship")
        if rel.get("Type", "").endswith("/officeDocument")
    ]
    if main_targets != ["word/document.xml"]:
        raise _reject("The document's main part is not word/document.xml.", "invalid_docx")
    main_type = next(
        (
            override.get("ContentType", "")
            for override in types.iter(f"{_CT_NS}Override")
            if override.get("PartName", "").lower() == "/word/document.xml"
        ),
        "",
    )
    if main_type in _WORD_MACRO_TYPES:
        raise _reject("Documents with macros are not accepted.", "docx_macros")
    if main_type != _WORD_MAIN:
        raise _reject("The file is not a Word document.", "invalid_docx")


def _check_docx_xml_parts(archive: zipfile.ZipFile, types: ElementTree.Element) -> None:
    """Run every part that is, or is declared to be, XML through `_check_xml`."""
    defaults = {
        default.get("Extension", "").lower(): default.get("ContentType", "")
        for default in types.iter(f"{_CT_NS}Default")
    }
    overrides = {
        override.get("PartName", "").lstrip("/").lower(): override.get("ContentType", "")
        for override in types.iter(f"{_CT_NS}Override")
    }
    # Declared sizes can lie; the bytes really read count against the same budget.
    remaining = settings.UPLOAD_DOCX_MAX_UNCOMPRESSED_BYTES
    for info in archive.infolist():
        name = info.filename.lower()
        declared = overrides.get(name) or defaults.get(name.rpartition(".")[2], "")
        declared = declared.split(";")[0].strip().lower()
        is_xml = name.endswith((".xml", ".rels")) or declared.endswith(("+xml", "/xml"))
        if info.is_dir() or not is_xml:
            continue
        with archive.open(info) as stream:
            remaining -= _check_xml(stream, budget=remaining)


# --- Plain text -------------------------------------------------------------------------------


def _decode_text(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise _reject("Save the text as UTF-8.", "text_encoding")
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise _reject("The text is not valid Unicode.", "text_encoding") from exc
    if b"\x00" in raw:
        raise _reject("The file contains NUL bytes; it is not plain text.", "text_nul_bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None or is_multi_byte_encoding(best.encoding):
        raise _reject("The text's encoding is not supported; save it as UTF-8.", "text_encoding")
    return str(best)


def _check_text(f: IO[bytes], *, head: bytes) -> None:
    if b"%PDF-" in head:
        raise _reject("The text carries a PDF header.", "polyglot")
    f.seek(0)
    try:
        text = _decode_text(f.read())
    except ValidationError:
        if (label := _describe(head)) is not None:
            raise _reject(
                f"The file's content is {label}, not plain text.", "type_mismatch"
            ) from None
        raise
    if "\x00" in text:
        raise _reject("The file contains NUL characters; it is not plain text.", "text_nul_bytes")
    if len(_CONTROL_CHARS.findall(text)) > max(1, len(text) // 100):
        raise _reject("The file contains binary data; it is not plain text.", "text_binary")
    start = text[:1024].lstrip("\ufeff \t\r\n\f\v")
    if _MARKUP_START.match(start) or _MARKUP_ANYWHERE.search(start):
        raise _reject(
            "The file looks like a web page, an image or a script, not plain text.",
            "text_markup",
        )


# --- Virus scanning ---------------------------------------------------------------------------


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


# --- Services ---------------------------------------------------------------------------------


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
    logger.warning(
        "upload rejected: reason=%s user=%s size=%s name=%r",
        code,
        owner.pk,
        size,
        name,
        extra={"user_id": owner.pk, "reason": code, "size": size, "file_name": name},
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


# --- HTTP helpers -----------------------------------------------------------------------------


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
