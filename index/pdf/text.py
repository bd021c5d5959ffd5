"""Laid-out PDF pages -> one text with exact page spans, as a reader sees it (pure, no PDF library).

The lines of a paragraph are joined by a space, a word hyphenated at a line end is joined again
(see `index.pdf.hyphens`), a table row stays one line, paragraphs are separated by a blank line, and
page furniture (running headers and footers, page numbers: see `index.pdf.furniture`) is left out.
The text is built once, so every offset points into the final text; pages are joined by blank
lines and span i covers exactly page i.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.pdf.furniture import find_furniture
from index.pdf.hyphens import HyphenPair, Hyphens, hyphen_pair
from index.pdf.layout import Line, PageLayout
from index.types import PageSpan

_SIZE_CHANGE = 0.2  # a line with a font this much larger or smaller than the one before starts a paragraph
_TABLE_GAP = 2.0  # a gap of this many line heights between cells makes a line a table row
_LIST_ITEM = re.compile(r"(?:[•◦▪▫●○■□‣⁃∙·*–—-]|\(?(?:\d{1,3}|[a-zA-Z]|[ivx]{1,4})[.)]|\d{1,3}(?:\.\d{1,3})+)\s")


def compose(pages: Sequence[PageLayout]) -> tuple[str, tuple[PageSpan, ...]]:
    """Join the pages' lines into one text; span i covers exactly page i's text."""
    furniture = find_furniture(pages)
    kept = [[line for line in page.lines if id(line) not in out] for page, out in zip(pages, furniture, strict=True)]
    hyphens = Hyphens(_hyphen_pairs(kept), (line.text for lines in kept for line in lines))
    texts = [_page_text(lines, page, hyphens) for lines, page in zip(kept, pages, strict=True)]
    return join_pages(texts)


def join_pages(pages: Sequence[str]) -> tuple[str, tuple[PageSpan, ...]]:
    """Join page texts, skipping empty pages; span i covers exactly page i's text.

    Pages are joined by a blank line, except where a sentence runs on from one page to the next
    (see `runs_on`): there a space joins them, so the sentence reads as one line of text.
    """
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    for number, page in enumerate(pages, start=1):
        if not page:
            continue
        if parts:
            separator = " " if runs_on(parts[-1], page) else "\n\n"
            parts.append(separator)
            offset += len(separator)
        spans.append(PageSpan(number=number, start=offset, end=offset + len(page)))
        parts.append(page)
        offset += len(page)
    return "".join(parts), tuple(spans)


def runs_on(before: str, after: str) -> bool:
    """Whether the text `after` (a new page) goes on with the sentence that ends `before`.

    It does when `before` stops on a word or a comma, with no sentence or line end, and `after`
    opens in lower case: "...fell sharply in" / "the fourth quarter."
    """
    last, first = before.rstrip()[-1:], after.lstrip()[:1]
    return (last.isalnum() or last == ",") and first.islower()


def _separator(upper: Line, lower: Line, page: PageLayout) -> str:
    """What goes between two consecutive lines: " " (same paragraph), "\\n" (within a table) or "\\n\\n"."""
    upper_row, lower_row = _is_table_row(upper), _is_table_row(lower)
    if upper_row and lower_row:  # rows stay together, however far apart their cells' padding sets them
        return "\n"
    if _is_set_apart(upper, lower, page):
        return "\n\n"
    if upper_row:  # the last cell wrapped onto the next line, or a line under the table
        wrapped = _goes_on(upper, lower) and abs(lower.left - upper.tail_left) <= lower.size
        return " " if wrapped else "\n"
    if lower_row:  # a row's label wrapped over two lines, or a line over the table
        return " " if _goes_on(upper, lower) else "\n"
    if _goes_on(upper, lower):
        return " "
    return "\n\n" if _is_indented(upper, lower) or not _is_full(upper, lower) else " "


def _is_table_row(line: Line) -> bool:
    return line.cells > 1 and line.widest_gap >= _TABLE_GAP * line.size


def _is_set_apart(upper: Line, lower: Line, page: PageLayout) -> bool:
    """Whether `lower` is set apart from `upper`: by a wider gap, another font size, or as a list item."""
    size = max(upper.size, lower.size, 1e-3)
    new_column = lower.top > upper.top  # read on at the top of the next column: no gap to measure
    if not new_column and upper.bottom - lower.top > page.line_gap + 0.45 * size:
        return True
    return abs(upper.size - lower.size) > _SIZE_CHANGE * size or _LIST_ITEM.match(lower.text) is not None


def _is_indented(upper: Line, lower: Line) -> bool:
    """Whether `lower` starts further right than `upper` (a first-line indent), unless `upper` is a list item."""
    indent = (lower.left - lower.column_left) - (upper.left - upper.column_left)
    return indent > max(upper.size, lower.size) and not _LIST_ITEM.match(upper.text)


def _goes_on(upper: Line, lower: Line) -> bool:
    """Whether `upper` ends in a hyphenated word, or stops mid-sentence and `lower` goes on in lower case."""
    if hyphen_pair(upper.text, lower.text) is not None:
        return True
    return lower.text[:1].islower() and not _ends_sentence(upper.text)


def _ends_sentence(text: str) -> bool:
    return text.rstrip("\"”’')]")[-1:] in (".", "!", "?", ":", ";")


def _is_full(upper: Line, lower: Line) -> bool:
    """Whether `lower`'s first word would not have fitted after `upper` (a paragraph's last line stops short)."""
    first_word = lower.text.split(" ", 1)[0]
    char_width = (lower.right - lower.left) / max(len(lower.text) - lower.text.count(" ") / 2, 1)  # a space: half
    return upper.right + (len(first_word) + 0.5) * char_width >= upper.column_right - char_width


def _hyphen_pairs(pages: Sequence[Sequence[Line]]) -> list[HyphenPair]:
    """The hyphenated word halves at every line end, for `Hyphens`."""
    pairs = []
    for lines in pages:
        for upper, lower in zip(lines, lines[1:], strict=False):
            pair = hyphen_pair(upper.text, lower.text)
            if pair is not None:
                pairs.append(pair)
    return pairs


def _page_text(lines: Sequence[Line], page: PageLayout, hyphens: Hyphens) -> str:
    parts: list[str] = []
    for index, line in enumerate(lines):
        text = line.text
        if index + 1 < len(lines):
            lower = lines[index + 1]
            separator = _separator(line, lower, page)
            pair = hyphen_pair(text, lower.text) if separator == " " else None
            if pair is not None:
                text, separator = text[:-1] + hyphens.joint(*pair), ""
            parts.extend((text, separator))
        else:
            parts.append(text)
    return "".join(parts).replace("\ufffe", "-").replace("\xad", "")
