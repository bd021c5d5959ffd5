"""Consistency of the index's three stores, and repair after an interrupted write.

An ingest writes each batch of chunks to Chroma, then to the local SQLite index, then to the
record manager, and records a file in the manifest last. A process killed between two of
those steps leaves chunks that one store has and another lacks. `check_index` finds every such
chunk; `repair_index` purges each source it touches from all stores at once and marks the
source's manifest entry stale, so that the next ingest re-reads the file (or deletes it, if it
is gone) and the index converges to what an uninterrupted run makes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from langchain_classic.indexes import SQLRecordManager

from index.chroma import collection_sources
from index.records import recorded_sources
from index.store import ChunkStore

STALE = ""  # the manifest hash of a source that must be read again


@dataclass
class CheckReport:
    """What disagrees between the stores; an empty report means a consistent index."""

    chunks: int = 0
    not_in_chroma: set[str] = field(default_factory=set)
    not_in_local: set[str] = field(default_factory=set)
    not_recorded: set[str] = field(default_factory=set)
    keyword_rows_off: int = 0
    unlisted_sources: set[str] = field(default_factory=set)
    stale_sources: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)  # every source that needs repair
    ids_to_purge: dict[str, set[str]] = field(default_factory=dict)  # their chunk ids, in any store

    @property
    def ok(self) -> bool:
        """Whether the stores agree."""
        return not self.sources and not self.keyword_rows_off

    def lines(self) -> list[str]:
        """The findings, one line each, for people."""
        found = [
            (len(self.not_in_chroma), "chunks missing from Chroma"),
            (len(self.not_in_local), "chunks missing from the local index"),
            (len(self.not_recorded), "chunks missing from the record manager"),
            (self.keyword_rows_off, "keyword index rows without their chunk (or chunks without theirs)"),
            (len(self.unlisted_sources), "sources with chunks but no manifest entry"),
        ]
        lines = [f"{n} {what}" for n, what in found if n]
        lines += [f"needs repair: {source}" for source in sorted(self.sources)]
        lines += [f"waiting to be ingested again: {source}" for source in sorted(self.stale_sources)]
        return lines


def check_index(store: ChunkStore, records: SQLRecordManager) -> CheckReport:
    """Compare Chroma, the local index (chunks, keyword index, manifest) and the record manager."""
    chroma = dict(collection_sources(store.collection))
    local = {chunk_id: source for chunk_id, source in store.local.chunk_sources()}
    recorded = dict(recorded_sources(records))
    manifest = {record.source: record for record in store.local.all_documents()}
    report = CheckReport(chunks=len(local))
    everything = {**recorded, **local, **chroma}  # id -> source, from whichever store knows it
    report.not_in_chroma = {i for i in everything if i not in chroma}
    report.not_in_local = {i for i in everything if i not in local}
    report.not_recorded = {i for i in everything if i not in recorded}
    report.unlisted_sources = {s for s in everything.values() if s not in manifest}
    report.keyword_rows_off = store.local.keyword_rows_off()
    off = report.not_in_chroma | report.not_in_local | report.not_recorded
    report.sources = {everything[i] for i in off} | report.unlisted_sources
    report.stale_sources = {s for s, record in manifest.items() if record.sha256 == STALE} - report.sources
    report.ids_to_purge = {source: set() for source in report.sources}
    for chunk_id, source in everything.items():
        if source in report.ids_to_purge:
            report.ids_to_purge[source].add(chunk_id)
    return report


def repair_index(store: ChunkStore, records: SQLRecordManager, report: CheckReport) -> None:
    """Purge every source the report names from all stores and mark it to be ingested again."""
    for source, ids in report.ids_to_purge.items():
        if ids:
            store.delete(sorted(ids))
            records.delete_keys(sorted(ids))
        record = store.local.document(source)
        if record is not None:
            store.local.put_document(dataclasses.replace(record, sha256=STALE))
    if report.keyword_rows_off:
        store.local.rebuild_keyword_index()
