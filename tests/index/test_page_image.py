"""A PDF page rendered as an image with the quoted sentence's area highlighted."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from index.pdf.page_image import find_quote, render_page
from index.pdf.pdfium import PdfError

FIRST = "The harbour master opens the north gate at dawn."
SECOND = "Fishing boats must return before the evening tide turns."


def two_page_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Page one text about nothing in particular.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Harbour rules.")
    pdf.set_y(150)  # lower half of the page
    pdf.multi_cell(0, 8, f"{FIRST} {SECOND}")
    pdf.output(str(path))
    return path


def test_a_quote_is_found_across_line_breaks_hyphens_and_case() -> None:
    page = "Fishing boats must re-\nturn before the EVENING\ntide turns. Other text."
    start, end = find_quote(page, "Fishing boats must return before the evening tide turns.") or (0, 0)
    assert page[start:end] == "Fishing boats must re-\nturn before the EVENING\ntide turns"


def test_a_quote_running_on_to_the_next_page_matches_its_leading_part() -> None:
    page = "Intro. The board approved the merger in the"
    span = find_quote(page, "The board approved the merger in the fourth quarter.")
    assert span is not None and page[span[0] : span[1]] == "The board approved the merger in the"


def test_a_quote_not_on_the_page_finds_nothing() -> None:
    assert find_quote("Nothing alike here at all.", "The harbour master opens the north gate.") is None


def test_the_cited_page_is_rendered_with_the_quote_highlighted_where_it_is(tmp_path: Path) -> None:
    image = render_page(two_page_pdf(tmp_path / "rules.pdf"), 2, [SECOND], width=800)
    assert image.page_count == 2 and image.png.startswith(b"\x89PNG") and image.width == pytest.approx(800, abs=2)
    assert image.boxes, "the quote was not located"
    left, top, right, bottom = image.boxes[0]
    assert image.height * 0.45 < top < image.height * 0.75  # written at y = 150 mm of 297
    assert right > left and bottom > top
    from io import BytesIO

    from PIL import Image

    pixels = Image.open(BytesIO(image.png)).convert("RGB")
    red, green, blue = pixels.getpixel((int(left + 2), int((top + bottom) / 2)))
    assert red > 200 and green > 180 and blue < 200  # tinted yellow
    assert pixels.getpixel((5, 5)) == (255, 255, 255)  # the rest of the page is not


def test_a_page_that_does_not_exist_is_a_pdf_error(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match="2 pages"):
        render_page(two_page_pdf(tmp_path / "rules.pdf"), 3)
