"""PDF text as a reader sees it: real PDFs made here with fpdf2, loaded, and split into sentences.

Each layout (wrapped paragraphs, hyphenated line ends, two columns, tables, running headers and
footers, a rotated page) must give whole sentences, with every quote a slice of the text and
every page number right.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from pypdf import PdfWriter

from index.chunking import WordPieceTokenizer, split_document
from index.formats import LoadError, load_file
from index.pdf.hyphens import Hyphens, hyphen_pair
from index.sentences import split_sentences
from index.types import Document
from qa.settings import bundled_model_path

STAFF = (
    "The company employs 4,250 people, most of them in the northern plant that opened in 1998.",
    "Its revenue grew by twelve percent to 81 million euros in the last fiscal year, driven by exports to Asia.",
    "The board expects steady growth in the coming years and plans a second plant near the harbour.",
)
SAFETY = (
    "Every employee takes a safety course in the first month, and again every second year after that.",
    "The course covers fire drills, first aid and the handling of the chemicals stored on site.",
)
HEADER, FOOTER = "Acme Corp Annual Report 2024", "Confidential - for shareholders only"


def new_pdf(size: float = 11) -> FPDF:
    """An A4 PDF with Helvetica selected and no automatic page break."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=size)
    return pdf


def save(pdf: FPDF, path: Path) -> Path:
    pdf.output(str(path))
    return path


def sentences(doc: Document) -> list[str]:
    """The document's sentences, each checked to be the slice of the text its offsets say."""
    spans = split_sentences(doc.text)
    return [doc.text[start:end] for start, end in spans]


