"""Page furniture of a PDF: running headers and footers, and page numbers, found to be left out.

Only a page's outer blocks are looked at: the lines from its top (or bottom) edge down (or up)
to the first gap wider than the gap between two lines of a paragraph, at most three lines. A
line of such a block in the top or bottom 12% of the page is a running header or footer when
the same line (numbers aside) is there on at least half of the pages. A bare page number ("12",
"Page 3 of 9", "- iv -", "F-7") is left out there, and also as the page's topmost or bottommost
line wherever that sits: documents printed from a web page put it right under the last line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from index.pdf.layout import Line, PageLayout

_MARGIN = 0.12  # running headers and footers live in the top or bottom 12% of the page
_REPEATED = 0.5  # a margin line on at least half of the pages (and two of them) is a running one
_BLOCK_LINES = 3  # a running header or footer is at most this many lines
_DIGITS = re.compile(r"\d+")
_NUMBER = r"(?:page )?(?:[a-z]{1,2}-)?(?:#|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3}))(?: (?:of|/) #)?"
_EDGE_NUMBER = re.compile(rf"^{_NUMBER}[ |·•–—-]+|[ |·•–—-]+{_NUMBER}$")
_PAGE_NUMBER = re.compile(
    r"(?:page )?(?:[a-z]{1,2}-)?(?:\d{1,3}|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3}))(?: (?:of|/) \d{1,4})?", re.IGNORECASE
)  # "12", "Page 3 of 9", "iv", "F-7": not "2022", which heads tables
_DASHED_NUMBER = re.compile(r"[-–—(\[] ?(\S+) ?[-–—)\]]")

Edges = tuple[list[Line], list[Line]]  # a page's top block and bottom block


def find_furniture(pages: Sequence[PageLayout]) -> list[set[int]]:
    """For each page, the ids of its lines that are running headers, footers or page numbers."""
    edges = [_edge_blocks(page) for page in pages]
    counts = Counter(key for page, blocks in zip(pages, edges, strict=True) for key in _margin_keys(page, blocks))
    needed = max(2, _REPEATED * sum(1 for page in pages if page.lines))
    repeated = frozenset(key for key, count in counts.items() if count >= needed)
    return [_furniture(page, blocks, repeated) for page, blocks in zip(pages, edges, strict=True)]


def _key(text: str) -> str:
    """A margin line's identity across pages: lower case, numbers as "#", no page number at either end."""
    key = _DIGITS.sub("#", " ".join(text.lower().split()))
    return _EDGE_NUMBER.sub("", key) or key


def _edge_blocks(page: PageLayout) -> Edges:
    from_top = sorted(page.lines, key=lambda line: -line.top)
    return _outer_block(from_top, page), _outer_block(from_top[::-1], page)


def _outer_block(lines: list[Line], page: PageLayout) -> list[Line]:
    """The lines from one edge of the page inwards, up to the first paragraph gap; [] if more than 3.

    Ending at a gap means that the first lines of the body, even inside the margin, are never
    taken for a running header.
    """
    gap = page.line_gap + 0.45 * page.line_height
    block = lines[:1]
    for outer, inner in zip(lines, lines[1:], strict=False):
        if max(outer.bottom - inner.top, inner.bottom - outer.top) > gap:
            break
        block.append(inner)
        if len(block) > _BLOCK_LINES:
            return []
    return block


def _in_margins(page: PageLayout, blocks: Edges) -> list[Line]:
    """The lines of the outer blocks that lie wholly in the top or bottom margin."""
    top, bottom = blocks
    found = top if all(line.bottom >= (1 - _MARGIN) * page.height for line in top) else []
    if all(line.top <= _MARGIN * page.height for line in bottom):
        found = found + [line for line in bottom if all(line is not other for other in found)]
    return found


def _margin_keys(page: PageLayout, blocks: Edges) -> set[str]:
    return {_key(line.text) for line in _in_margins(page, blocks)}


def _furniture(page: PageLayout, blocks: Edges, repeated: frozenset[str]) -> set[int]:
    margins = _in_margins(page, blocks)
    found = {id(line) for line in margins if _key(line.text) in repeated or _is_page_number(line.text)}
    if page.lines:
        outermost = (max(page.lines, key=lambda line: line.top), min(page.lines, key=lambda line: line.bottom))
        found.update(id(line) for line in outermost if _is_page_number(line.text))
    return found


def _is_page_number(text: str) -> bool:
    text = " ".join(text.split())
    dashed = _DASHED_NUMBER.fullmatch(text)
    return _PAGE_NUMBER.fullmatch(dashed.group(1) if dashed else text) is not None
