"""Files and folders -> Document: plain text, Markdown, HTML, PDF (with pages) and DOCX.

`find_files` decides what to read and `load_file` reads one file, with one small loader per
format. Any parser failure becomes a `LoadError` naming the file and the reason.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag
from docx.document import Document as WordDocument
from docx.table import Table
from pypdf import PdfReader

from index.types import Document, PageSpan

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_SNIFF_BYTES = 8192
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_DROPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body br caption dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main nav ol p "
    "pre section summary table tbody tfoot thead tr ul".split()
)


class LoadError(Exception):
    """A supported file that could not be read; str() is "<path>: <reason>".

    Attributes:
        path: the path as given to the loader.
        reason: what went wrong, e.g. "encrypted PDF (a password is needed)".
    """

    def __init__(self, path: str, reason: str) -> None:
        """Record the file and the reason (both kept in `args`, so the error pickles)."""
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        """Return "<path>: <reason>"."""
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Skipped:
    """A file that is not a document we read (unknown type, binary data, outside link)."""

    path: str
    reason: str


def find_files(root: Path) -> tuple[list[Path], list[Skipped]]:
    """List the documents under `root` (recursively, sorted by name) or `root` itself if a file.

    Hidden files and folders (name starting with ".") are ignored silently. Symlinked
    folders are not followed; symlinked files resolving outside `root` are skipped.

    Args:
        root: a folder to walk, or a single file.

    Returns:
        The supported files, and a `Skipped` entry for every other file found.

    Raises:
        LoadError: if `root` does not exist.
    """
    if not root.exists():
        raise LoadError(str(root), "no such file or folder")
    entries = [_check_file(root, root)] if not root.is_dir() else list(_walk(root, root))
    found = [entry for entry in entries if isinstance(entry, Path)]
    return found, [entry for entry in entries if isinstance(entry, Skipped)]


def source_id(path: Path, root: Path) -> str:
    """Return `path` relative to `root` with forward slashes; the file name if `root` is a file.

    Raises:
        ValueError: if `path` is not inside `root`.
    """
    if root.is_file():
        return path.name
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.absolute().relative_to(root.absolute()).as_posix()


def load_file(path: Path, source: str) -> Document:
    """Load one supported file as a Document with the given `source` id.

    Raises:
        LoadError: the file type is unsupported, unreadable, binary, or fails to parse.
    """
    suffix = path.suffix.lower()
    if suffix not in _LOADERS:
        raise LoadError(str(path), _unsupported(suffix))
    label, loader = _LOADERS[suffix]
    try:
        return loader(path, source)
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    except Exception as exc:  # parsers raise anything; this is their boundary
        raise LoadError(str(path), f"not a valid {label} ({_describe(exc)})") from exc


def _walk(folder: Path, root: Path) -> Iterator[Path | Skipped]:
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError as exc:
        yield Skipped(source_id(folder, root), f"unreadable folder ({exc.strerror or exc})")
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() and child.is_symlink():
            yield Skipped(source_id(child, root), "symlinked folder not followed")
        elif child.is_dir():
            yield from _walk(child, root)
        else:
            yield _check_file(child, root)


def _check_file(path: Path, root: Path) -> Path | Skipped:
    """Return `path` if it is a document we read, else why it is skipped."""
    suffix = path.suffix.lower()
    reason = None
    if path.is_symlink() and not path.exists():
        reason = "broken symlink"
    elif path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        reason = "symlink points outside the folder"
    elif not path.is_file():
        reason = "not a regular file"
    elif suffix not in SUPPORTED_SUFFIXES:
        reason = _unsupported(suffix)
    elif suffix in _TEXT_SUFFIXES and _file_is_binary(path):
        reason = "binary data in a text file"
    return path if reason is None else Skipped(source_id(path, root), reason)


def _unsupported(suffix: str) -> str:
    return f"unsupported file type '{suffix}'" if suffix else "unsupported file type (no extension)"


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _stem_title(path: Path) -> str:
    return path.stem.replace("_", " ").strip() or path.name


def _file_is_binary(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return _is_binary(handle.read(_SNIFF_BYTES))
    except OSError:
        return False  # load_file will report the read error


def _is_binary(data: bytes) -> bool:
    return not data.startswith(_UTF16_BOMS) and b"\x00" in data[:_SNIFF_BYTES]


def _decode(data: bytes) -> str:
    """Decode text bytes: BOM first, then UTF-8, then cp1252, then latin-1 (never fails)."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", errors="replace")
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _markdown_title(text: str) -> str | None:
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _ATX_HEADING.match(line)
        if heading and heading.group(1).strip():
            return heading.group(1).strip()
    return None


