"""Text extraction on real files: the generated resume corpus, plus hand-made edge cases."""

import io
import zipfile

import pytest
from docx import Document as DocxDocument
from pypdf import PdfWriter
from reportlab.pdfgen.canvas import Canvas

from applications import extraction
from applications.extraction import DOCX, PDF, TEXT, ExtractionError, extract_text
from applications.tests import resume_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return resume_corpus.generated(tmp_path_factory)


KEYS = [key for key, *_ in resume_corpus.LAYOUTS]


@pytest.mark.parametrize("key", KEYS)
def test_extract_text_reads_every_resume_of_the_corpus(corpus, key):
    resume = corpus[key]

    result = extract_text(path=resume.path, content_type=resume.content_type)

    assert result.has_text_layer
    assert not result.truncated
    assert resume.person.email in result.text
    assert resume.person.name.casefold() in result.text.casefold()
    for job in resume.person.jobs:
        assert job.company in result.text


def test_extract_text_reads_bytes_as_well_as_paths(corpus):
    resume = corpus["ada"]

    from_bytes = extract_text(data=resume.path.read_bytes(), content_type=PDF)

    assert from_bytes == extract_text(path=resume.path, content_type=PDF)


def test_extract_text_counts_pdf_pages_and_keeps_page_order(corpus):
    result = extract_text(path=corpus["liam"].path, content_type=PDF)

    assert result.pages == 2
    assert result.text.index("Employment History") < result.text.index("Technical Skills")


def test_extract_text_marks_a_scanned_pdf_as_having_no_text_layer(corpus):
    scan = corpus["ada"].path.parent / resume_corpus.SCANNED

    result = extract_text(path=scan, content_type=PDF)

    assert result.has_text_layer is False
    assert result.text == ""
    assert result.pages == 1


def test_extract_text_reads_docx_headers_body_nested_tables_and_footers_in_order(tmp_path):
    doc = DocxDocument()
    doc.sections[0].header.paragraphs[0].text = "Header line"
    doc.sections[0].footer.paragraphs[0].text = "Footer line"
    doc.add_paragraph("Body before")
    outer = doc.add_table(rows=1, cols=2)
    left, right = outer.rows[0].cells
    left.paragraphs[0].text = "Left column"
    left.add_paragraph("Left again")
    inner = left.add_table(rows=1, cols=2)
    inner.rows[0].cells[0].text = "Nested label"
    inner.rows[0].cells[1].text = "Nested value"
    right.paragraphs[0].text = "Right column"
    right.add_paragraph("Right again")
    merged = doc.add_table(rows=1, cols=3)
    merged.rows[0].cells[0].merge(merged.rows[0].cells[1]).text = "Merged cell"
    merged.rows[0].cells[2].text = "Plain cell"
    doc.add_paragraph("Body after")
    path = tmp_path / "layout.docx"
    doc.save(str(path))

    text = extract_text(path=path, content_type=DOCX).text

    order = [
        "Header line",
        "Body before",
        "Left column",
        "Nested label | Nested value",
        "Right column",
        "Merged cell | Plain cell",
        "Body after",
        "Footer line",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert text.count("Merged cell") == 1


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeffZoë Müller\r\nRésumé\r\n".encode(), "utf-8"),
        ("Zoë Müller\r\nRésumé\r\n".encode("utf-16"), "utf-16-le"),
        ("Zoë Müller\rRésumé\r".encode(), "utf-8"),
        (
            (
                "Zoë Müller, développeuse à Besançon. Expérience: Python, Django. "
                "Réalisé des systèmes élégants pour une société française."
            ).encode("cp1252"),
            None,
        ),
    ],
)
def test_extract_text_detects_the_encoding_of_plain_text(data, encoding):
    result = extract_text(data=data, content_type="text/plain; charset=whatever")

    assert result.text.startswith("Zoë Müller")
    assert "\r" not in result.text
    if encoding:
        assert result.encoding == encoding
        assert result.text == "Zoë Müller\nRésumé"
    else:
        assert result.encoding not in ("utf-8", "ascii")
        assert "développeuse à Besançon" in result.text


def test_extract_text_normalises_ligatures_spaces_and_control_characters():
    text = "Of\ufb01ce  work\u00a0here\x00\x07\n\n\n\nsoft\u00adhyphen"

    result = extract_text(data=text.encode(), content_type=TEXT)

    assert result.text == "Office work here\n\nsofthyphen"


def test_extract_text_caps_the_characters_of_a_huge_text():
    data = ("word " * (extraction.MAX_CHARS // 2)).encode()

    result = extract_text(data=data, content_type=TEXT)

    assert result.truncated
    assert len(result.text) <= extraction.MAX_CHARS


def test_extract_text_caps_the_pages_of_a_long_pdf(tmp_path):
    path = tmp_path / "long.pdf"
    canvas = Canvas(str(path))
    for page in range(1, extraction.MAX_PAGES + 6):
        canvas.drawString(72, 720, f"Page body {page}")
        canvas.showPage()
    canvas.save()

    result = extract_text(path=path, content_type=PDF)

    assert result.pages == extraction.MAX_PAGES + 5
    assert result.truncated
    assert f"Page body {extraction.MAX_PAGES}" in result.text
    assert f"Page body {extraction.MAX_PAGES + 1}" not in result.text


def test_extract_text_refuses_a_docx_too_large_once_uncompressed(tmp_path, monkeypatch, corpus):
    monkeypatch.setattr(extraction, "MAX_DOCX_UNCOMPRESSED_BYTES", 10_000)

    with pytest.raises(ExtractionError, match="too large once uncompressed"):
        extract_text(path=corpus["amara"].path, content_type=DOCX)


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"%PDF-1.7\n garbage that is not a PDF", PDF, "PDF could not be read"),
        (b"PK\x03\x04 not really a zip", DOCX, "DOCX could not be read"),
        (b"GIF89a", "image/gif", "Unsupported document type: image/gif"),
    ],
)
def test_extract_text_raises_extraction_error_for_unreadable_files(data, content_type, message):
    with pytest.raises(ExtractionError, match=message):
        extract_text(data=data, content_type=content_type)


def test_extract_text_raises_extraction_error_for_a_zip_that_is_not_a_docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")

    with pytest.raises(ExtractionError, match="DOCX could not be read"):
        extract_text(data=buffer.getvalue(), content_type=DOCX)


def test_extract_text_refuses_a_password_protected_pdf(corpus):
    writer = PdfWriter(clone_from=str(corpus["ada"].path))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)

    with pytest.raises(ExtractionError, match="password-protected"):
        extract_text(data=buffer.getvalue(), content_type=PDF)


def test_extract_text_refuses_a_file_over_the_input_limit(monkeypatch):
    monkeypatch.setattr(extraction, "MAX_INPUT_BYTES", 100)

    with pytest.raises(ExtractionError, match="too large"):
        extract_text(data=b"x" * 101, content_type=TEXT)
