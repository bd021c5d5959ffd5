"""The local SQLite side of the index, kept in step with the Chroma collection.

One file holds, per chunk: its row (text, source, page, offsets), its entry in an
FTS5 keyword index (BM25 ranking inside SQLite, so no Python scan per query),
and the vectors of its sentences (embedded once at ingest, so answering never
re-embeds text). It also keeps the manifest of ingested files, used by sync.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index.types import Chunk
from index.words import content_words

SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
    page INTEGER, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS sentences (
    chunk_rowid INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sentences_chunk ON sentences(chunk_rowid);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, root TEXT NOT NULL, sha256 TEXT NOT NULL, title TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vocab USING fts5vocab(chunk_fts, 'row');
"""
MAX_QUERY_TERMS = 10
COMMON_SHARE = 0.1


@dataclass(frozen=True)
class SentenceVector:
    """A sentence of a chunk: offsets into the source text and its unit vector."""

    start: int
    end: int
    vector: np.ndarray


@dataclass(frozen=True)
class DocumentRecord:
    """A file in the manifest: where it was ingested from and its content hash."""

    source: str
    root: str
    sha256: str
    title: str


def keyword_query(words: Sequence[str]) -> str:
    """An FTS5 OR-query of the words ('' if none)."""
    return " OR ".join(f'"{w}"' for w in words)


def selective_words(words: Sequence[str], frequencies: dict[str, int], total: int) -> list[str]:
    """The words worth searching: the rarest `MAX_QUERY_TERMS` of those in at most `COMMON_SHARE` of chunks.

    A long question or claim ORs many words, and FTS5 ranks every chunk that holds any of them;
    words found in a tenth of all chunks add little to BM25 but most of that work. Frequencies are
    by Porter stem, as FTS5 indexes them; the three rarest words are always kept.
    """
    stem = _porter().stemWord
    by_rarity = sorted(words, key=lambda w: frequencies.get(stem(w), 0))
    kept = [w for w in by_rarity if frequencies.get(stem(w), 0) <= COMMON_SHARE * total][:MAX_QUERY_TERMS]
    return kept if len(kept) >= 3 else by_rarity[:3]


@lru_cache(maxsize=1)
def _porter() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


