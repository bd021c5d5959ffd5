"""Markdown (.md, .markdown): read as text (`index.formats.text`), titled by its first ATX heading."""

from __future__ import annotations

import re
from pathlib import Path

from index.formats.base import Parsed
from index.formats.text import read_text

_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def load_markdown(path: Path) -> Parsed:
    """Read a Markdown file; its text keeps the markup as written."""
    text = read_text(path)
    return Parsed(text, title=_markdown_title(text))


def _markdown_title(text: str) -> str | None:
    """The first "# heading" outside a fenced code block, or None."""
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _ATX_HEADING.match(line)
        if heading and heading.group(1).strip():
            return heading.group(1).strip()
    return None
