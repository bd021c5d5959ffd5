"""Sample files that tests write (imported as `samples`: tests/ is on the path through its conftest)."""

from __future__ import annotations

from pathlib import Path


def write_pdf(path: Path, text: str) -> Path:
    """A one-page PDF of `text` (fpdf2), for loader and ingest tests."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path
