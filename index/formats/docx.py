"""Word (.docx) through python-docx: paragraphs and table rows in body order, after the Office zip check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.table import Table

from index.formats.base import Parsed
from index.formats.office import check_container


def load_docx(path: Path) -> Parsed:
    """Read a .docx; its title is the core properties' title, else the first heading."""
    check_container(path)
    document = docx.Document(str(path))
    return Parsed("\n".join(_docx_lines(document)), title=_docx_title(document))


def _docx_lines(document: WordDocument) -> Iterator[str]:
    """Yield the non-empty paragraphs (a soft line break in one is a space) and table rows in body order."""
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            yield from _table_lines(block)
        elif block.text.strip():
            yield " ".join(block.text.split())


def _table_lines(table: Table) -> Iterator[str]:
    """Yield one line per non-empty row, its cells joined with " | "."""
    for row in table.rows:
        grid = row.cells  # a merged cell repeats once per grid column it spans
        cells = [cell for i, cell in enumerate(grid) if i == 0 or cell is not grid[i - 1]]
        texts = [" ".join(cell.text.split()) for cell in cells]
        if any(texts):
            yield " | ".join(text for text in texts if text)


def _docx_title(document: WordDocument) -> str | None:
    title = str(document.core_properties.title or "").strip()
    if title:
        return title
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else None
        if style and style.startswith(("Heading", "Title")) and paragraph.text.strip():
            return paragraph.text.strip()
    return None
