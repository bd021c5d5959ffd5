"""Indexed documents as people see them: a readable title, the file, the text citations point into.

Functions over a `QA` engine, for front-ends that show documents (the chat's viewer and its
Documents tab). Chunks come through the store's reading interface (`IndexReader.ids_of`,
`chunks`); the manifest of documents (file root, content hash, title) is read from the local
index directly (`qa.store.local.document`, `all_documents`) until the store offers it too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from qa.service import QA

TITLE_WORDS = 10  # an untitled document is named by its first words


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document: its source id, a title to show, and how many passages it has."""

    source: str
    title: str
    passages: int


def is_file_name_title(title: str, source: str) -> bool:
    """Whether `title` is only the file name (what loaders fall back to), not the document's own title."""
    stem = PurePosixPath(source).stem
    squash = re.compile(r"[\W_]+")
    return not title.strip() or squash.sub("", title).lower() == squash.sub("", stem).lower()


def first_words(text: str, count: int = TITLE_WORDS) -> str:
    """The first `count` words of the first line of `text` with any (an ellipsis when cut)."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    words = line.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def display_title(qa: QA, source: str, title: str) -> str:
    """`title`, or the document's first words when the title is just its file name."""
    if not is_file_name_title(title, source):
        return title.strip()
    return first_words(document_text(qa, source)[:2000]) or PurePosixPath(source).name


def list_documents(qa: QA) -> list[DocumentInfo]:
    """Every indexed document with a title to show, in source order."""
    counts = qa.sources()
    if not counts:
        return []
    titles = {record.source: record.title for record in qa.store.local.all_documents()}
    return [DocumentInfo(source, display_title(qa, source, titles.get(source, "")), n) for source, n in counts.items()]


def document_file(qa: QA, source: str) -> Path | None:
    """The file an indexed source was read from, if it is still there (None: not indexed, or gone)."""
    record = qa.store.local.document(source)
    if record is None:
        return None
    root = Path(record.root)  # the folder it was ingested from (a file's own folder when ingested alone)
    path = root / source
    try:
        path.resolve().relative_to(root.resolve())  # a source id never leaves its root
    except ValueError:
        return None
    return path if path.is_file() else None


def file_changed(qa: QA, source: str, path: Path) -> bool:
    """Whether the file no longer has the content that was indexed (citations may point elsewhere)."""
    record = qa.store.local.document(source)
    if record is None:
        return True
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() != record.sha256


def document_text(qa: QA, source: str) -> str:
    """The text of a document as indexed, rebuilt from its chunks: citation offsets point into it.

    A gap between chunks (text no chunk holds: only whitespace) is filled with spaces, so offsets stay exact.
    """
    record = qa.store.local.document(source)
    return _rebuilt_text(qa, source, record.sha256 if record else "")


@lru_cache(maxsize=16)
def _rebuilt_text(qa: QA, source: str, sha256: str) -> str:  # sha256: a re-indexed file is rebuilt again
    chunks = sorted(qa.store.chunks(qa.store.ids_of(source)).values(), key=lambda c: c.start)
    parts: list[str] = []
    position = 0
    for chunk in chunks:
        if chunk.start > position:
            parts.append(" " * (chunk.start - position))
            position = chunk.start
        if chunk.end > position:
            parts.append(chunk.text[position - chunk.start :])
            position = chunk.end
    return "".join(parts)
