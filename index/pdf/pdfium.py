"""PDF -> text as a reader sees it, with exact page spans, through PDFium (`pypdfium2`).

PDFium opens encrypted files that need no password (most "protected" filings) and reads a
250-page 10-K in about a second. This module is the only one that talks to it: it takes each
page's words with their boxes (`index.pdf.layout` puts them in reading order, `index.pdf.text`
joins them into paragraphs) and turns PDFium's failures into `PdfError`s that say what is wrong
with the file. PDFium is not thread-safe, so every call goes through one lock.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from index.pdf.layout import PageLayout, Word, read_page
from index.pdf.text import compose
from index.types import PageSpan

MAX_PDF_PAGES = 5000  # a PDF with more pages is refused: a page bomb, or no document people ask about
_LOCK = threading.Lock()  # PDFium allows one call at a time in a process, even on different documents
_WORD = re.compile(r"[^\s\ufffe]+\ufffe?|\ufffe")  # U+FFFE: PDFium's mark for a hyphen that ended a line
_CONTROLS = {code: " " for code in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: (
        "password-protected PDF: it opens only with its password (save a copy without one to index it)"
    ),
    pdfium_c.FPDF_ERR_SECURITY: "encrypted PDF with an unsupported security handler",
    pdfium_c.FPDF_ERR_PAGE: "not a valid PDF (its page tree is damaged)",
    pdfium_c.FPDF_ERR_SUCCESS: "not a valid PDF (it has no pages)",
}


class PdfError(Exception):
    """A PDF that cannot be read; str() says what is wrong with the file."""


class PdfContent(NamedTuple):
    """A PDF's metadata title ("" if none), its text and the span of each page with text."""

    title: str
    text: str
    pages: tuple[PageSpan, ...]


def count_pages(path: Path) -> int:
    """The number of pages (read from the page tree, no page is parsed).

    Raises:
        PdfError: the file cannot be opened as a PDF.
    """
    with _LOCK, _opened(path) as pdf:
        return len(pdf)


def read_pdf(path: Path) -> PdfContent:
    """Read a PDF's text, page by page, refusing page bombs before any page is parsed.

    Raises:
        PdfError: the file is not a readable PDF, needs a password or has too many pages.
    """
    with _LOCK, _opened(path) as pdf:
        count = len(pdf)
        if count > MAX_PDF_PAGES:
            raise PdfError(f"PDF has {count} pages; at most {MAX_PDF_PAGES} are read")
        pages = [_read_page(pdf, index, count) for index in range(count)]
        title = pdf.get_metadata_value("Title").strip()
    text, spans = compose(pages)
    return PdfContent(title, text, spans)


@contextmanager
def _opened(path: Path) -> Iterator[pdfium.PdfDocument]:
    """Open `path` (with the empty password, as any reader does) and close it at the end."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise PdfError(_open_error(path, exc.err_code)) from exc
    try:
        yield pdf
    finally:
        pdf.close()


def _open_error(path: Path, code: int | None) -> str:
    if code in _OPEN_ERRORS:
        return _OPEN_ERRORS[code]
    if code == pdfium_c.FPDF_ERR_FILE:
        return "cannot read file (PDFium could not open it)"
    with path.open("rb") as handle:
        has_header = b"%PDF-" in handle.read(1024)
    if not has_header:
        return "not a valid PDF (no %PDF header: the file is not a PDF)"
    return "not a valid PDF (damaged or truncated: its cross-reference table and objects cannot be read)"


def _read_page(pdf: pdfium.PdfDocument, index: int, count: int) -> PageLayout:
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise PdfError(f"not a valid PDF (page {index + 1} of {count} cannot be read)") from exc
    try:
        textpage = page.get_textpage()
        try:
            frame = _Frame(page)
            words = list(_words(textpage, frame))
        finally:
            textpage.close()
        return read_page(index + 1, words, frame.shown_height)
    except pdfium.PdfiumError as exc:
        raise PdfError(f"not a valid PDF (the text of page {index + 1} of {count} cannot be read)") from exc
    finally:
        page.close()


class _Frame:
    """Maps PDFium's boxes (page space) to the page as shown: from its lower-left corner, /Rotate applied."""

    def __init__(self, page: pdfium.PdfPage) -> None:
        self.degrees: int = page.get_rotation()
        left, bottom, right, top = (float(value) for value in page.get_bbox())
        self.x0, self.y0, self.width, self.height = left, bottom, right - left, top - bottom
        self.identity = self.degrees == 0 and self.x0 == 0 and self.y0 == 0

    @property
    def shown_height(self) -> float:
        """The height of the page as shown."""
        return self.width if self.degrees in (90, 270) else self.height

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) as shown."""
        left, right, bottom, top = left - self.x0, right - self.x0, bottom - self.y0, top - self.y0
        if self.degrees == 90:
            return bottom, self.width - right, top, self.width - left
        if self.degrees == 180:
            return self.width - right, self.height - top, self.width - left, self.height - bottom
        if self.degrees == 270:
            return self.height - top, left, self.height - bottom, right
        return left, bottom, right, top


def _page_chars(textpage: pdfium.PdfTextPage) -> str:
    """The text page's characters, one per PDFium character index (so boxes can be looked up)."""
    count = textpage.count_chars()
    text = textpage.get_text_range() if count > 0 else ""
    if len(text) != count:  # PDFium left out characters without Unicode, or a character is outside the BMP
        text = "".join(_char(pdfium_c.FPDFText_GetUnicode(textpage, index)) for index in range(count))
    return text.translate(_CONTROLS)


def _char(code: int) -> str:
    return chr(code) if 0 < code < 0xD800 or 0xE000 <= code <= 0x10FFFF else " "


def _words(textpage: pdfium.PdfTextPage, frame: _Frame) -> Iterator[Word]:
    """The page's words with their boxes (two PDFium calls per word: its first and last character)."""
    text = _page_chars(textpage)
    rect = pdfium_c.FS_RECTF()
    box, handle, ref = pdfium_c.FPDFText_GetLooseCharBox, textpage.raw, ctypes.byref(rect)
    previous = 0
    for match in _WORD.finditer(text):
        start, end = match.span()
        line_start = "\n" in text[previous:start] or text[previous - 1 : previous] == "\ufffe"
        previous = end
        box(handle, start, ref)
        left, bottom, top = rect.left, rect.bottom, rect.top
        box(handle, end - 1, ref)
        bounds = (left, min(bottom, rect.bottom), rect.right, max(top, rect.top))
        if not frame.identity:
            bounds = frame.box(*bounds)
        yield Word(match.group(), *bounds, line_start=line_start)
