"""Tests for index.formats: real files built with fpdf2 and python-docx, no embedder."""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfWriter

from index.discovery import find_files
from index.formats import FORMATS, SUPPORTED_SUFFIXES, LoadError, load_file
from index.pdf import MAX_PDF_PAGES

README = Path(__file__).resolve().parents[2] / "README.md"
DOCS = README.parent / "docs"
PAGE_TEXTS = ["Apples grow on the first page.", "Bananas ripen on the second page."]


def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """Write a PDF with one page per text ("" gives a page without text)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
        else:
            pdf.rect(10, 10, 50, 50)
    pdf.output(str(path))
    return path


def make_docx(path: Path, title: str | None = None) -> Path:
    """Write a DOCX with a heading, two paragraphs and a 2x2 table between them."""
    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_heading("Annual Report", level=1)
    document.add_paragraph("Revenue grew in every region.")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Region", "Revenue"), ("North", "120")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("Costs stayed flat.")
    document.save(str(path))
    return path


HTML = """<!DOCTYPE html>
<html><head><title>Fruit  Guide</title><style>body { color: red; }</style>
<script>var secret = "SCRIPT TEXT";</script></head>
<body>
<!-- COMMENT TEXT -->
<h1>Fruit</h1>
<p>Apples are <b>very</b> tasty and
   <a href="#">crunchy</a>.</p>
<div hidden>HIDDEN ATTRIBUTE TEXT</div>
<div style="display: none">HIDDEN DIV TEXT</div>
<p>Pears are sweet.<span style="DISPLAY : NONE ;">HIDDEN SPAN TEXT</span></p>
<p aria-hidden="true">ARIA HIDDEN TEXT</p>
<noscript>NOSCRIPT TEXT</noscript>
<ul><li>One</li><li>Two</li></ul>
</body></html>
"""


def write(path: Path, data: bytes | str) -> Path:
    """Write bytes or UTF-8 text to `path`, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_pages_are_numbered_from_one(tmp_path: Path) -> None:
    doc = load_file(make_pdf(tmp_path / "fruit.pdf", PAGE_TEXTS), "fruit.pdf")
    assert [page.number for page in doc.pages] == [1, 2]


def test_pdf_page_spans_cover_exactly_each_page_text(tmp_path: Path) -> None:
    doc = load_file(make_pdf(tmp_path / "fruit.pdf", PAGE_TEXTS), "fruit.pdf")
    assert [doc.text[p.start : p.end] for p in doc.pages] == PAGE_TEXTS


def test_pdf_pages_are_joined_with_a_blank_line(tmp_path: Path) -> None:
    doc = load_file(make_pdf(tmp_path / "fruit.pdf", PAGE_TEXTS), "fruit.pdf")
    assert doc.text == "\n\n".join(PAGE_TEXTS)


def test_pdf_phrase_on_second_page_maps_to_page_two(tmp_path: Path) -> None:
    doc = load_file(make_pdf(tmp_path / "fruit.pdf", PAGE_TEXTS), "fruit.pdf")
    assert doc.page_at(doc.text.index("Bananas ripen")) == 2


def test_pdf_page_without_text_keeps_later_page_numbers(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "gap.pdf", ["Page one text.", "", "Page three text."])
    doc = load_file(pdf, "gap.pdf")
    assert doc.page_at(doc.text.index("Page three")) == 3


def test_pdf_title_comes_from_metadata(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "fruit.pdf", PAGE_TEXTS, title="The Fruit Book")
    assert load_file(pdf, "fruit.pdf").title == "The Fruit Book"


def test_pdf_without_metadata_title_is_titled_by_its_stem(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "fruit_notes.pdf", PAGE_TEXTS)
    assert load_file(pdf, "fruit_notes.pdf").title == "fruit notes"


def test_pdf_keeps_the_source_id_given(tmp_path: Path) -> None:
    doc = load_file(make_pdf(tmp_path / "fruit.pdf", PAGE_TEXTS), "docs/fruit.pdf")
    assert doc.source == "docs/fruit.pdf"


