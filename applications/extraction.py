"""Text out of uploaded documents: PDF (pypdf), DOCX (python-docx) and plain text.

Everything is bounded (bytes read, pages, characters) so a huge or hostile document cannot eat
the worker's memory. Corrupt or unsupported files raise `ExtractionError`; a PDF without a text
layer (a scan) is not an error: it comes back with `has_text_layer=False`.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

MAX_INPUT_BYTES = 25 * 1024 * 1024
MAX_PAGES = 50
MAX_CHARS = 200_000
MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_DOCX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_DOCX_ENTRIES = 2000
# DOCX table nesting deeper than this is not a resume layout; stop descending.
MAX_TABLE_DEPTH = 5

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"

# Zero-width characters and the soft hyphen carry no text.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class ExtractionError(Exception):
    """The document cannot be read: corrupt, encrypted, too large or of an unsupported type."""


@dataclass(frozen=True)
class ExtractionResult:
    text: str
    pages: int
    has_text_layer: bool
    encoding: str | None = None
    truncated: bool = False


def extract_text(
    *, content_type: str, data: bytes | None = None, path: str | Path | None = None
) -> ExtractionResult:
    """Extract the text of a PDF, DOCX or plain-text document given as bytes or a file path."""
    if (data is None) == (path is None):
        raise ValueError("Pass exactly one of data and path.")
    if path is not None:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    assert data is not None
    if len(data) > MAX_INPUT_BYTES:
        raise ExtractionError("The document is too large to extract.")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == PDF:
        return _extract_pdf(data)
    if kind == DOCX:
        return _extract_docx(data)
    if kind == TEXT:
        return _extract_plain(data)
    raise ExtractionError(f"Unsupported document type: {kind or 'unknown'}.")


def normalize_text(text: str) -> str:
    """Normalise newlines, spacing and compatibility characters (ligatures, wide forms)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x0b", "\n")
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


class _Budget:
    """Collect text up to MAX_CHARS characters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    @property
    def full(self) -> bool:
        return self.size >= MAX_CHARS

    def add(self, text: str) -> None:
        if self.full:
            self.truncated = self.truncated or bool(text)
            return
        room = MAX_CHARS - self.size
        if len(text) > room:
            text = text[:room]
            self.truncated = True
        self.parts.append(text)
        self.size += len(text) + 1

    def text(self) -> str:
        return normalize_text("\n".join(self.parts))


# --- PDF ---------------------------------------------------------------------------------------


def _extract_pdf(data: bytes) -> ExtractionResult:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf raises many kinds of error on malformed files; these are the ones it documents or
    # that its parsers let through.
    errors = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError)
    errors += (AssertionError, RecursionError, zlib.error, struct.error, UnicodeError)
    budget = _Budget()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("The PDF is password-protected.")
        pages = len(reader.pages)
        with_text = 0
        for index, page in enumerate(reader.pages):
            if index >= MAX_PAGES or budget.full:
                budget.truncated = True
                break
            page_text = page.extract_text() or ""
            if page_text.strip():
                with_text += 1
            budget.add(page_text)
    except ExtractionError:
        raise
    except errors as exc:
        raise ExtractionError(f"The PDF could not be read ({type(exc).__name__}).") from exc
    if pages == 0:
        raise ExtractionError("The PDF has no pages.")
    text = budget.text()
    return ExtractionResult(
        text=text,
        pages=pages,
        has_text_layer=with_text > 0 and bool(text),
        truncated=budget.truncated,
    )


# --- DOCX --------------------------------------------------------------------------------------


def _extract_docx(data: bytes) -> ExtractionResult:
    from docx import Document as open_docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_DOCX_ENTRIES:
                raise ExtractionError("The DOCX has too many parts.")
            if sum(entry.file_size for entry in entries) > MAX_DOCX_UNCOMPRESSED_BYTES:
                raise ExtractionError("The DOCX is too large once uncompressed.")
        document = open_docx(io.BytesIO(data))
        budget = _Budget()
        for text in _docx_headers(document, footer=False):
            budget.add(text)
        _docx_blocks(document, budget, depth=0)
        for text in _docx_headers(document, footer=True):
            budget.add(text)
    except ExtractionError:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, LxmlError) as exc:
        raise ExtractionError(f"The DOCX could not be read ({type(exc).__name__}).") from exc
    text = budget.text()
    return ExtractionResult(
        text=text,
        pages=len(document.sections),
        has_text_layer=bool(text),
        truncated=budget.truncated,
    )


def _docx_headers(document, *, footer: bool) -> list[str]:
    """Text of the sections' headers (or footers), each distinct one once, in section order."""
    seen: set[str] = set()
    texts: list[str] = []
    for section in document.sections:
        parts = (
            (section.first_page_footer, section.footer, section.even_page_footer)
            if footer
            else (section.first_page_header, section.header, section.even_page_header)
        )
        for part in parts:
            if part.is_linked_to_previous:
                continue
            budget = _Budget()
            _docx_blocks(part, budget, depth=0)
            text = budget.text()
            if text and text not in seen:
                seen.add(text)
                texts.append(text)
    return texts


def _docx_blocks(container, budget: _Budget, *, depth: int) -> None:
    """Walk paragraphs and tables in document order, descending into nested tables."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if budget.full:
            budget.truncated = True
            return
        if isinstance(block, Table):
            _docx_table(block, budget, depth=depth)
        else:
            budget.add(_paragraph_text(block))


def _paragraph_text(paragraph) -> str:
    # Text boxes (w:txbxContent) sit inside runs; python-docx's paragraph.text skips them.
    text = paragraph.text
    boxes = paragraph._p.xpath(".//w:txbxContent//w:p")
    if boxes:
        inner = ["".join(node.xpath(".//w:t/text()")) for node in boxes]
        text = "\n".join([text, *inner])
    return text


def _docx_table(table, budget: _Budget, *, depth: int) -> None:
    """Write a data row on one line, cells joined by ' | '; a layout row cell after cell.

    A row whose cells each hold one short paragraph is data (dates | role | company); a row
    whose cells hold several paragraphs or tables is a page layout (sidebar, main column), and
    its columns are read one after the other.
    """
    if depth >= MAX_TABLE_DEPTH:
        return
    for row in table.rows:
        cells = []
        seen = set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell)
        is_data_row = all(
            len(cell.tables) == 0 and sum(1 for p in cell.paragraphs if p.text.strip()) <= 1
            for cell in cells
        )
        if is_data_row:
            values = [cell.text.strip() for cell in cells]
            budget.add(" | ".join(value for value in values if value))
            continue
        for cell in cells:
            _docx_blocks(cell, budget, depth=depth + 1)
            budget.add("")


# --- Plain text --------------------------------------------------------------------------------


def _extract_plain(data: bytes) -> ExtractionResult:
    truncated = len(data) > MAX_TEXT_BYTES
    data = data[:MAX_TEXT_BYTES]
    text, encoding = _decode(data, truncated=truncated)
    if len(text) > MAX_CHARS:
        text, truncated = text[:MAX_CHARS], True
    text = normalize_text(text)
    return ExtractionResult(
        text=text, pages=1, has_text_layer=bool(text), encoding=encoding, truncated=truncated
    )


def _decode(data: bytes, *, truncated: bool) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    if b"\x00" not in data:
        # Most text is UTF-8; a truncated tail may cut one character in half.
        for cut in range(4) if truncated else (0,):
            try:
                return data[: len(data) - cut].decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ExtractionError("The text's encoding could not be recognised.")
    return str(best), best.encoding
