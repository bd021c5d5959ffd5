"""Positioned words of one PDF page -> its lines in reading order (pure geometry, no PDF library).

PDFium gives words in content-stream order with their boxes. Here they are grouped into
segments (runs of words on one line with no wide gap), the page is cut into regions the way
a reader reads it (recursive XY-cut: bands at wide vertical gaps, columns at vertical gutters
with running text on both sides, so tables are never read column by column), and every region
is read row by row. Coordinates are PDF points with y growing upwards, as on the page as shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from statistics import median
from typing import NamedTuple

CELL_GAP = 1.0  # a gap wider than this many line heights separates table cells or columns
_BAND_GAP = 0.45  # line heights beyond the usual line gap that start a new band (a paragraph gap)
_MIN_COLUMN_HEIGHTS = 8.0  # a text column is at least this many line heights wide
_MIN_LETTERS = 0.6  # share of letters in a column of running text (tables of figures have fewer)
_FULL_LINE = 0.25  # a line ending within this share of its column's width of the right edge is full
_LIST_MARKER = re.compile(r"[^\w\s]|o|\(?(?:\d{1,3}|[a-zA-Z]|[ivx]{1,4})[.)]|\d{1,3}(?:\.\d{1,3})+\.?")  # •, 1., (a)
_MIN_GAPS = 4  # a page with fewer gaps between its lines (a title page) has no usual gap to measure
_MAX_GUTTERS = 6  # the widest gutters tried per band: a wide table has many, none of them between columns of text


class Word(NamedTuple):
    """A word with its box; `line_start`: PDFium began a new line with it."""

    text: str
    left: float
    bottom: float
    right: float
    top: float
    line_start: bool = False


class Segment(NamedTuple):
    """Words on one line with no wide gap between them: a line of a column, or one table cell."""

    text: str
    left: float
    bottom: float
    right: float
    top: float
    letters: int  # how many of its characters are letters (running text has mostly letters)
    size: float  # its words' median height: the font's loose box, about 1.2 times the font size

    @property
    def height(self) -> float:
        """Its extent from bottom to top (taller than `size` with a raised footnote mark)."""
        return self.top - self.bottom


class Line(NamedTuple):
    """One row of a region as read: its segments joined by a space, with their box.

    `size` is the line height of its font, `cells` the number of segments (more than one: a table
    row), `widest_gap` the widest gap between them, `tail_left` where the last one starts, and
    `column_left`/`column_right` the edges of the region it was read in.
    """

    text: str
    left: float
    bottom: float
    right: float
    top: float
    size: float  # the line height of its font (its longest segment's)
    cells: int
    widest_gap: float
    tail_left: float  # where its last cell starts
    column_left: float
    column_right: float


class PageLayout(NamedTuple):
    """A page's lines in reading order, its height and its usual spacing (for paragraph breaks)."""

    number: int
    height: float
    lines: list[Line]
    line_gap: float  # the usual vertical gap between two lines of a paragraph
    line_height: float  # the usual line height


def read_page(number: int, words: Iterable[Word], height: float) -> PageLayout:
    """Lay out one page: its words -> lines in reading order, with the page's usual spacing."""
    segments = split_segments(words)
    if not segments:
        return PageLayout(number, height, [], 0.0, 0.0)
    line_height = median(s.size for s in segments)
    line_gap = _usual_gap(_rows(segments), line_height)
    lines: list[Line] = []
    for region, (left, right) in _regions(segments, line_gap + _BAND_GAP * line_height, line_height):
        lines.extend(_line(row, left, right) for row in _rows(region))
    return PageLayout(number, height, lines, line_gap, line_height)


def split_segments(words: Iterable[Word]) -> list[Segment]:
    """Group consecutive words into segments, breaking at PDFium's line breaks and at wide gaps."""
    segments: list[Segment] = []
    run: list[Word] = []
    for word in words:
        if run and _breaks(run[-1], word):
            segments.append(_segment(run))
            run = []
        run.append(word)
    if run:
        segments.append(_segment(run))
    return segments


def _breaks(previous: Word, word: Word) -> bool:
    """Whether `word` starts a new segment after `previous`."""
    if word.line_start:
        return True
    sizes = (previous.top - previous.bottom, word.top - word.bottom)
    overlap = min(previous.top, word.top) - max(previous.bottom, word.bottom)
    if overlap < 0.5 * min(sizes):  # not on the same line
        return True
    gap = word.left - previous.right
    return gap > CELL_GAP * max(sizes) or gap < -max(sizes)  # a cell or column gap, or a jump back to the left


def _segment(words: Sequence[Word]) -> Segment:
    text = " ".join(word.text for word in words)
    bottom, top = min(w.bottom for w in words), max(w.top for w in words)
    letters = sum(map(str.isalpha, text))
    size = median(w.top - w.bottom for w in words)  # neither a raised footnote mark nor a symbol font
    return Segment(text, words[0].left, bottom, max(w.right for w in words), top, letters, size)


