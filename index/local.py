"""The local SQLite side of the index, kept in step with the Chroma collection.

One file holds, per chunk: its row (text, source, page, offsets), its entry in an
FTS5 keyword index (BM25 ranking inside SQLite, so no Python scan per query),
and the vectors of its sentences (embedded once at ingest, so answering never
re-embeds text). The manifest of ingested files and their collections, and the meta table, are
in the same file (`index.manifest`, `index.sqlite_file`).
"""

from __future__ import annotations

import math
import re
import sqlite3
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from index.manifest import DEFAULT_COLLECTION, Manifest
from index.types import Chunk
from index.words import content_words

if TYPE_CHECKING:
    from index.postgres import PgIndex

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
    page INTEGER, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS sentences (
    chunk_rowid INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sentences_chunk ON sentences(chunk_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vocab USING fts5vocab(chunk_fts, 'row');
"""
MAX_QUERY_TERMS = 10
COMMON_SHARE = 0.1
K1, B = 1.2, 0.75  # BM25's constants, as FTS5's bm25()
CANDIDATES = 200  # the best chunks by the selective words, that the common words' scores are added for
_TOKEN = re.compile(r"[^\W_]+")  # FTS5 unicode61: letters and digits; everything else separates
NARROW_SCOPE = 0.2  # a scope under this share of the index is ranked on its own


@dataclass(frozen=True)
class SentenceVector:
    """A sentence of a chunk: offsets into the source text and its unit vector."""

    start: int
    end: int
    vector: np.ndarray


def keyword_query(words: Sequence[str]) -> str:
    """An FTS5 OR-query of the words ('' if none)."""
    return " OR ".join(f'"{w}"' for w in words)


def selective_words(
    words: Sequence[str], frequencies: Mapping[str, int], total: int, key: Callable[[str], str] | None = None
) -> list[str]:
    """The words that rank a keyword search's candidates: the rarest `MAX_QUERY_TERMS` of those in at most
    `COMMON_SHARE` of chunks (the three rarest when none is; words in no chunk are left out).

    A question ORs many words, and ranking reads every chunk that holds any of them; words found in a
    tenth of all chunks add little to BM25 but most of that work, so their scores are added for the
    best candidates only. Frequencies are by Porter stem, as FTS5 indexes them: `key` makes a word's stem
    (None: `stem`; words that are stems already pass `str`).
    """
    keyed = key or stem
    by_rarity = sorted((w for w in words if frequencies.get(keyed(w))), key=lambda w: frequencies[keyed(w)])
    kept = [w for w in by_rarity if frequencies[keyed(w)] <= COMMON_SHARE * total][:MAX_QUERY_TERMS]
    return kept or by_rarity[:3]


def terms(text: str) -> list[str]:
    """The keyword terms of `text`, as FTS5's `porter unicode61 remove_diacritics 2` tokenizer makes them."""
    plain = text.lower()
    if not plain.isascii():
        plain = "".join(ch for ch in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(ch))
    return [stem(token) for token in _TOKEN.findall(plain)]


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The Porter stem of a lower-case word, as FTS5's porter tokenizer makes it."""
    return str(_porter().stemWord(word))


def bm25(tf: int, length: int, df: int, chunks: int, mean_length: float) -> float:
    """One term's BM25 score in one chunk, as FTS5's `bm25()` adds it up (its idf floored at 1e-6)."""
    idf = max(math.log((chunks - df + 0.5) / (df + 0.5)), 1e-6)
    return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / mean_length))


@lru_cache(maxsize=1)
def _porter() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


class SourceTotals(ABC):
    """What both sides of the index derive from their (source -> chunks, source -> collection) tables: kept
    by `_sources()`, cached until the database changes."""

    _lock: Any
    _collection_sizes: tuple[object, dict[str, int]]

    @abstractmethod
    def _sources(self) -> tuple[dict[str, int], dict[str, str]]:
        """(source -> chunks, source -> collection), cached until the database changes."""

    def source_sizes(self) -> dict[str, int]:
        """Each indexed source's number of chunks, cached until the database changes (the same dict till then)."""
        return self._sources()[0]

    def source_collections(self) -> dict[str, str]:
        """Each indexed source's collection, cached as `source_sizes` is."""
        return self._sources()[1]

    def collection_sizes(self) -> dict[str, int]:
        """Each collection's number of chunks, cached as `source_sizes` is."""
        sizes, homes = self._sources()
        with self._lock:
            if self._collection_sizes[0] is not sizes:
                totals: dict[str, int] = {}
                for source, n in sizes.items():
                    totals[homes[source]] = totals.get(homes[source], 0) + n
                self._collection_sizes = (sizes, totals)
            return self._collection_sizes[1]

    def chunk_counts(self, collections: Collection[str] | None = None) -> dict[str, int]:
        """Indexed sources of `collections` (None: all) with their number of chunks, in source order."""
        sizes, homes = self._sources()
        if collections is None:
            return dict(sizes)
        return {source: n for source, n in sizes.items() if homes[source] in collections}


