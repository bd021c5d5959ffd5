"""Incremental sync of files into the store through LangChain's indexing API.

A SQL record manager remembers which chunk ids each source produced. Files whose
bytes are unchanged are not even parsed; changed files are re-chunked and
`index(cleanup="scoped_full")` embeds only new chunks and deletes the source's
stale ones; a file that fails to parse is left as it was; files gone from a
synced folder are deleted.

Each batch is written to Chroma, then to the local index, then to the record manager, and a
file enters the manifest last. A process killed between two of those steps leaves the stores
out of step; `index.writer.IndexWriter` notices the unfinished write and repairs it before the next one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from langchain_classic.indexes import SQLRecordManager
from langchain_core.documents import Document as LCDocument
from langchain_core.indexing import index

from index.chunking import ChunkingConfig, Tokenizer, split_document
from index.discovery import find_files, source_id
from index.formats import LoadError, load_file
from index.manifest import DEFAULT_COLLECTION, DocumentRecord
from index.parsing import Parser
from index.store import ChunkStore, chunk_to_document

T = TypeVar("T")
NO_TEXT = "no text to index: the file is empty, or holds no text (a scan without a text layer?)"
Status = Literal["added", "updated", "unchanged", "deleted", "failed", "skipped"]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    source: str
    status: Status
    reason: str = ""


@dataclass
class SyncReport:
    """Outcome of one sync: per file, and chunk counts from the indexing API."""

    files: list[FileOutcome] = field(default_factory=list)
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_unchanged: int = 0

    def count(self, status: Status) -> int:
        """Number of files with this status."""
        return sum(1 for f in self.files if f.status == status)

    def summary(self) -> str:
        """One line for people."""
        files = ", ".join(f"{self.count(s)} {s}" for s in ("added", "updated", "unchanged", "deleted", "failed"))
        return (
            f"files: {files}; chunks: {self.chunks_added} embedded, {self.chunks_deleted} deleted, "
            f"{self.chunks_unchanged} unchanged"
        )


def file_sha256(path: Path) -> str:
    """Hash of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Target:
    """A folder synced into a collection."""

    root: Path
    collection: str

    @property
    def prefix(self) -> str:
        """What starts the name of every source of the collection ("" in the default one)."""
        return "" if self.collection == DEFAULT_COLLECTION else f"{self.collection}/"

    def source(self, file: Path) -> str:
        """The source name of a file of the folder."""
        return self.prefix + source_id(file, self.root)


@dataclass(frozen=True)
class _Pending:
    path: Path
    source: str
    sha256: str
    status: Status


_Loaded = tuple[_Pending, str, int]  # a parsed file, its title and its number of chunks
PREFETCH_CHUNKS = 512  # chunks parsed ahead of the embedder at most: bounds memory on large folders
WRITE_BATCH = 100  # chunks embedded and written per step of the indexing API


def prefetch(items: Iterator[T], size: int) -> Iterator[T]:
    """Run `items` in a background thread, at most `size` ahead of the consumer.

    Parsing and chunking (Python) then overlap with embedding (torch, which releases the GIL).
    An exception in the producer is raised in the consumer.
    """
    buffer: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put((True, item))
            buffer.put((False, None))
        except BaseException as err:  # handed to the consumer
            buffer.put((False, err))

    threading.Thread(target=produce, name="ingest-prefetch", daemon=True).start()
    try:
        while True:
            more, value = buffer.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        while not buffer.empty():  # unblock a producer waiting on a full buffer
            buffer.get_nowait()