def _rows(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Group segments into rows (top to bottom), each sorted left to right."""
    ordered = sorted(segments, key=lambda s: -(s.top + s.bottom))
    rows: list[list[Segment]] = []
    anchor = ordered[0]
    for segment in ordered:
        overlap = min(anchor.top, segment.top) - max(anchor.bottom, segment.bottom)
        if rows and overlap >= 0.5 * min(anchor.height, segment.height):
            rows[-1].append(segment)
        else:
            rows.append([segment])
            anchor = segment
    return [sorted(row, key=lambda s: s.left) for row in rows]


def _usual_gap(rows: Sequence[Sequence[Segment]], line_height: float) -> float:
    """The median vertical gap between consecutive rows (0.2 line heights if there are too few to tell)."""
    gaps = []
    for upper, lower in zip(rows, rows[1:], strict=False):
        gap = min(s.bottom for s in upper) - max(s.top for s in lower)
        if -0.5 * line_height < gap < 2 * line_height:
            gaps.append(gap)
    return median(gaps) if len(gaps) >= _MIN_GAPS else 0.2 * line_height


Region = tuple[list[Segment], tuple[float, float]]  # segments, and the left and right edges of their column


def _regions(segments: list[Segment], band_gap: float, line_height: float) -> list[Region]:
    """Cut the segments into regions in reading order: bands top to bottom, columns left to right.

    Each region comes with the edges of the column it lies in (the whole text width if there
    are no columns), against which a line is full or stops short.
    """
    edges = (min(s.left for s in segments), max(s.right for s in segments))
    regions: list[Region] = []
    for band in _bands(segments, band_gap):
        columns = _columns(band, line_height)
        if columns is None:
            regions.append((band, edges))
        else:
            regions.extend(_regions(columns[0], band_gap, line_height))
            regions.extend(_regions(columns[1], band_gap, line_height))
    return regions


def _bands(segments: list[Segment], band_gap: float) -> list[list[Segment]]:
    """Split at vertical gaps wider than `band_gap` that run across the whole region."""
    ordered = sorted(segments, key=lambda s: -s.top)
    bands: list[list[Segment]] = [[ordered[0]]]
    low = ordered[0].bottom
    for segment in ordered[1:]:
        if low - segment.top > band_gap:
            bands.append([])
        bands[-1].append(segment)
        low = min(low, segment.bottom) if len(bands[-1]) > 1 else segment.bottom
    return bands


def _columns(
    band: list[Segment], line_height: float, nested: bool = True
) -> tuple[list[Segment], list[Segment]] | None:
    """Split `band` at a vertical gutter with running text on both sides, or None.

    With `nested`, a side may itself be columns of running text (one level deep, so a wide
    table's many gutters cost a few tries each, never a search through every combination).
    """
    if len(band) < 4:
        return None
    for start, end in _gutters(band, line_height):
        left = [s for s in band if s.right <= start]
        right = [s for s in band if s.left >= end]
        if _is_running_text(left, line_height, nested) and _is_running_text(right, line_height, nested):
            return left, right
    return None


def _gutters(band: list[Segment], line_height: float) -> list[tuple[float, float]]:
    """The x ranges no segment of `band` crosses, widest first."""
    spans = sorted((s.left, s.right) for s in band)
    gutters: list[tuple[float, float]] = []
    reach = spans[0][1]
    for left, right in spans[1:]:
        if left - reach > CELL_GAP * line_height:
            gutters.append((reach, left))
        reach = max(reach, right)
    return sorted(gutters, key=lambda gutter: gutter[0] - gutter[1])[:_MAX_GUTTERS]


def _is_running_text(segments: list[Segment], line_height: float, nested: bool) -> bool:
    """Whether `segments` read as a column of prose (or, if `nested`, as columns of prose), not as table cells."""
    if len(segments) < 2:
        return False
    left, right = min(s.left for s in segments), max(s.right for s in segments)
    if right - left < _MIN_COLUMN_HEIGHTS * line_height:
        return False
    characters = sum(len(s.text) - s.text.count(" ") for s in segments)
    if sum(s.letters for s in segments) < _MIN_LETTERS * characters:
        return False
    rows = _rows(segments)
    if sum(len(row) > 1 for row in rows) > 0.3 * len(rows):  # cells side by side: more columns, or a table
        return nested and _columns(segments, line_height, nested=False) is not None
    full = sum(row[-1].right >= right - _FULL_LINE * (right - left) for row in rows[:-1])
    return len(rows) >= 2 and full >= 0.5 * (len(rows) - 1)


def _line(row: list[Segment], column_left: float, column_right: float) -> Line:
    gaps = [b.left - a.right for a, b in zip(row, row[1:], strict=False)]
    if gaps and _LIST_MARKER.fullmatch(row[0].text) and row[1].text[:1].isalpha():  # "•" or "1.3" set apart
        gaps = gaps[1:]
    return Line(
        text=" ".join(s.text for s in row),
        left=row[0].left,
        bottom=min(s.bottom for s in row),
        right=max(s.right for s in row),
        top=max(s.top for s in row),
        size=max(row, key=lambda s: len(s.text)).size,
        cells=len(gaps) + 1,
        widest_gap=max(gaps, default=0.0),
        tail_left=row[-1].left,
        column_left=column_left,
        column_right=column_right,
    )
