"""The one way an index is written: under the data directory's lock, with repair after a cut-short write.

`IndexWriter.writing()` is the protocol every write follows:

1. take the writer lock (`index.lock`; readers never take it);
2. if the index is marked as being written, an earlier write was cut short: check the three stores
   and purge what disagrees (`index.check`);
3. record the embedding model, mark the index as being written, and write;
4. clear the mark. After a failure the mark stays, and the next write repairs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from index.chunking import ChunkingConfig, Tokenizer
from index.lock import database_writer_lock, writer_lock
from index.manifest import DEFAULT_COLLECTION
from index.store import ChunkStore, record_embedder

if TYPE_CHECKING:  # the sync stack (LangChain indexing, SQLAlchemy) loads only when an index is written
    from langchain_classic.indexes import SQLRecordManager

    from index.check import CheckReport
    from index.parsing import IsolatedParser
    from index.sync import Progress, Syncer, SyncReport

WRITING = "writing"  # index meta key set while a write runs: its presence means one was cut short
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParseLimits:
    """What one file may cost to parse (see `index.parsing.IsolatedParser`)."""

    max_file_mb: float
    timeout: float
    memory_mb: int


@dataclass(eq=False)
class IndexWriter:
    """Ingests, removes, checks and repairs one data directory's index, one writer at a time.

    Attributes:
        data_dir: where the index and its writer lock live.
        store: the index.
        tokenizer, chunking: how files are cut into chunks.
        limits: what one file may cost to parse.
        wait: seconds to wait for another writer to finish before `WriterBusyError`.
        database_url: the shared mode's PostgreSQL: the record manager and the writer lock live there (one
            writer across every app server), not in `data_dir`.
    """

    data_dir: Path
    store: ChunkStore
    tokenizer: Tokenizer
    chunking: ChunkingConfig
    limits: ParseLimits
    wait: float
    database_url: str | None = None

    @cached_property
    def records(self) -> SQLRecordManager:
        """LangChain's record manager: which chunk ids each source produced."""
        from index.records import open_record_manager

        return open_record_manager(self.data_dir, self.database_url)

    @cached_property
    def parser(self) -> IsolatedParser:
        """One worker process parses every file of an ingest, within the size, time and memory limits."""
        from index.parsing import IsolatedParser

        return IsolatedParser(self.limits.max_file_mb, self.limits.timeout, self.limits.memory_mb)

    @cached_property
    def syncer(self) -> Syncer:
        """Keeps the index in step with files on disk."""
        from index.sync import Syncer

        return Syncer(self.store, self.records, self.tokenizer, self.chunking, self.parser)

    def ingest(
        self,
        targets: Sequence[Path],
        progress: Progress | None = None,
        collection: str = DEFAULT_COLLECTION,
        require_text: bool = False,
    ) -> list[SyncReport]:
        """Sync each file or folder into `collection` of the index (`require_text`: see `Syncer.sync`).

        Raises:
            WriterBusyError: another writer holds the index past `wait`.
            ParserStartError: the parsing worker cannot start.
        """
        with self.writing(), self.parser:  # the parsing worker stops with the ingest
            return [self.syncer.sync(target, progress, collection, require_text) for target in targets]

    def remove(self, source: str) -> int:
        """Delete a source's chunks and manifest entry; returns the number of chunks deleted."""
        with self.writing():
            return self.syncer.remove(source)

    def check(self, repair: bool = False) -> CheckReport:
        """Compare Chroma, the SQLite index and the record manager; with `repair`, fix what disagrees."""
        from index.check import check_index, repair_index

        with self.locked():
            report = check_index(self.store, self.records)
            if repair:
                repair_index(self.store, self.records, report)
                self.store.local.delete_meta(WRITING)
            return report

    def was_interrupted(self) -> bool:
        """Whether a write was cut short and not yet repaired."""
        return self.store.local.get_meta(WRITING) is not None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock, first repairing what an interrupted write left, and mark the write as running."""
        from index.check import check_index, repair_index

        with self.locked():
            if self.was_interrupted():
                report = check_index(self.store, self.records)
                log.warning(
                    "the last write to %s was cut short: repairing %d sources", self.data_dir, len(report.sources)
                )
                repair_index(self.store, self.records, report)
            record_embedder(self.store.local, self.store.embedder)
            self.store.local.set_meta(WRITING, str(os.getpid()))
            yield
            self.store.local.delete_meta(WRITING)  # kept after a failure: the next write repairs

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The index's writer lock (`WriterBusyError` after `wait` seconds): a file lock in the data directory,
        or in the shared mode an advisory lock in PostgreSQL."""
        if self.database_url:
            with database_writer_lock(self.database_url, self.wait):
                yield
            return
        with writer_lock(self.data_dir, self.wait):
            yield