class Syncer:
    """Keeps the store in step with files on disk."""

    def __init__(
        self,
        store: ChunkStore,
        records: SQLRecordManager,
        tokenizer: Tokenizer,
        chunking: ChunkingConfig,
        parser: Parser = load_file,
    ) -> None:
        """Wire the store, record manager, chunker and parser (`IsolatedParser` to limit time and memory)."""
        self.parser = parser
        self.store = store
        self.records = records
        self.tokenizer = tokenizer
        self.chunking = chunking

    def sync(
        self,
        path: Path,
        progress: Progress | None = None,
        collection: str = DEFAULT_COLLECTION,
        require_text: bool = False,
    ) -> SyncReport:
        """Bring `collection` in line with a file or folder.

        Sources are named by their path relative to the folder, after "<collection>/" outside
        the default collection (so that two collections may hold files of the same name). With
        `require_text` (uploads), a file with no text fails and changes nothing (an earlier version stays);
        without it, an emptied file is indexed empty (its old chunks go).

        Raises:
            FileNotFoundError: `path` does not exist.
        """
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        target = _Target((path if path.is_dir() else path.parent).resolve(), collection)
        root = target.root
        files, skipped = find_files(path)
        report = SyncReport(files=[FileOutcome(target.prefix + s.path, "skipped", s.reason) for s in skipped])
        pending = self._plan(files, target, report)
        loaded: list[_Loaded] = []
        docs = prefetch(self._load(pending, report, loaded, progress, collection), PREFETCH_CHUNKS)
        result = index(
            docs,
            self.records,
            self.store,
            cleanup="scoped_full",  # a source's stale chunks go once all of it is in: none re-embedded
            batch_size=WRITE_BATCH,
            source_id_key="source",
            key_encoder=lambda doc: str(doc.id),
        )
        report.chunks_added = result["num_added"]
        report.chunks_deleted = result["num_deleted"]
        report.chunks_unchanged = result["num_skipped"]
        for item, title, n_chunks in loaded:
            if not n_chunks and require_text:
                report.files.append(FileOutcome(item.source, "failed", NO_TEXT))
                continue
            if not n_chunks:  # an emptied file: its old chunks are stale
                report.chunks_deleted += self._delete_chunks(item.source)
            self.store.local.put_document(DocumentRecord(item.source, str(root), item.sha256, title, collection))
            report.files.append(FileOutcome(item.source, item.status))
        if path.is_dir():
            self._delete_missing(target, {target.source(f) for f in files}, report)
        return report

    def _plan(self, files: list[Path], target: _Target, report: SyncReport) -> list[_Pending]:
        pending = []
        for file in files:
            source = target.source(file)
            sha = file_sha256(file)
            known = self.store.local.document(source)
            if known and known.root != str(target.root):
                reason = f"a source named {source} is already indexed from {known.root}; remove it first"
                report.files.append(FileOutcome(source, "failed", reason))
            elif known and known.collection != target.collection:
                reason = f"{source} is already indexed in the collection {known.collection}; remove it first"
                report.files.append(FileOutcome(source, "failed", reason))
            elif known and known.sha256 == sha:
                report.files.append(FileOutcome(source, "unchanged"))
            else:
                pending.append(_Pending(file, source, sha, "updated" if known else "added"))
        return pending

    def _load(
        self,
        pending: list[_Pending],
        report: SyncReport,
        loaded: list[_Loaded],
        progress: Progress | None,
        collection: str,
    ) -> Iterator[LCDocument]:
        """Parse and chunk pending files (in a background thread: see `prefetch`); no writes here."""
        for done, item in enumerate(pending, start=1):
            if progress:
                progress(done, len(pending), item.source)
            try:
                document = self.parser(item.path, item.source)
            except LoadError as err:
                report.files.append(FileOutcome(item.source, "failed", err.reason))
                continue
            chunks = split_document(document, self.tokenizer, self.chunking)
            loaded.append((item, document.title, len(chunks)))
            yield from (chunk_to_document(dataclasses.replace(chunk, collection=collection)) for chunk in chunks)

    def _delete_missing(self, target: _Target, present: set[str], report: SyncReport) -> None:
        for record in self.store.local.documents_under(str(target.root), target.collection):
            if record.source not in present:
                report.chunks_deleted += self.remove(record.source)
                report.files.append(FileOutcome(record.source, "deleted"))

    def _delete_chunks(self, source: str) -> int:
        keys = sorted(set(self.records.list_keys(group_ids=[source])) | set(self.store.local.chunk_ids(source)))
        if keys:
            self.store.delete(keys)
            self.records.delete_keys(keys)
        return len(keys)

    def remove(self, source: str) -> int:
        """Delete a source's chunks and manifest entry; returns the number of chunks deleted."""
        deleted = self._delete_chunks(source)
        self.store.local.delete_document(source)
        return deleted