def test_corrupt_pdf_raises_load_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.pdf", os.urandom(2048))
    with pytest.raises(LoadError) as caught:
        load_file(path, "broken.pdf")
    assert "broken.pdf" in str(caught.value)


def test_pdf_without_text_raises_load_error(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", [""])
    with pytest.raises(LoadError, match="no extractable text"):
        load_file(path, "scan.pdf")


def test_password_protected_pdf_raises_load_error(tmp_path: Path) -> None:
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.set_encryption("owner", user_password="secret", encryption_method=EncryptionMethod.RC4)
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Locked text.")
    pdf.output(str(tmp_path / "locked.pdf"))
    with pytest.raises(LoadError, match=r"locked\.pdf: password-protected PDF: it opens only with its password"):
        load_file(tmp_path / "locked.pdf", "locked.pdf")


# --- DOCX ------------------------------------------------------------------------------------


def test_docx_text_keeps_paragraphs_and_table_in_body_order(tmp_path: Path) -> None:
    doc = load_file(make_docx(tmp_path / "report.docx"), "report.docx")
    assert doc.text.split("\n") == [
        "Annual Report",
        "Revenue grew in every region.",
        "Region | Revenue",
        "North | 120",
        "Costs stayed flat.",
    ]


def test_docx_soft_line_breaks_inside_a_paragraph_become_spaces(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("The plant opened in 1998")
    paragraph.add_run().add_break()  # Shift+Enter: a new line, same paragraph
    paragraph.add_run("after a long planning process.\tIt employs 4,250 people.")
    document.add_paragraph("A second paragraph.")
    document.save(str(tmp_path / "soft.docx"))
    assert load_file(tmp_path / "soft.docx", "soft.docx").text == (
        "The plant opened in 1998 after a long planning process. It employs 4,250 people.\nA second paragraph."
    )


def test_docx_title_falls_back_to_the_first_heading(tmp_path: Path) -> None:
    assert load_file(make_docx(tmp_path / "report.docx"), "report.docx").title == "Annual Report"


def test_docx_title_comes_from_core_properties(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "report.docx", title="Report 2024")
    assert load_file(path, "report.docx").title == "Report 2024"


def test_pdf_named_docx_raises_load_error_naming_the_file(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "fake.pdf", PAGE_TEXTS)
    path = write(tmp_path / "fake.docx", pdf.read_bytes())
    with pytest.raises(LoadError, match=r"fake\.docx: not a valid Word \.docx file"):
        load_file(path, "fake.docx")


def test_zip_without_word_document_raises_load_error(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "empty.docx", "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(LoadError, match="empty.docx"):
        load_file(tmp_path / "empty.docx", "empty.docx")


# --- HTML ------------------------------------------------------------------------------------


def test_html_text_has_no_script_style_comment_or_hidden_text(tmp_path: Path) -> None:
    text = load_file(write(tmp_path / "page.html", HTML), "page.html").text
    hidden = ["SCRIPT", "color: red", "COMMENT", "HIDDEN", "NOSCRIPT", "Guide"]
    assert [marker for marker in hidden if marker in text] == []


def test_html_inline_tags_stay_inside_the_sentence(tmp_path: Path) -> None:
    text = load_file(write(tmp_path / "page.html", HTML), "page.html").text
    assert "Apples are very tasty and crunchy." in text.split("\n")


def test_html_blocks_become_separate_lines(tmp_path: Path) -> None:
    text = load_file(write(tmp_path / "page.html", HTML), "page.html").text
    assert text.split("\n") == [
        "Fruit",
        "Apples are very tasty and crunchy.",
        "Pears are sweet.",
        "One",
        "Two",
    ]


def test_html_line_breaks_inside_a_paragraph_become_spaces(tmp_path: Path) -> None:
    html = "<p>The plant opened in 1998\n   after a long<br>planning process.</p><p>Second<br/> <br/>paragraph.</p>"
    text = load_file(write(tmp_path / "p.html", html), "p.html").text
    assert text == "The plant opened in 1998 after a long planning process.\nSecond\nparagraph."


def test_html_line_breaks_in_pre_are_kept(tmp_path: Path) -> None:
    html = "<pre>line one<br>line two\nline three</pre>"
    assert load_file(write(tmp_path / "pre.html", html), "pre.html").text == "line one\nline two\nline three"


def test_html_title_comes_from_the_title_tag(tmp_path: Path) -> None:
    assert load_file(write(tmp_path / "page.html", HTML), "page.html").title == "Fruit Guide"


def test_html_title_falls_back_to_the_first_h1(tmp_path: Path) -> None:
    path = write(tmp_path / "page.htm", "<body><h1>Main <i>Topic</i></h1><p>Text.</p></body>")
    assert load_file(path, "page.htm").title == "Main Topic"


def test_html_table_rows_become_lines_of_cells(tmp_path: Path) -> None:
    html = "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>30</td></tr></table>"
    text = load_file(write(tmp_path / "t.html", html), "t.html").text
    assert text == "Name | Age\nAnn | 30"


def test_html_hidden_input_and_aria_hidden_are_dropped(tmp_path: Path) -> None:
    html = '<p>Shown<input type="hidden" value="x"><span aria-hidden="true">icon</span></p>'
    assert load_file(write(tmp_path / "f.html", html), "f.html").text == "Shown"


def test_deeply_nested_html_loads(tmp_path: Path) -> None:
    html = "<div>" * 3000 + "Deep text." + "</div>" * 3000
    assert "Deep text." in load_file(write(tmp_path / "deep.html", html), "deep.html").text


# --- text and Markdown -----------------------------------------------------------------------


def test_txt_title_is_a_short_first_line(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", "\n  Meeting Notes  \n\nWe met on Monday.\n")
    assert load_file(path, "notes.txt").title == "Meeting Notes"


def test_txt_title_falls_back_to_stem_when_first_line_is_a_sentence(tmp_path: Path) -> None:
    path = write(tmp_path / "report.txt", "This file is about fruit.\nMore text.\n")
    assert load_file(path, "report.txt").title == "report"


def test_txt_title_falls_back_to_stem_when_first_line_is_long(tmp_path: Path) -> None:
    path = write(tmp_path / "long_notes.txt", "word " * 40 + "\n")
    assert load_file(path, "long_notes.txt").title == "long notes"


def test_markdown_title_is_the_first_atx_heading(tmp_path: Path) -> None:
    path = write(tmp_path / "guide.md", "Intro line\n\n## Setup Guide ##\n\n# Later\n")
    assert load_file(path, "guide.md").title == "Setup Guide"


def test_markdown_comment_in_code_fence_is_not_a_title(tmp_path: Path) -> None:
    path = write(tmp_path / "code.markdown", "```sh\n# install\n```\n# Real Title\n")
    assert load_file(path, "code.markdown").title == "Real Title"


def test_markdown_text_is_kept_as_is(tmp_path: Path) -> None:
    source = "# Title\n\nSome **bold** text and a [link](http://x).\n"
    assert load_file(write(tmp_path / "a.md", source), "a.md").text == source


def test_utf16_file_with_bom_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path / "u16.txt", "Grüße aus Köln\nZweite Zeile.\n".encode("utf-16"))
    assert load_file(path, "u16.txt").text == "Grüße aus Köln\nZweite Zeile.\n"


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", "Café menu\n".encode("utf-8-sig"))
    assert load_file(path, "bom.txt").text == "Café menu\n"


def test_latin1_file_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.txt", "Señor Müller paid 5 €uro? No: 5 Mark.".encode("cp1252"))
    assert load_file(path, "latin.txt").text == "Señor Müller paid 5 €uro? No: 5 Mark."


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.txt", b"caf\xe9 \x81")
    assert load_file(path, "odd.txt").text == "café \x81"


def test_windows_newlines_become_line_feeds(tmp_path: Path) -> None:
    path = write(tmp_path / "crlf.txt", b"one\r\ntwo\rthree\n")
    assert load_file(path, "crlf.txt").text == "one\ntwo\nthree\n"


def test_binary_txt_raises_load_error(tmp_path: Path) -> None:
    path = write(tmp_path / "blob.txt", b"text\x00\x01\x02 more")
    with pytest.raises(LoadError, match=r"blob\.txt: binary data"):
        load_file(path, "blob.txt")


def test_unsupported_suffix_raises_load_error(tmp_path: Path) -> None:
    path = write(tmp_path / "image.png", b"\x89PNG")
    with pytest.raises(LoadError, match="unsupported file type '.png'"):
        load_file(path, "image.png")


def test_missing_file_raises_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read file"):
        load_file(tmp_path / "gone.txt", "gone.txt")


def test_load_error_has_path_and_reason() -> None:
    error = LoadError("a/b.pdf", "encrypted PDF")
    assert (str(error), error.path, error.reason) == (
        "a/b.pdf: encrypted PDF",
        "a/b.pdf",
        "encrypted PDF",
    )


def test_load_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(LoadError("a.pdf", "broken")))
    assert (error.path, error.reason, str(error)) == ("a.pdf", "broken", "a.pdf: broken")


# --- hostile files ----------------------------------------------------------------------------


def test_utf16_without_bom_is_decoded_not_called_binary(tmp_path: Path) -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        path = write(tmp_path / f"{codec}.txt", "Grüße aus Köln.\n".encode(codec))
        assert find_files(path) == ([path], [])
        assert load_file(path, path.name).text == "Grüße aus Köln.\n"


def test_utf8_with_a_few_bad_bytes_keeps_its_good_characters(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.txt", "Die Brücke über den Fluß. ".encode() + b"\xff\xfe")
    assert load_file(path, "bad.txt").text == "Die Brücke über den Fluß. \ufffd\ufffd"


def test_docx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "bomb.docx")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document2.xml", b" " * (20 << 20))
    with pytest.raises(LoadError, match=r"zip bomb\? word/document2\.xml unpacks 20 MB from \d+ KB"):
        load_file(path, "bomb.docx")


def test_pdf_with_too_many_pages_is_refused_with_its_page_count(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 10, "One real page.")
    pdf.output(str(tmp_path / "one.pdf"))
    writer = PdfWriter(clone_from=tmp_path / "one.pdf")
    for _ in range(MAX_PDF_PAGES):
        writer.add_blank_page()
    writer.write(tmp_path / "many.pdf")
    with pytest.raises(LoadError, match=rf"PDF has {MAX_PDF_PAGES + 1} pages; at most {MAX_PDF_PAGES} are read"):
        load_file(tmp_path / "many.pdf", "many.pdf")


# --- the registry ----------------------------------------------------------------------------


def test_no_suffix_belongs_to_two_formats() -> None:
    suffixes = [suffix for file_format in FORMATS for suffix in file_format.suffixes]
    assert len(suffixes) == len(set(suffixes)) == len(SUPPORTED_SUFFIXES)


def test_suffixes_are_lower_case_with_their_dot() -> None:
    assert all(re.fullmatch(r"\.[a-z0-9]+", suffix) for suffix in SUPPORTED_SUFFIXES)


def test_docs_list_exactly_the_supported_suffixes() -> None:
    chat = (DOCS / "chat.md").read_text(encoding="utf-8").splitlines()
    answers = (DOCS / "answers.md").read_text(encoding="utf-8").splitlines()
    upload = next(line for line in chat if line.startswith("- **Documents**: upload `"))
    loading = next(line for line in answers if line.startswith("| loading |"))
    assert sorted(upload.split("`")[1].split()) == sorted(SUPPORTED_SUFFIXES)
    assert set(re.findall(r"`(\.[a-z0-9]+)`", loading)) == SUPPORTED_SUFFIXES


def test_readme_names_every_format_in_its_first_line() -> None:
    first = README.read_text(encoding="utf-8").split("\n\n")[1]
    listed = re.search(r"folder of documents \(([^)]*)\)", first)
    assert listed is not None
    assert listed.group(1).split(", ") == [file_format.name for file_format in FORMATS]


def test_an_office_file_that_is_not_a_zip_is_named_by_its_format(tmp_path: Path) -> None:
    path = write(tmp_path / "fake.docx", b"plain text, no zip")
    with pytest.raises(LoadError) as caught:
        load_file(path, "fake.docx")
    assert caught.value.reason == "not a valid Word .docx file (not a zip archive)"