def _plain_title(text: str) -> str | None:
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if first and len(first) <= 120 and not first.endswith((".", "!", "?", ":")):
        return first
    return None


def _load_text(path: Path, source: str) -> Document:
    data = path.read_bytes()
    if _is_binary(data):
        raise LoadError(str(path), "binary data (NUL bytes) in a text file")
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    is_markdown = path.suffix.lower() in _MARKDOWN_SUFFIXES
    title = _markdown_title(text) if is_markdown else _plain_title(text)
    return Document(source=source, title=title or _stem_title(path), text=text)


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


def _visible_text(root: Tag) -> str:
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
            in_pre = in_pre or node.name == "pre"
            if node.name in _BLOCK_TAGS:
                pieces.append("\n")
                stack.append((None, in_pre))
            stack.extend((child, in_pre) for child in reversed(node.contents))
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def _row_text(row: Tag) -> str:
    cells = row.find_all(["td", "th"], recursive=False)
    texts = (" ".join(_visible_text(cell).split()) for cell in cells if not _is_invisible(cell))
    return " | ".join(text for text in texts if text)


def _html_title(soup: BeautifulSoup) -> str | None:
    titles = (tag for tag in soup.find_all("title") if tag.find_parent("svg") is None)
    for tag in [next(titles, None), soup.find("h1")]:
        text = " ".join(tag.get_text().split()) if isinstance(tag, Tag) else ""
        if text:
            return text
    return None


def _load_html(path: Path, source: str) -> Document:
    soup = BeautifulSoup(path.read_bytes(), "lxml")
    title = _html_title(soup) or _stem_title(path)
    return Document(source=source, title=title, text=_visible_text(soup))


def _clean_page(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def _join_pages(pages: list[str]) -> tuple[str, tuple[PageSpan, ...]]:
    """Join page texts with blank lines; span i covers exactly page i's text."""
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    for number, page in enumerate(pages, start=1):
        if not page:
            continue
        offset += 2 if parts else 0
        spans.append(PageSpan(number=number, start=offset, end=offset + len(page)))
        parts.append(page)
        offset += len(page)
    return "\n\n".join(parts), tuple(spans)


def _open_pdf(path: Path) -> PdfReader:
    """Open a PDF, unlocking it with the empty password if it is encrypted."""
    reader = PdfReader(path)
    try:
        unlocked = not reader.is_encrypted or bool(reader.decrypt(""))
    except Exception as exc:  # e.g. AES without the optional `cryptography` package
        raise LoadError(str(path), f"encrypted PDF, cannot decrypt ({_describe(exc)})") from exc
    if not unlocked:
        raise LoadError(str(path), "encrypted PDF (a password is needed)")
    return reader


def _load_pdf(path: Path, source: str) -> Document:
    reader = _open_pdf(path)
    text, spans = _join_pages([_clean_page(page.extract_text()) for page in reader.pages])
    if not spans:
        raise LoadError(str(path), "no extractable text (scanned PDF?)")
    metadata_title = reader.metadata.title if reader.metadata else None
    title = (metadata_title or "").strip() or _stem_title(path)
    return Document(source=source, title=title, text=text, pages=spans)


def _docx_lines(document: WordDocument) -> Iterator[str]:
    """Yield the non-empty paragraphs and table rows in body order."""
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            yield from _table_lines(block)
        elif block.text.strip():
            yield block.text.strip()


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


def _load_docx(path: Path, source: str) -> Document:
    if not zipfile.is_zipfile(path):
        raise LoadError(str(path), "not a valid Word .docx file (not a zip archive)")
    document = docx.Document(str(path))
    text = "\n".join(_docx_lines(document))
    return Document(source=source, title=_docx_title(document) or _stem_title(path), text=text)


_Loader = Callable[[Path, str], Document]
_LOADERS: dict[str, tuple[str, _Loader]] = {
    ".txt": ("text file", _load_text),
    ".md": ("Markdown file", _load_text),
    ".markdown": ("Markdown file", _load_text),
    ".html": ("HTML file", _load_html),
    ".htm": ("HTML file", _load_html),
    ".pdf": ("PDF", _load_pdf),
    ".docx": ("Word .docx file", _load_docx),
}