class LocalIndex:
    """Chunks, keyword index, sentence vectors and file manifest in one SQLite file."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(chunks)")}
        if "context" not in columns:  # an index made before chunks had a context
            try:
                self._db.execute("ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT ''")
            except sqlite3.OperationalError as err:  # another process added it first
                if "duplicate column" not in str(err):
                    raise
        self._writes = 0  # PRAGMA data_version only counts other connections' commits
        self._vocabulary: tuple[Any, dict[str, int], int] = (None, {}, 0)
        self._sizes: tuple[Any, dict[str, int]] = (None, {})

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._writes += 1

    def add(self, chunks: Sequence[Chunk], sentences: Sequence[Sequence[SentenceVector]]) -> None:
        """Insert chunks (replacing any with the same id) with their sentence vectors."""
        with self._transaction() as db:
            self._delete(db, [c.id for c in chunks])
            for chunk, chunk_sentences in zip(chunks, sentences, strict=True):
                c = chunk
                cur = db.execute(
                    'INSERT INTO chunks (id, source, title, page, start, "end", text, context) '
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (c.id, c.source, c.title, c.page, c.start, c.end, c.text, c.context),
                )
                rowid = cur.lastrowid
                db.execute("INSERT INTO chunk_fts (rowid, text) VALUES (?, ?)", (rowid, chunk.indexed_text))
                db.executemany(
                    'INSERT INTO sentences (chunk_rowid, start, "end", vector) VALUES (?,?,?,?)',
                    [(rowid, s.start, s.end, s.vector.astype(np.float32).tobytes()) for s in chunk_sentences],
                )

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id; unknown ids are ignored."""
        with self._transaction() as db:
            self._delete(db, list(ids))

    @staticmethod
    def _delete(db: sqlite3.Connection, ids: list[str]) -> None:
        for batch in _batched(ids, 500):
            marks = ",".join("?" * len(batch))
            rows = [r[0] for r in db.execute(f"SELECT rowid FROM chunks WHERE id IN ({marks})", batch)]
            db.executemany("DELETE FROM chunk_fts WHERE rowid = ?", [(r,) for r in rows])
            db.executemany("DELETE FROM sentences WHERE chunk_rowid = ?", [(r,) for r in rows])
            db.executemany("DELETE FROM chunks WHERE rowid = ?", [(r,) for r in rows])

    def search(self, question: str, n: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """BM25 keyword search: the best `n` chunk ids with their scores (higher is better)."""
        words = content_words(question)
        if len(words) > 3:
            words = selective_words(words, *self._frequencies())
        query = keyword_query(words)
        if not query:
            return []
        where, params = "chunk_fts MATCH ?", [query]
        if sources:
            where += f" AND c.source IN ({','.join('?' * len(sources))})"
            params += list(sources)
        sql = (
            "SELECT c.id, -bm25(chunk_fts) AS score FROM chunk_fts JOIN chunks c ON c.rowid = chunk_fts.rowid "
            f"WHERE {where} ORDER BY bm25(chunk_fts) LIMIT ?"
        )
        with self._lock:
            return [(r[0], float(r[1])) for r in self._db.execute(sql, [*params, n])]

    def _frequencies(self) -> tuple[dict[str, int], int]:
        """Chunks per indexed term, and chunks in all, cached until this database changes (in any process)."""
        with self._lock:
            version = self._version()
            if self._vocabulary[0] != version:
                rows = self._db.execute("SELECT term, doc FROM chunk_vocab")
                self._vocabulary = (version, {term: doc for term, doc in rows}, self.count())
            return self._vocabulary[1], self._vocabulary[2]

    def _version(self) -> tuple[int, int]:
        """Changes whenever this database changes, in this process or another."""
        return self._db.execute("PRAGMA data_version").fetchone()[0], self._writes

    def source_sizes(self) -> dict[str, int]:
        """Each indexed source's number of chunks, cached until this database changes (the same dict till then)."""
        with self._lock:
            version = self._version()
            if self._sizes[0] != version:
                rows = self._db.execute("SELECT source, COUNT(*) FROM chunks GROUP BY source")
                self._sizes = (version, {r[0]: r[1] for r in rows})
            return self._sizes[1]

    def phrase_counts(self, words: Sequence[str]) -> dict[str, int]:
        """Chunks per source that contain `words` (plain lower-case words) in a row, as the keyword index reads them."""
        if not words or not all(re.fullmatch(r"\w+", w) for w in words):
            return {}
        sql = (
            "SELECT c.source, COUNT(*) FROM chunk_fts JOIN chunks c ON c.rowid = chunk_fts.rowid "
            "WHERE chunk_fts MATCH ? GROUP BY c.source"
        )
        with self._lock:
            return {r[0]: r[1] for r in self._db.execute(sql, ['"' + " ".join(words) + '"'])}

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Look chunks up by id."""
        with self._lock:
            marks = ",".join("?" * len(ids))
            sql = f'SELECT id, source, title, text, start, "end", page, context FROM chunks WHERE id IN ({marks})'
            rows = self._db.execute(sql, list(ids)).fetchall()
        return {r[0]: Chunk(r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows}

    def sentences(self, chunk_id: str) -> list[SentenceVector]:
        """The sentences of a chunk, in order, with their vectors."""
        with self._lock:
            rows = self._db.execute(
                'SELECT s.start, s."end", s.vector FROM sentences s JOIN chunks c ON c.rowid = s.chunk_rowid '
                "WHERE c.id = ? ORDER BY s.start",
                (chunk_id,),
            ).fetchall()
        return [SentenceVector(r[0], r[1], np.frombuffer(r[2], dtype=np.float32)) for r in rows]

    def chunk_counts(self) -> dict[str, int]:
        """Indexed sources with their number of chunks."""
        with self._lock:
            rows = self._db.execute("SELECT source, COUNT(*) FROM chunks GROUP BY source ORDER BY source")
            return {r[0]: r[1] for r in rows}

    def chunk_ids(self, source: str) -> list[str]:
        """Ids of one source's chunks."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE source = ?", (source,))]

    def chunk_sources(self) -> list[tuple[str, str]]:
        """(id, source) of every chunk."""
        with self._lock:
            return [(r[0], r[1]) for r in self._db.execute("SELECT id, source FROM chunks")]

    def keyword_rows_off(self) -> int:
        """Chunks without a keyword index row, plus keyword rows without a chunk (0 when in step)."""
        sql = (
            "SELECT (SELECT COUNT(*) FROM chunks WHERE rowid NOT IN (SELECT rowid FROM chunk_fts)) + "
            "(SELECT COUNT(*) FROM chunk_fts WHERE rowid NOT IN (SELECT rowid FROM chunks))"
        )
        with self._lock:
            return int(self._db.execute(sql).fetchone()[0])

    def rebuild_keyword_index(self) -> None:
        """Write the keyword index again from the chunk rows."""
        with self._transaction() as db:
            db.execute("DELETE FROM chunk_fts")
            db.execute(
                "INSERT INTO chunk_fts (rowid, text) SELECT rowid, "
                "CASE WHEN context = '' THEN text ELSE context || char(10) || text END FROM chunks"
            )

    def count(self) -> int:
        """Number of chunks."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def is_empty(self) -> bool:
        """Whether no chunk is indexed (a cheap check for every question)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None

    def document(self, source: str) -> DocumentRecord | None:
        """The manifest entry of a source, if it was ingested."""
        with self._lock:
            row = self._db.execute("SELECT source, root, sha256, title FROM documents WHERE source = ?", (source,))
            found = row.fetchone()
        return DocumentRecord(*found) if found else None

    def documents_under(self, root: str) -> list[DocumentRecord]:
        """Manifest entries ingested from folder `root`."""
        with self._lock:
            rows = self._db.execute("SELECT source, root, sha256, title FROM documents WHERE root = ?", (root,))
            return [DocumentRecord(*r) for r in rows]

    def all_documents(self) -> list[DocumentRecord]:
        """Every manifest entry."""
        with self._lock:
            return [DocumentRecord(*r) for r in self._db.execute("SELECT source, root, sha256, title FROM documents")]

    def put_document(self, record: DocumentRecord) -> None:
        """Record (or update) a file in the manifest."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO documents (source, root, sha256, title) VALUES (?,?,?,?)",
                (record.source, record.root, record.sha256, record.title),
            )

    def delete_document(self, source: str) -> None:
        """Drop a file from the manifest."""
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE source = ?", (source,))

    def get_meta(self, key: str) -> str | None:
        """Read a small piece of index metadata."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Write a small piece of index metadata."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def claim_meta(self, key: str, value: str) -> str:
        """Record `value` under `key` unless a value is there already; return the recorded one.

        One transaction, so two processes opening a new data directory agree on one value.
        """
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def delete_meta(self, key: str) -> None:
        """Remove a piece of index metadata."""
        with self._transaction() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _batched(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
