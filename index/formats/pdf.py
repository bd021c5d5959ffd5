"""PDF (.pdf): text with exact page spans, read by `index.pdf` (PDFium)."""

from __future__ import annotations

from pathlib import Path

from index.formats.base import LoadError, Parsed
from index.pdf import PdfError, read_pdf


def load_pdf(path: Path) -> Parsed:
    """Read a PDF's pages; its title is the metadata title, if any.

    Raises:
        LoadError: the PDF cannot be read (`index.pdf` says why), or has no text (a scan).
    """
    try:
        content = read_pdf(path)
    except PdfError as exc:
        raise LoadError(str(path), str(exc)) from exc
    if not content.pages:
        raise LoadError(str(path), "no extractable text (scanned PDF?)")
    return Parsed(content.text, title=content.title or None, pages=content.pages)
