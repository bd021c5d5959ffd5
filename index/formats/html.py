"""HTML (.html, .htm) -> visible text and title: no script, style, template or hidden elements.

What a reader would see on the page is kept, one line per block (a single <br> inside a
paragraph wraps its line, so it becomes a space; two in a row end the line); anything a browser
would not show (scripts, styles, `hidden`, `aria-hidden`, `display:none`, hidden inputs)
is dropped, so it can neither be retrieved nor quoted.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

from index.formats.base import Parsed

_SPACES = re.compile(r"\s+")
_DROPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main nav ol p "
    "pre section summary table tbody tfoot thead tr ul".split()
)


def load_html(path: Path) -> Parsed:
    """Read an HTML file's visible text and title."""
    title, text = parse_html(path.read_bytes())
    return Parsed(text, title=title)


def parse_html(data: bytes) -> tuple[str | None, str]:
    """Return the page's title (the <title>, else the first <h1>; None if neither) and visible text."""
    soup = BeautifulSoup(data, "lxml")
    return _html_title(soup), visible_text(soup)


def visible_text(root: Tag) -> str:
    """Render the visible text of `root`: one line per block, inline tags kept in the line."""
    pieces: list[str] = []
    stack: list[tuple[PageElement | None, bool]] = [(root, False)]
    while stack:  # iterative, so deeply nested pages cannot exhaust the recursion limit
        node, in_pre = stack.pop()
        if node is None:
            pieces.append("\n")
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            pieces.append(str(node) if in_pre else _SPACES.sub(" ", str(node)))
        elif isinstance(node, Tag) and not _is_invisible(node):
            if node.name == "tr":
                pieces.append(f"\n{_row_text(node)}\n")
                continue
            if node.name == "br":  # one <br> wraps a line of the paragraph; two end it
                pieces.append("\n" if in_pre or _is_double_break(node) else " ")
                continue
            in_pre = in_pre or node.name == "pre"
            if node.name in _BLOCK_TAGS:
                pieces.append("\n")
                stack.append((None, in_pre))
            stack.extend((child, in_pre) for child in reversed(node.contents))
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def _is_double_break(br: Tag) -> bool:
    """Whether another <br> comes right before or after `br` (whitespace and comments aside)."""
    return _beside_break(br, "previous_sibling") or _beside_break(br, "next_sibling")


def _beside_break(br: Tag, direction: str) -> bool:
    sibling = getattr(br, direction)
    while isinstance(sibling, PreformattedString) or (isinstance(sibling, NavigableString) and not sibling.strip()):
        sibling = getattr(sibling, direction)
    return isinstance(sibling, Tag) and sibling.name == "br"


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return " ".join(value) if isinstance(value, list) else str(value or "")


def _is_invisible(tag: Tag) -> bool:
    style = _SPACES.sub("", _attr(tag, "style")).lower()
    return (
        tag.name in _DROPPED_TAGS
        or tag.has_attr("hidden")
        or _attr(tag, "aria-hidden").strip().lower() == "true"
        or (tag.name == "input" and _attr(tag, "type").strip().lower() == "hidden")
        or "display:none" in style
        or "visibility:hidden" in style
    )


def _row_text(row: Tag) -> str:
    cells = row.find_all(["td", "th"], recursive=False)
    texts = (" ".join(visible_text(cell).split()) for cell in cells if not _is_invisible(cell))
    return " | ".join(text for text in texts if text)


def _html_title(soup: BeautifulSoup) -> str | None:
    titles = (tag for tag in soup.find_all("title") if tag.find_parent("svg") is None)
    for tag in [next(titles, None), soup.find("h1")]:
        text = " ".join(tag.get_text().split()) if isinstance(tag, Tag) else ""
        if text:
            return text
    return None
