"""One PDF page as a PNG, with the area of a quoted sentence highlighted (PDFium through `pypdfium2`).

The quote is found in the page's own characters, comparing letters and digits only (case-folded,
NFKC), so the text as indexed (paragraphs joined, hyphenated words rejoined) still matches the
page's lines. A sentence that runs on to the next page matches with its longest leading part on
this one. Its boxes are PDFium's text rectangles (one per line of the quote), mapped to the page as
shown (crop box, /Rotate) and scaled to the image. Rendering happens only when a citation is opened.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from index.pdf.pdfium import _LOCK, PdfError, _Frame, _opened, _page_chars

MAX_PIXELS = 20_000_000  # a page of absurd proportions is rendered smaller rather than filling memory
MIN_MATCH = 12  # letters and digits: a shorter leading part of a quote is too likely to match by chance
HIGHLIGHT_FILL = (255, 208, 0, 96)
HIGHLIGHT_EDGE = (191, 120, 0, 255)

Box = tuple[float, float, float, float]  # left, top, right, bottom in image pixels


@dataclass(frozen=True)
class PageImage:
    """A rendered page: PNG bytes, its size in pixels and the highlighted boxes (empty: quote not found)."""

    png: bytes
    width: int
    height: int
    boxes: tuple[Box, ...]
    page_count: int


def normalized(text: str) -> tuple[str, list[int]]:
    """The case-folded letters and digits of `text`, with each one's index in `text`."""
    letters: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKC", char).casefold():
            if part.isalnum():
                letters.append(part)
                where.append(index)
    return "".join(letters), where


def find_quote(page_text: str, quote: str) -> tuple[int, int] | None:
    """The character span of `quote` (or of its longest leading part) in `page_text`, or None."""
    haystack, where = normalized(page_text)
    needle, _ = normalized(quote)
    if len(needle) < MIN_MATCH:
        found = haystack.find(needle) if needle else -1
        return (where[found], where[found + len(needle) - 1] + 1) if found >= 0 else None
    low, high = MIN_MATCH - 1, len(needle)  # the longest matching prefix: prefixes of a match match too
    while low < high:
        middle = (low + high + 1) // 2
        if needle[:middle] in haystack:
            low = middle
        else:
            high = middle - 1
    if low < MIN_MATCH:
        return None
    found = haystack.find(needle[:low])
    return where[found], where[found + low - 1] + 1


def render_page(path: Path, page_number: int, quotes: Sequence[str] = (), width: int = 1000) -> PageImage:
    """Render page `page_number` (1-based) about `width` pixels wide, highlighting the `quotes` found on it.

    Raises:
        PdfError: the file cannot be opened, or it has no such page.
    """
    with _LOCK, _opened(path) as pdf:
        count = len(pdf)
        if not 1 <= page_number <= count:
            raise PdfError(f"the PDF has {count} pages, not a page {page_number}")
        page = pdf[page_number - 1]
        try:
            frame = _Frame(page)
            shown_width = frame.height if frame.degrees in (90, 270) else frame.width
            scale = min(3.0, max(0.5, width / max(shown_width, 1.0)))
            scale = min(scale, (MAX_PIXELS / max(frame.width * frame.height, 1.0)) ** 0.5)
            boxes = _quote_boxes(page, frame, quotes, scale) if quotes else []
            image = page.render(scale=scale).to_pil().convert("RGB")
        except pdfium.PdfiumError as exc:
            raise PdfError(f"page {page_number} cannot be rendered") from exc
        finally:
            page.close()
    _highlight(image, boxes)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return PageImage(out.getvalue(), image.width, image.height, tuple(boxes), count)


def _quote_boxes(page: pdfium.PdfPage, frame: _Frame, quotes: Sequence[str], scale: float) -> list[Box]:
    textpage = page.get_textpage()
    try:
        chars = _page_chars(textpage)
        boxes = []
        for span in filter(None, (find_quote(chars, quote) for quote in quotes)):
            start, end = span
            for index in range(textpage.count_rects(start, end - start)):
                left, bottom, right, top = frame.box(*textpage.get_rect(index))
                height = frame.shown_height
                boxes.append((left * scale, (height - top) * scale, right * scale, (height - bottom) * scale))
        return boxes
    finally:
        textpage.close()


def _highlight(image: Image.Image, boxes: list[Box]) -> None:
    """Tint the boxes (a little padded) yellow, with an amber edge, as a highlighter would."""
    if not boxes:
        return
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, top, right, bottom in boxes:
        pad = max(1.0, (bottom - top) * 0.15)
        draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill=HIGHLIGHT_FILL)
        draw.line((left - pad, bottom + pad, right + pad, bottom + pad), fill=HIGHLIGHT_EDGE, width=2)
    image.paste(Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"))


__all__ = ["PageImage", "PdfError", "find_quote", "normalized", "render_page"]