def wrapped_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """The lines fpdf2 wraps `text` into at `width` mm."""
    lines = pdf.multi_cell(width, 5, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return [str(line) for line in lines]


# --- paragraphs -------------------------------------------------------------------------------


@pytest.mark.parametrize("align", ["J", "L"])
def test_wrapped_sentences_are_whole_and_paragraphs_are_blank_line_apart(tmp_path: Path, align: str) -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.multi_cell(100, 5, " ".join(STAFF), align=align)  # three sentences over six lines
    pdf.ln(5)
    pdf.multi_cell(100, 5, " ".join(SAFETY), align=align)
    doc = load_file(save(pdf, tmp_path / "wrapped.pdf"), "wrapped.pdf")
    assert len(wrapped_lines(pdf, " ".join(STAFF), 100)) >= 5
    assert doc.text == " ".join(STAFF) + "\n\n" + " ".join(SAFETY)
    assert set(STAFF + SAFETY) <= set(sentences(doc))


def test_a_heading_stays_out_of_the_paragraph_under_it(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 8, "Our People")
    pdf.ln(8)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(100, 5, " ".join(STAFF))
    doc = load_file(save(pdf, tmp_path / "heading.pdf"), "heading.pdf")
    assert doc.text == "Our People\n\n" + " ".join(STAFF)


def test_list_items_stay_apart_and_their_wrapped_lines_join(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.add_page()
    for item in SAFETY:
        pdf.set_x(10)
        pdf.cell(5, 5, "-")
        pdf.multi_cell(90, 5, item)
    doc = load_file(save(pdf, tmp_path / "list.pdf"), "list.pdf")
    assert doc.text.split("\n\n") == [f"- {item}" for item in SAFETY]


# --- hyphenation ------------------------------------------------------------------------------

HYPHENATED = [
    "In case of fire, all staff follow the evac-",
    "uation plan posted at every exit of the",
    "building. Sales grew year-on-year in Asia, and",
    "the year-on-",
    "year growth of the Non-",
    "GAAP margin was the highest on record.",
]


def test_words_hyphenated_at_a_line_end_are_joined_again(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.add_page()
    for number, line in enumerate(HYPHENATED):
        pdf.set_xy(10, 20 + 5 * number)
        pdf.cell(0, 5, line)
    doc = load_file(save(pdf, tmp_path / "hyphens.pdf"), "hyphens.pdf")
    assert sentences(doc) == [
        "In case of fire, all staff follow the evacuation plan posted at every exit of the building.",
        "Sales grew year-on-year in Asia, and the year-on-year growth of the Non-GAAP margin was the highest"
        " on record.",
    ]


@pytest.mark.parametrize(
    ("upper", "lower", "joint"),
    [
        ("follow the evac\ufffe", "uation plan", ""),  # U+FFFE: a hyphen PDFium saw end a line
        ("sales grew year-on-", "year again", "-"),  # the document writes "year-on-year"
        ("the Non-", "GAAP margin", "-"),  # a capital after the hyphen
        ("COVID\ufffe", "19 cases", "-"),
        ("our revenue-", "generating units", "-"),  # both halves are words of the document
        ("a trans\xad", "action", ""),  # a soft hyphen
    ],
)
def test_a_line_end_hyphen_is_kept_only_where_the_word_has_one(upper: str, lower: str, joint: str) -> None:
    texts = ["Sales grew year-on-year.", "Revenue is generating cash.", upper, lower]
    pair = hyphen_pair(upper, lower)
    assert pair is not None
    assert Hyphens([pair], texts).joint(*pair) == joint


# --- columns ----------------------------------------------------------------------------------


def two_column_pdf(path: Path, interleaved: bool) -> Path:
    """One text flowing down the left column and on at the top of the right one."""
    pdf = new_pdf(10)
    pdf.add_page()
    lines = wrapped_lines(pdf, " ".join(STAFF + SAFETY), 85)
    half = (len(lines) + 1) // 2
    placed = [(10 + 100 * (i // half), 30 + 5 * (i % half), line) for i, line in enumerate(lines)]
    if interleaved:  # left line 1, right line 1, left line 2, ...: the order some writers use
        placed.sort(key=lambda item: (item[1], item[0]))
    for x, y, line in placed:
        pdf.set_xy(x, y)
        pdf.cell(85, 5, line)
    return save(pdf, path)


@pytest.mark.parametrize("interleaved", [False, True], ids=["column-by-column", "line-by-line"])
def test_two_columns_are_read_one_after_the_other(tmp_path: Path, interleaved: bool) -> None:
    doc = load_file(two_column_pdf(tmp_path / "columns.pdf", interleaved), "columns.pdf")
    assert doc.text == " ".join(STAFF + SAFETY)


def test_text_columns_flowed_by_fpdf2_are_read_in_order(tmp_path: Path) -> None:
    pdf = new_pdf(10)
    pdf.add_page()
    with pdf.text_columns(ncols=2, gutter=10, text_align="J") as columns:
        columns.write(" ".join(STAFF + SAFETY + STAFF))
    doc = load_file(save(pdf, tmp_path / "flowed.pdf"), "flowed.pdf")
    assert sentences(doc) == list(STAFF + SAFETY + STAFF)


# --- tables -----------------------------------------------------------------------------------

ROWS = [("Region", "Revenue", "Growth"), ("North", "120", "4%"), ("South", "95", "2%"), ("East", "310", "11%")]


def test_table_rows_stay_one_line_each_between_whole_paragraphs(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.multi_cell(100, 5, " ".join(STAFF))
    pdf.ln(5)
    with pdf.table(width=120, col_widths=(60, 30, 30)) as table:
        for row in ROWS:
            cells = table.row()
            for text in row:
                cells.cell(text)
    pdf.ln(5)
    pdf.multi_cell(100, 5, " ".join(SAFETY))
    doc = load_file(save(pdf, tmp_path / "table.pdf"), "table.pdf")
    rows = [" ".join(row) for row in ROWS]
    assert "\n".join(rows) in doc.text
    assert set(STAFF + SAFETY + tuple(rows)) <= set(sentences(doc))


# --- running headers, footers and page numbers ------------------------------------------------


class Report(FPDF):
    """Pages with a running header, a running footer and "Page n of m"."""

    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, HEADER)
        self.ln(15)

    def footer(self) -> None:
        self.set_y(-20)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, FOOTER, align="L")
        self.set_y(-15)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def report_pdf(path: Path, bodies: list[str]) -> Path:
    pdf = Report()
    pdf.set_auto_page_break(False)
    for body in bodies:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 5, body)
    return save(pdf, path)


def test_running_headers_footers_and_page_numbers_are_left_out(tmp_path: Path) -> None:
    bodies = [" ".join(STAFF), " ".join(SAFETY), " ".join(STAFF[:2])]
    doc = load_file(report_pdf(tmp_path / "report.pdf", bodies), "report.pdf")
    assert doc.text == "\n\n".join(bodies)
    assert [doc.text[page.start : page.end] for page in doc.pages] == bodies
    assert [doc.page_at(doc.text.index(SAFETY[1])), doc.page_at(doc.text.rindex(STAFF[1]))] == [2, 3]


def test_a_page_number_right_under_the_text_is_left_out(tmp_path: Path) -> None:
    pdf = new_pdf()
    for number, body in enumerate([" ".join(STAFF), " ".join(SAFETY)], start=1):
        pdf.add_page()
        pdf.multi_cell(100, 5, body)
        pdf.ln(8)
        pdf.cell(100, 5, str(number), align="C")  # as in filings printed from a web page
    doc = load_file(save(pdf, tmp_path / "numbered.pdf"), "numbered.pdf")
    assert doc.text == " ".join(STAFF) + "\n\n" + " ".join(SAFETY)


def test_a_line_repeated_in_the_body_of_every_page_is_kept(tmp_path: Path) -> None:
    bodies = [f"{STAFF[0]}\n\n{SAFETY[0]}"] * 3
    doc = load_file(report_pdf(tmp_path / "same.pdf", bodies), "same.pdf")
    assert doc.text == "\n\n".join(bodies)


def test_a_sentence_running_over_a_page_break_is_quoted_whole_from_the_page_it_starts_on(tmp_path: Path) -> None:
    margin = (
        "Operating margin improved from 8.1 percent to 9.4 percent over the year,"
        " mainly because freight costs fell sharply in"
    )
    bodies = [f"{STAFF[0]} {margin}", f"the fourth quarter. {SAFETY[0]}", f"{SAFETY[1]}"]
    doc = load_file(report_pdf(tmp_path / "runon.pdf", bodies), "runon.pdf")
    whole = f"{margin} the fourth quarter."
    assert whole in sentences(doc)
    assert [doc.text[page.start : page.end] for page in doc.pages] == bodies
    assert doc.text.endswith(f"{SAFETY[0]}\n\n{SAFETY[1]}")  # pages that end a sentence stay a blank line apart
    chunks = split_document(doc, WordPieceTokenizer(bundled_model_path()))
    holding = [chunk for chunk in chunks if whole in chunk.text]
    assert holding and all(chunk.page == 1 for chunk in holding)
    assert [chunk.page for chunk in chunks if SAFETY[0] in chunk.text] == [2]
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert not chunk.text.startswith("the fourth quarter")


# --- offsets, chunks and page numbers ---------------------------------------------------------


def test_every_chunk_and_sentence_is_a_slice_of_the_text_on_its_page(tmp_path: Path) -> None:
    bodies = [" ".join(STAFF + SAFETY)] * 4
    doc = load_file(report_pdf(tmp_path / "long.pdf", bodies), "long.pdf")
    chunks = split_document(doc, WordPieceTokenizer(bundled_model_path()))
    assert chunks
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.page == doc.page_at(chunk.start) == doc.page_at(chunk.end - 1)
        assert set(split_sentences(chunk.text)) <= {(s - chunk.start, e - chunk.start) for s, e in _spans(doc)}


def _spans(doc: Document) -> list[tuple[int, int]]:
    return [span for page in doc.pages for span in split_sentences(doc.text, page.start, page.end)]


def test_a_rotated_page_is_read_as_shown(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.add_page()
    lines = wrapped_lines(pdf, " ".join(STAFF), 150)
    with pdf.rotation(90, x=105, y=148):  # landscape text on a portrait page, shown turned by /Rotate
        for number, line in enumerate(lines):
            pdf.text(30, 100 + 5 * number, line)
    save(pdf, tmp_path / "upright.pdf")
    writer = PdfWriter(clone_from=tmp_path / "upright.pdf")
    writer.pages[0].rotate(90)
    writer.write(tmp_path / "rotated.pdf")
    assert load_file(tmp_path / "rotated.pdf", "rotated.pdf").text == " ".join(STAFF)


# --- encryption and broken files --------------------------------------------------------------


@pytest.mark.parametrize("method", [EncryptionMethod.RC4, EncryptionMethod.AES_128, EncryptionMethod.AES_256])
def test_a_pdf_encrypted_with_an_empty_user_password_opens(tmp_path: Path, method: EncryptionMethod) -> None:
    pdf = new_pdf()
    pdf.set_encryption(owner_password="owner-secret", user_password="", encryption_method=method)
    pdf.add_page()
    pdf.multi_cell(100, 5, " ".join(STAFF))
    doc = load_file(save(pdf, tmp_path / "protected.pdf"), "protected.pdf")
    assert doc.text == " ".join(STAFF)


def test_a_pdf_that_needs_a_password_is_refused_saying_so(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.set_encryption(owner_password="owner", user_password="secret", encryption_method=EncryptionMethod.AES_256)
    pdf.add_page()
    pdf.cell(0, 5, "Locked text.")
    path = save(pdf, tmp_path / "locked.pdf")
    with pytest.raises(LoadError, match=r"locked\.pdf: password-protected PDF: it opens only with its password"):
        load_file(path, "locked.pdf")


def test_a_broken_pdf_is_refused_with_what_is_wrong_with_it(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.add_page()
    pdf.cell(0, 5, "Some text.")
    data = bytes(pdf.output())
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 3])
    (tmp_path / "fake.pdf").write_bytes(b"<html>not a pdf</html>")
    with pytest.raises(LoadError, match=r"cut\.pdf: not a valid PDF \(damaged or truncated"):
        load_file(tmp_path / "cut.pdf", "cut.pdf")
    with pytest.raises(LoadError, match=r"fake\.pdf: not a valid PDF \(no %PDF header: the file is not a PDF\)"):
        load_file(tmp_path / "fake.pdf", "fake.pdf")


def test_pdfs_load_the_same_from_several_threads_at_once(tmp_path: Path) -> None:
    paths = [two_column_pdf(tmp_path / f"c{i}.pdf", interleaved=bool(i % 2)) for i in range(4)]
    expected = [load_file(path, path.name).text for path in paths]
    results: dict[int, str] = {}

    def load(index: int) -> None:
        for _ in range(5):
            results[index] = load_file(paths[index], paths[index].name).text

    threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i] for i in range(4)] == expected
