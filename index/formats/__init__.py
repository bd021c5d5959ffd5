"""The file formats we read, defined once: what each is called, its suffixes and its loader.

`FORMATS` is the one list. What `index.discovery` picks up (`SUPPORTED_SUFFIXES`), the UI's upload
types and the docs' lists of formats follow from it (a test checks them). `load_file`
reads one file with its format's loader, and any failure becomes a `LoadError` naming the file and
the reason. Adding a format is a module here with a `Path -> Parsed` loader, and an entry in
`FORMATS` (an Office zip format checks its container with `index.formats.office` first). Time and
memory limits are `index.parsing`'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.formats.base import InvalidFile, Loader, LoadError, Parsed
from index.formats.docx import load_docx
from index.formats.html import load_html
from index.formats.markdown import load_markdown
from index.formats.pdf import load_pdf
from index.formats.text import binary_reason, load_text
from index.types import Document

__all__ = [
    "FORMATS",
    "SUPPORTED_SUFFIXES",
    "Format",
    "InvalidFile",
    "LoadError",
    "Loader",
    "Parsed",
    "format_of",
    "load_file",
    "unsupported_reason",
]


@dataclass(frozen=True)
class Format:
    """One file format we read.

    Attributes:
        name: what the docs call it ("Markdown", "Word").
        label: what an error calls a file of it: "not a valid <label> (...)".
        suffixes: lower case, with the dot; a file's suffix is matched in any case.
        load: reads a file; raises `LoadError` with its own reason, or anything else (then named with `label`).
        skip_reason: a cheap look at a file during discovery: why it is no document of this format, or None.
    """

    name: str
    label: str
    suffixes: tuple[str, ...]
    load: Loader
    skip_reason: Callable[[Path], str | None] | None = None


FORMATS: tuple[Format, ...] = (
    Format("text", "text file", (".txt",), load_text, binary_reason),
    Format("Markdown", "Markdown file", (".md", ".markdown"), load_markdown, binary_reason),
    Format("HTML", "HTML file", (".html", ".htm"), load_html),
    Format("PDF", "PDF", (".pdf",), load_pdf),
    Format("Word", "Word .docx file", (".docx",), load_docx),
)
_BY_SUFFIX = {suffix: file_format for file_format in FORMATS for suffix in file_format.suffixes}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_BY_SUFFIX)


def format_of(path: Path) -> Format | None:
    """The format `path`'s suffix names (in any case), or None if we do not read it."""
    return _BY_SUFFIX.get(path.suffix.lower())


def unsupported_reason(path: Path) -> str:
    """Why a file whose suffix names no format is not read: "unsupported file type '.png'"."""
    suffix = path.suffix.lower()
    return f"unsupported file type '{suffix}'" if suffix else "unsupported file type (no extension)"


def load_file(path: Path, source: str) -> Document:
    """Load one supported file as a Document with the given `source` id.

    A document without a title of its own is titled by its file name ("fruit_notes.pdf" -> "fruit notes").

    Raises:
        LoadError: the file type is unsupported, unreadable, binary, or fails to parse.
    """
    file_format = format_of(path)
    if file_format is None:
        raise LoadError(str(path), unsupported_reason(path))
    try:
        parsed = file_format.load(path)
    except (LoadError, MemoryError):  # a MemoryError is the caller's to report (see index.parsing)
        raise
    except InvalidFile as exc:
        raise LoadError(str(path), f"not a valid {file_format.label} ({exc})") from exc
    except OSError as exc:
        raise LoadError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    except Exception as exc:  # parsers raise anything; this is their boundary
        raise LoadError(str(path), f"not a valid {file_format.label} ({_describe(exc)})") from exc
    title = parsed.title or path.stem.replace("_", " ").strip() or path.name
    return Document(source=source, title=title, text=parsed.text, pages=parsed.pages)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
