"""Indexed documents as people see them: a readable title, the file, the text citations point into.

Functions over a `QA` engine, for front-ends that show documents (the chat's viewer and its
Documents tab), always on behalf of a `User`: every read goes through the permission check
(`access.library`), and a source the user may not read is treated as one that is not indexed. Chunks
come through the store's reading interface (`IndexReader.ids_of`, `chunks`); the manifest of
documents (title, content hash) is read from the local index (`qa.store.local`) only for sources
the check let through.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from access.permissions import User, may_change
from qa.errors import SourceNotFoundError
from qa.service import QA

TITLE_WORDS = 10  # an untitled document is named by its first words


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document: its source id, a title to show, how many passages it has, and whether the user
    it was listed for may remove it."""

    source: str
    title: str
    passages: int
    changeable: bool = False


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


def display_title(qa: QA, source: str, title: str, user: User) -> str:
    """`title`, or the document's first words when the title is just its file name (and `user` may read it)."""
    if not is_file_name_title(title, source):
        return title.strip()
    try:
        text = document_text(qa, source, user)
    except SourceNotFoundError:
        text = ""
    return first_words(text[:2000]) or PurePosixPath(source).name


def list_documents(qa: QA, user: User) -> list[DocumentInfo]:
    """Every indexed document `user` may read, with a title to show, in source order."""
    counts = qa.sources(user)
    if not counts:
        return []
    records = {record.source: record for record in qa.store.local.all_documents() if record.source in counts}
    mine = {c.name for c in qa.library.collections(user) if may_change(user, c)}
    documents = []
    for source, n in counts.items():
        record = records.get(source)
        title = display_title(qa, source, record.title if record else "", user)
        documents.append(DocumentInfo(source, title, n, bool(record and record.collection in mine)))
    return documents


def document_file(qa: QA, source: str, user: User) -> Path | None:
    """The file an indexed source was read from, if `user` may read it and it is still there (else None)."""
    try:
        path = qa.library.document_file(source, user)
    except SourceNotFoundError:
        return None
    record = qa.store.local.document(source)
    root = Path(record.root) if record else path.parent  # the folder it was ingested from
    try:
        path.resolve().relative_to(root.resolve())  # a source id never leaves its root
    except ValueError:
        return None
    return path


def file_changed(qa: QA, source: str, path: Path, user: User) -> bool:
    """Whether the file no longer has the content that was indexed (citations may point elsewhere)."""
    qa.library.collection_of(source, user)
    record = qa.store.local.document(source)
    if record is None:
        return True
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() != record.sha256


def document_text(qa: QA, source: str, user: User) -> str:
    """The text of a document as indexed, rebuilt from its chunks: citation offsets point into it.

    A gap between chunks (text no chunk holds: only whitespace) is filled with spaces, so offsets stay exact.

    Raises:
        SourceNotFoundError: `user` may not read `source` (or it is not indexed).
    """
    qa.library.collection_of(source, user)
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
