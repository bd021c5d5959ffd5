"""Moving an index into the shared mode (`qa migrate --to postgresql://...`): its chunks with their vectors and
sentence vectors, keyword postings, manifest, collections and LangChain records are copied, never re-embedded.

The target must be empty (a new database, and the Chroma collection it names is made new): a migration
that stopped half-way is refused on the next try, which names the database to drop and make again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.chroma import chroma_collection
from index.local import SideIndex
from index.store import ChunkStore, record_embedder

if TYPE_CHECKING:
    from langchain_classic.indexes import SQLRecordManager

BATCH = 256


class MigrationError(Exception):
    """The target cannot take the index (it is not empty, or was built by another embedding model)."""


@dataclass(frozen=True)
class MigrationReport:
    """What was copied."""

    chunks: int
    documents: int
    collections: int
    records: int


def migrate_index(
    source: ChunkStore,
    source_records: SQLRecordManager,
    target: ChunkStore,
    target_records: SQLRecordManager,
    progress: Callable[[int, int], None] | None = None,
) -> MigrationReport:
    """Copy everything of `source` into the empty `target` (progress: chunks copied, chunks in all).

    Raises:
        MigrationError: the target already holds documents, chunks or records.
    """
    if not side_is_empty(target.local) or target_records.list_keys(limit=1):
        raise MigrationError(
            "the target is not empty: migrate into a new database (DROP DATABASE and CREATE DATABASE it again, "
            "which also starts a new Chroma collection)"
        )
    record_embedder(target.local, source.embedder)
    for collection in source.local.collections().values():
        target.local.put_collection(collection)
    ids = [chunk_id for chunk_id, _ in source.local.chunk_sources()]
    vectors = chroma_collection(source.chroma)
    done = 0
    for batch in _batches(ids):
        chunks = source.local.chunks(batch)
        found = vectors.get(ids=batch, include=["embeddings", "metadatas"])
        order = [i for i in found["ids"] if i in chunks]
        position = {chunk_id: n for n, chunk_id in enumerate(found["ids"])}
        embeddings = [found["embeddings"][position[i]] for i in order]  # type: ignore[index]
        metadatas = [(found["metadatas"] or [])[position[i]] for i in order]
        target.collection.upsert(ids=order, embeddings=embeddings, metadatas=metadatas)  # type: ignore[arg-type]
        target.local.add([chunks[i] for i in order], [source.local.sentences(i) for i in order])
        done += len(batch)
        if progress:
            progress(done, len(ids))
    records = _copy_records(source_records, target_records)
    documents = source.local.all_documents()
    for document in documents:
        target.local.put_document(document)
    return MigrationReport(target.local.count(), len(documents), len(source.local.collections()), records)


def _copy_records(source: SQLRecordManager, target: SQLRecordManager) -> int:
    """The record manager's keys with their sources (group ids), as LangChain's sync reads them."""
    from index.records import recorded_sources

    rows = list(recorded_sources(source))
    for batch in _batches(rows):
        target.update([key for key, _ in batch], group_ids=[group or None for _, group in batch])
    return len(rows)


def _batches(items: list, size: int = BATCH) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield items[start : start + size]


def side_is_empty(local: SideIndex) -> bool:
    """Whether an index beside Chroma holds nothing (no chunk, no document)."""
    return local.is_empty() and not local.all_documents()
