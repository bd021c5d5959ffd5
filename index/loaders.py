"""Files and folders -> Document: plain text, Markdown, HTML, PDF (with pages) and DOCX.

`find_files` decides what to read and `load_file` reads one file, with one small loader per
format. Any parser failure becomes a `LoadError` naming the file and the reason. Hostile
files end in a stated reason too: symlink loops, pipes and empty files are skipped; zip
bombs and PDFs with too many pages are refused before the parser unpacks them. Time and
memory limits are `index.parsing`'s job.
"""

from __future__ import annotations

import codecs
import errno
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.table import Table

from index.html import parse_html
from index.pdf import PdfError, read_pdf
from index.types import Document

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_SNIFF_BYTES = 8192
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_TITLE_LINES = 50  # a plain-text title is looked for in the first lines only
MAX_DOCX_UNPACKED_MB = 200  # what a .docx's parts may declare in total, uncompressed
MAX_DOCX_PARTS = 10_000
_ZIP_RATIO = 100  # a part over _ZIP_RATIO_FLOOR_MB packed tighter than this is a zip bomb
_ZIP_RATIO_FLOOR_MB = 10
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


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
    folders are not followed; symlinked files resolving outside `root`, broken or looping
    symlinks, pipes and other non-regular files, and empty files in a folder are skipped.

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
    except ValueError:  # one of them relative, with "..", or through a symlinked folder
        resolved_root = root.resolve()
        return (path.parent.resolve() / path.name).relative_to(resolved_root).as_posix()  # the file itself unresolved


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
    except (LoadError, MemoryError):  # a MemoryError is the caller's to report (see index.parsing)
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
    reason = _symlink_problem(path, root) if path.is_symlink() else None
    if reason is None and not path.is_file():
        reason = _not_regular(path)
    elif reason is None and suffix not in SUPPORTED_SUFFIXES:
        reason = _unsupported(suffix)
    elif reason is None and path != root and path.stat().st_size == 0:  # a single file: see Syncer
        reason = "empty file"
    elif reason is None and suffix in _TEXT_SUFFIXES and _file_is_binary(path):
        reason = "binary data in a text file"
    return path if reason is None else Skipped(source_id(path, root), reason)


def _symlink_problem(path: Path, root: Path) -> str | None:
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop this way
        return "symlink loop"
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
    return None if target.is_relative_to(root.resolve()) else "symlink points outside the folder"


def _not_regular(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    kinds = [(stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device")]
    kind = next((name for test, name in kinds if test(mode)), "")
    return f"not a regular file ({kind})" if kind else "not a regular file"


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
    sample = data[:_SNIFF_BYTES]
    return b"\x00" in sample and not sample.startswith(_UTF16_BOMS) and _utf16_codec(sample) is None


def _utf16_codec(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for BOM-less UTF-16 of mostly Latin text, else None."""
    sample = data[: min(len(data), _SNIFF_BYTES) // 2 * 2]
    half = len(sample) // 2
    if half < 2:
        return None
    for codec, high, low in (("utf-16-le", sample[1::2], sample[0::2]), ("utf-16-be", sample[0::2], sample[1::2])):
        if high.count(0) < 0.3 * half or low.count(0) > half // 100:
            continue
        text = sample.decode(codec, errors="replace")
        shown = sum(1 for ch in text if ch.isprintable() or ch in "\t\n\r")
        if text.count("\ufffd") <= 1 and shown >= 0.95 * len(text):
            return codec
    return None


def _decode(data: bytes) -> str:
    """Decode text bytes: BOM, BOM-less UTF-16, UTF-8 (mostly valid), cp1252, latin-1 (never fails)."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", errors="replace")
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    codec = _utf16_codec(data) if b"\x00" in data[:_SNIFF_BYTES] else None
    if codec:
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    valid_bytes = len(data) - len(_UTF8_SEQUENCE.sub(b"", data))  # bytes in well-formed multi-byte characters
    if valid_bytes > text.count("\ufffd"):  # UTF-8 with some bad bytes: keep the good characters
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
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
    head = text[:8192].split("\n", _TITLE_LINES)[:_TITLE_LINES]  # never split a huge file whole
    first = next((line.strip() for line in head if line.strip()), "")
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


def _load_html(path: Path, source: str) -> Document:
    title, text = parse_html(path.read_bytes())
    return Document(source=source, title=title or _stem_title(path), text=text)


def _load_pdf(path: Path, source: str) -> Document:
    try:
        content = read_pdf(path)
    except PdfError as exc:
        raise LoadError(str(path), str(exc)) from exc
    if not content.pages:
        raise LoadError(str(path), "no extractable text (scanned PDF?)")
    return Document(source=source, title=content.title or _stem_title(path), text=content.text, pages=content.pages)


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


def _check_zip(path: Path) -> None:
    """Refuse a zip bomb from the sizes its directory declares (zipfile never unpacks more than that)."""
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    if len(parts) > MAX_DOCX_PARTS:
        raise LoadError(str(path), f"zip bomb? {len(parts)} parts in a .docx (at most {MAX_DOCX_PARTS})")
    total_mb = sum(part.file_size for part in parts) / (1 << 20)
    if total_mb > MAX_DOCX_UNPACKED_MB:
        raise LoadError(str(path), f"zip bomb? unpacks to {total_mb:.0f} MB (at most {MAX_DOCX_UNPACKED_MB} MB)")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _ZIP_RATIO_FLOOR_MB << 20 and ratio > _ZIP_RATIO:
            raise LoadError(
                str(path),
                f"zip bomb? {part.filename} unpacks {part.file_size >> 20} MB from {part.compress_size >> 10} KB "
                f"(compression ratio {ratio:.0f}:1, at most {_ZIP_RATIO}:1)",
            )


def _load_docx(path: Path, source: str) -> Document:
    if not zipfile.is_zipfile(path):
        raise LoadError(str(path), "not a valid Word .docx file (not a zip archive)")
    _check_zip(path)
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
