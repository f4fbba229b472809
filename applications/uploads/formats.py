"""Content checks: the magic bytes, the extension and the parsed structure must agree.

PDF (polyglots, active content, a parse), DOCX (the zip's entries, XML without DTDs, the main
part, a parse) and plain text (encoding, binary data, markup).
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO
from xml.etree import ElementTree
from xml.parsers import expat

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding
from django.conf import settings
from django.core.exceptions import ValidationError

from applications.uploads.rejections import _reject
from applications.uploads.streaming import _CHUNK

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
ALLOWED_EXTENSIONS: dict[str, str] = {"pdf": PDF, "docx": DOCX, "txt": TEXT}
_TYPE_LABELS = {PDF: "a PDF", DOCX: "a Word document (.docx)", TEXT: "plain text"}

# Deflate reaches ~10:1 on Word XML; a huge entry far beyond that is a bomb.
_MAX_COMPRESSION_RATIO = 100
_RATIO_MIN_ENTRY_BYTES = 1024 * 1024
_SMALL_PART_MAX_BYTES = 1024 * 1024  # [Content_Types].xml and _rels/.rels

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
        return ElementTree.fromstring(data)  # nosec B314 # _check_xml just refused any DTD, so no entity expansion reaches ElementTree
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