class LocalIndex(SourceTotals, Manifest):
    """Chunks, keyword index and sentence vectors, with the file manifest (`Manifest`), in one SQLite file."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database at `path`, upgrading one made by an earlier version."""
        super().__init__(path, SCHEMA)
        self._add_column("chunks", "context", "TEXT NOT NULL DEFAULT ''")
        self._add_column("chunks", "collection", f"TEXT NOT NULL DEFAULT '{DEFAULT_COLLECTION}'")
        self._db.execute("CREATE INDEX IF NOT EXISTS chunks_collection ON chunks(collection)")
        self._vocabulary: tuple[Any, dict[str, int], int, float] = (None, {}, 0, 1.0)
        self._sizes: tuple[Any, tuple[dict[str, int], dict[str, str]]] = (None, ({}, {}))
        self._collection_sizes: tuple[object, dict[str, int]] = (None, {})

    def add(self, chunks: Sequence[Chunk], sentences: Sequence[Sequence[SentenceVector]]) -> None:
        """Insert chunks (replacing any with the same id) with their sentence vectors."""
        with self._transaction() as db:
            self._delete(db, [c.id for c in chunks])
            for chunk, chunk_sentences in zip(chunks, sentences, strict=True):
                c = chunk
                cur = db.execute(
                    'INSERT INTO chunks (id, source, title, page, start, "end", text, context, collection) '
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    (c.id, c.source, c.title, c.page, c.start, c.end, c.text, c.context, c.collection),
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

    def search(
        self, question: str, n: int, sources: Sequence[str] | None = None, collections: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """BM25 keyword search in `sources` and `collections` (None: all): the best `n` chunk ids with their
        scores (higher is better).

        Two stages: FTS5 ranks the chunks that hold the question's selective words (`selective_words`),
        then the common words' scores are added for the best `CANDIDATES` of them, from their texts: the
        sum is FTS5's `bm25()` of all the words for those chunks. FTS5 ranks inside the keyword index alone
        and only the best rows are looked up in the chunk table (joining every match with its row was two
        thirds of the time at 1M chunks); a scope under `NARROW_SCOPE` of the index, or one whose matches
        rank too low in the whole index, is ranked with the join instead.
        """
        words = content_words(question)
        frequencies, chunks, mean_length = self._statistics()
        rare = selective_words(words, frequencies, chunks)
        common = {stem(w) for w in words if w not in rare}
        query = keyword_query(rare)
        if not query:
            return []
        depth = max(n, CANDIDATES) if common else n
        with self._lock:
            best = self._ranked(query, depth, sources, collections)
            added = self._common_scores([r[0] for r in best], common, frequencies, chunks, mean_length)
        scored = [(chunk_id, score + added.get(rowid, 0.0)) for rowid, chunk_id, score in best]
        return sorted(scored, key=lambda item: -item[1])[:n]

    def _ranked(
        self, query: str, depth: int, sources: Sequence[str] | None, collections: Collection[str] | None
    ) -> list[tuple[int, str, float]]:
        """The best `depth` chunks in scope for an FTS5 query: (rowid, id, score), best first."""
        where, params = "", []
        for column, values in (("source", sources), ("collection", collections)):
            if values is not None:
                where += f" AND c.{column} IN ({','.join('?' * len(values))})"
                params += list(values)
        share = self._scope_share(sources, collections)
        if share >= NARROW_SCOPE:  # rank in the keyword index alone, then keep the best in scope
            limit = depth if share == 1 else math.ceil(depth / share) + depth
            sql = (
                "SELECT rowid, -bm25(chunk_fts) FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY bm25(chunk_fts) LIMIT ?"
            )
            ranked = self._db.execute(sql, [query, limit]).fetchall()
            rowids = ",".join(str(r[0]) for r in ranked)
            sql = f"SELECT c.rowid, c.id FROM chunks c WHERE c.rowid IN ({rowids}){where}"
            ids = dict(self._db.execute(sql, params))
            best = [(rowid, ids[rowid], float(score)) for rowid, score in ranked if rowid in ids][:depth]
            if len(best) == depth or len(ranked) < limit:
                return best
        sql = (  # a narrow scope, or one whose matches rank too low: rank the matches in scope
            "SELECT c.rowid, c.id, -bm25(chunk_fts) FROM chunk_fts JOIN chunks c ON c.rowid = chunk_fts.rowid "
            f"WHERE chunk_fts MATCH ?{where} ORDER BY bm25(chunk_fts) LIMIT ?"
        )
        return [(r[0], r[1], float(r[2])) for r in self._db.execute(sql, [query, *params, depth])]

    def _common_scores(
        self, rowids: list[int], common: set[str], frequencies: dict[str, int], chunks: int, mean_length: float
    ) -> dict[int, float]:
        """The BM25 scores of the `common` terms in the chunks of `rowids`, from their texts and FTS5's lengths."""
        if not common or not rowids:
            return {}
        marks = ",".join(str(r) for r in rowids)
        lengths = {
            r[0]: _varints(r[1])[0]
            for r in self._db.execute(f"SELECT id, sz FROM chunk_fts_docsize WHERE id IN ({marks})")
        }
        scores: dict[int, float] = {}
        for rowid, context, text in self._db.execute(
            f"SELECT rowid, context, text FROM chunks WHERE rowid IN ({marks})"
        ):
            counts = Counter(t for t in terms(f"{context}\n{text}") if t in common)
            length = lengths.get(rowid, 0)
            scores[rowid] = sum(
                bm25(tf, length, frequencies.get(t, 0), chunks, mean_length) for t, tf in counts.items()
            )
        return scores

    def _scope_share(self, sources: Sequence[str] | None, collections: Collection[str] | None) -> float:
        """The share of the index's chunks in `sources` and `collections` (None: all), at most."""
        sizes = self.source_sizes()
        total = sum(sizes.values()) or 1
        shares = [1.0]
        if sources is not None:
            shares.append(sum(sizes.get(s, 0) for s in sources) / total)
        if collections is not None:
            homes = self.collection_sizes()
            shares.append(sum(homes.get(c, 0) for c in collections) / total)
        return min(shares)

    def _statistics(self) -> tuple[dict[str, int], int, float]:
        """Chunks per indexed term, chunks in all and their mean length in terms, as FTS5 counts them; cached
        until this database changes (in any process)."""
        with self._lock:
            version = self._version()
            if self._vocabulary[0] != version:
                frequencies = {term: doc for term, doc in self._db.execute("SELECT term, doc FROM chunk_vocab")}
                row = self._db.execute("SELECT block FROM chunk_fts_data WHERE id = 1").fetchone()
                chunks, length = (_varints(row[0]) + [0, 0])[:2] if row else (0, 0)  # FTS5's averages record
                self._vocabulary = (version, frequencies, chunks, length / chunks if chunks else 1.0)
            return self._vocabulary[1:]

    def chunk_collections(self, ids: Sequence[str]) -> dict[str, str]:
        """The collection of each chunk id (unknown ids are left out)."""
        if not ids:
            return {}
        with self._lock:
            sql = f"SELECT id, collection FROM chunks WHERE id IN ({','.join('?' * len(ids))})"
            return {r[0]: r[1] for r in self._db.execute(sql, list(ids))}

    def version(self) -> tuple[int, int]:
        """Changes whenever this database changes, in this process or another."""
        with self._lock:
            return self._version()

    def _sources(self) -> tuple[dict[str, int], dict[str, str]]:
        with self._lock:
            version = self._version()
            if self._sizes[0] != version:
                sql = "SELECT source, collection, COUNT(*) FROM chunks GROUP BY source ORDER BY source"
                rows = self._db.execute(sql).fetchall()
                self._sizes = (version, ({r[0]: r[2] for r in rows}, {r[0]: r[1] for r in rows}))
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
            columns = 'id, source, title, text, start, "end", page, context, collection'
            rows = self._db.execute(f"SELECT {columns} FROM chunks WHERE id IN ({marks})", list(ids)).fetchall()
        return {r[0]: Chunk(*r[1:]) for r in rows}

    def sentences(self, chunk_id: str) -> list[SentenceVector]:
        """The sentences of a chunk, in order, with their vectors."""
        with self._lock:
            rows = self._db.execute(
                'SELECT s.start, s."end", s.vector FROM sentences s JOIN chunks c ON c.rowid = s.chunk_rowid '
                "WHERE c.id = ? ORDER BY s.start",
                (chunk_id,),
            ).fetchall()
        return [SentenceVector(r[0], r[1], np.frombuffer(r[2], dtype=np.float32)) for r in rows]

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


def _varints(blob: bytes) -> list[int]:
    """The numbers of one of FTS5's records: SQLite varints (big-endian, 7 bits a byte, the ninth byte whole)."""
    numbers, i = [], 0
    while i < len(blob):
        value = 0
        for j in range(9):
            byte = blob[i]
            i += 1
            if j == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        numbers.append(value)
    return numbers


def _batched(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


SideIndex: TypeAlias = "LocalIndex | PgIndex"  # what the store keeps beside Chroma: SQLite, or PostgreSQL (shared mode)
