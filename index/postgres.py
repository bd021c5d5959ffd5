"""The shared mode's side of the index in PostgreSQL: what `index.local.LocalIndex` keeps in SQLite, for any
number of app servers at once (`QA_DATABASE_URL`, beside a Chroma server for the vectors).

The same interface as `LocalIndex` (chunks, keyword search, sentence vectors, the manifest of files and
collections, meta), so `index.store.ChunkStore` and everything above it run unchanged. Keyword search is
BM25 over a postings table (term, chunk, tf, and the chunk's collection and length, so that scoring reads
the postings alone) written at ingest, with the statistics (chunks per term, chunks and length per
collection) kept per collection, so that one collection's documents do not change how another's rank.
A query is scored in two stages inside PostgreSQL: its selective words (in at most `COMMON_SHARE` of the
chunks searched) rank candidates, then the common words' scores are added for the best `CANDIDATES` of
them; with no selective word, the three rarest words rank. Terms are FTS5's: unicode letters and digits,
lower-cased, diacritics removed, Porter-stemmed.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from index.chroma import StoreConfigError
from index.local import CANDIDATES, K1, B, SentenceVector, SourceTotals, selective_words, terms
from index.manifest import DEFAULT_COLLECTION, DocumentRecord
from index.manifest import Collection as Shelf
from index.types import Chunk
from index.words import content_words

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO changes VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, root TEXT NOT NULL, sha256 TEXT NOT NULL, title TEXT NOT NULL,
    collection TEXT NOT NULL DEFAULT '{DEFAULT_COLLECTION}');
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, visibility TEXT NOT NULL, groups TEXT NOT NULL DEFAULT '');
INSERT INTO collections (name, owner, visibility) VALUES ('{DEFAULT_COLLECTION}', '', 'public') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS chunks (
    rowid BIGSERIAL PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
    page INTEGER, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '', collection TEXT NOT NULL DEFAULT '{DEFAULT_COLLECTION}',
    length INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_collection ON chunks(collection);
CREATE TABLE IF NOT EXISTS postings (
    term TEXT NOT NULL, chunk BIGINT NOT NULL REFERENCES chunks(rowid) ON DELETE CASCADE, tf INTEGER NOT NULL,
    collection TEXT NOT NULL, length INTEGER NOT NULL,
    PRIMARY KEY (term, chunk) INCLUDE (tf, collection, length));
CREATE INDEX IF NOT EXISTS postings_chunk ON postings(chunk);
CREATE TABLE IF NOT EXISTS term_stats (
    collection TEXT NOT NULL, term TEXT NOT NULL, df INTEGER NOT NULL, PRIMARY KEY (term, collection));
CREATE TABLE IF NOT EXISTS collection_stats (
    collection TEXT PRIMARY KEY, chunks BIGINT NOT NULL, length BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sentences (
    chunk BIGINT NOT NULL REFERENCES chunks(rowid) ON DELETE CASCADE, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, vector BYTEA NOT NULL);
CREATE INDEX IF NOT EXISTS sentences_chunk ON sentences(chunk);
"""

# BM25 of the postings of some terms, each with its own collection's statistics: the weights (per term and
# collection: idf times k1 + 1, and the length normalisation's two terms) come as arrays, worked out from
# the statistics' rows, so the per-posting work is a little float arithmetic; a posting carries its chunk's
# collection and length, so scoring reads the postings' index alone (no join with the chunk rows)
_WEIGHTED = """p.chunk, SUM(w.idf * p.tf / (p.tf + w.fixed + w.per_length * p.length))"""
_WEIGHTS = """JOIN unnest(%(w_term)s::text[], %(w_collection)s::text[], %(w_idf)s::float8[], %(w_fixed)s::float8[],
            %(w_per_length)s::float8[]) AS w(term, collection, idf, fixed, per_length)
  ON w.term = p.term AND w.collection = p.collection"""
_SCORE = f"""
SELECT {_WEIGHTED}
FROM postings p
{_WEIGHTS}
WHERE p.term = ANY(%(terms)s)
"""
# The same for the chunks of `rows` only: each (term, chunk) is looked up in the postings' primary key, so the
# common words' long posting lists are never read (OFFSET 0 keeps the planner from joining whole lists instead)
_SCORE_ROWS = f"""
SELECT {_WEIGHTED}
FROM unnest(%(rows)s::bigint[]) AS r(chunk)
CROSS JOIN LATERAL (SELECT * FROM postings WHERE term = ANY(%(terms)s) AND chunk = r.chunk OFFSET 0) AS p
{_WEIGHTS}
GROUP BY p.chunk
"""


SCHEMA_VERSION = 2
# The statements that bring a database of the version before to each version, applied in order at start
MIGRATIONS = {
    # 2: postings carry their chunk's collection and length, in a covering primary key
    2: """
ALTER TABLE postings ADD COLUMN collection TEXT, ADD COLUMN length INTEGER;
UPDATE postings p SET collection = c.collection, length = c.length FROM chunks c WHERE c.rowid = p.chunk;
ALTER TABLE postings ALTER COLUMN collection SET NOT NULL, ALTER COLUMN length SET NOT NULL,
    DROP CONSTRAINT postings_pkey, ADD PRIMARY KEY (term, chunk) INCLUDE (tf, collection, length);
""",
}


def upgrade(db: Any, url: str) -> None:
    """Make this version's tables in the database of `db`, or bring those of an earlier version to it
    (`MIGRATIONS`); refuse a database made by a later version. Run under the start's advisory lock."""
    found = schema_version(db)
    if found is not None and found > SCHEMA_VERSION:
        raise StoreConfigError(
            f"the index in {_plain(url).rsplit('@', 1)[-1]} was made by a newer version of qa (schema {found}; "
            f"this one knows up to {SCHEMA_VERSION}): install that version on this app server"
        )
    for version in range(found or SCHEMA_VERSION, SCHEMA_VERSION):
        db.execute(MIGRATIONS[version + 1])
    db.execute(SCHEMA)
    db.execute(
        "INSERT INTO meta VALUES ('schema', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (str(SCHEMA_VERSION),),
    )


def schema_version(db: Any) -> int | None:
    """The schema version of the index in the database of `db`; None when it holds none yet. Databases made
    before the version was written down are told apart by their postings."""
    if db.execute("SELECT to_regclass('chunks')").fetchone()[0] is None:
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row:
        return int(row[0])
    covering = "SELECT 1 FROM information_schema.columns WHERE table_name = 'postings' AND column_name = 'length'"
    return 2 if db.execute(covering).fetchone() else 1


class Weight(NamedTuple):
    """A term's BM25 weight in one collection: its chunks, idf times (k1 + 1), and the length normalisation
    k1 (1 - b) + k1 b / mean length, as FTS5's `bm25()` has them."""

    df: int
    idf: float
    fixed: float
    per_length: float


def _arrays(weights: dict[tuple[str, str], Weight], wanted: list[str]) -> dict[str, list[Any]]:
    """The `_SCORE` parameters of the weights of `wanted` terms."""
    chosen = [(key, w) for key, w in weights.items() if key[0] in wanted]
    return {
        "w_term": [key[0] for key, _ in chosen],
        "w_collection": [key[1] for key, _ in chosen],
        "w_idf": [w.idf for _, w in chosen],
        "w_fixed": [w.fixed for _, w in chosen],
        "w_per_length": [w.per_length for _, w in chosen],
    }


class PgIndex(SourceTotals):
    """Chunks, keyword postings, sentence vectors, the manifest and meta, in one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        """Connect to the database at `url` (postgresql://...) and create the tables it lacks."""
        import psycopg

        self.url = url
        self._db = psycopg.connect(_plain(url), autocommit=True)
        self._lock = threading.RLock()
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(7211)")  # two app servers starting at once
            upgrade(self._db, url)
        self._sizes: tuple[Any, tuple[dict[str, int], dict[str, str]]] = (None, ({}, {}))
        self._collection_sizes: tuple[object, dict[str, int]] = (None, {})

    # writes

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._db.transaction():
            yield self._db
            self._db.execute("UPDATE changes SET version = version + 1 WHERE id = 1")

    def add(self, chunks: Sequence[Chunk], sentences: Sequence[Sequence[SentenceVector]]) -> None:
        """Insert chunks (replacing any with the same id) with their sentence vectors and keyword postings:
        one statement for the rows, COPY for postings and sentences, one statement per collection's statistics."""
        if not chunks:
            return
        counts = [Counter(terms(c.indexed_text)) for c in chunks]
        lengths = [sum(found.values()) for found in counts]
        fields = [(c.id, c.source, c.title, c.page, c.start, c.end, c.text, c.context, c.collection) for c in chunks]
        columns = [list(column) for column in zip(*fields, strict=True)]
        with self._transaction() as db:
            self._delete(db, [c.id for c in chunks])
            rows = db.execute(
                'INSERT INTO chunks (id, source, title, page, start, "end", text, context, collection, length) '
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::int[], %s::int[], "
                "%s::text[], %s::text[], %s::text[], %s::int[]) RETURNING id, rowid",
                [*columns, lengths],
            ).fetchall()
            rowids = dict(rows)
            copying = "COPY postings (term, chunk, tf, collection, length) FROM STDIN"
            with db.cursor() as cur, cur.copy(copying) as copy:
                for c, found, length in zip(chunks, counts, lengths, strict=True):
                    for term, tf in found.items():
                        copy.write_row((term, rowids[c.id], tf, c.collection, length))
            with db.cursor() as cur, cur.copy('COPY sentences (chunk, start, "end", vector) FROM STDIN') as copy:
                for c, chunk_sentences in zip(chunks, sentences, strict=True):
                    for s in chunk_sentences:
                        copy.write_row((rowids[c.id], s.start, s.end, s.vector.astype(np.float32).tobytes()))
            changes = [(c.collection, found, 1, n) for c, found, n in zip(chunks, counts, lengths, strict=True)]
            self._count_all(db, changes)

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id; unknown ids are ignored."""
        with self._transaction() as db:
            self._delete(db, list(ids))

    def _delete(self, db: Any, ids: list[str]) -> None:
        if not ids:
            return
        rows = db.execute(
            "SELECT c.collection, c.length, array_agg(p.term) FILTER (WHERE p.term IS NOT NULL) "
            "FROM chunks c LEFT JOIN postings p ON p.chunk = c.rowid WHERE c.id = ANY(%s) GROUP BY c.rowid",
            (ids,),
        ).fetchall()
        self._count_all(db, [(collection, found or [], -1, -length) for collection, length, found in rows])
        db.execute("DELETE FROM chunks WHERE id = ANY(%s)", (ids,))  # postings and sentences go with them

    @staticmethod
    def _count_all(db: Any, changes: Sequence[tuple[str, Iterable[str], int, int]]) -> None:
        """Add each change (a collection, a chunk's distinct terms, +1 or -1 chunk, its length) to the
        statistics: one statement per collection and table."""
        chunks: Counter[str] = Counter()
        length: Counter[str] = Counter()
        df: dict[str, Counter[str]] = {}
        for collection, found, sign, size in changes:
            chunks[collection] += sign
            length[collection] += size
            df.setdefault(collection, Counter()).update(dict.fromkeys(found, sign))
        for collection in chunks:
            db.execute(
                "INSERT INTO collection_stats VALUES (%s, %s, %s) ON CONFLICT (collection) DO UPDATE SET "
                "chunks = collection_stats.chunks + EXCLUDED.chunks, "
                "length = collection_stats.length + EXCLUDED.length",
                (collection, chunks[collection], length[collection]),
            )
            changed = {term: n for term, n in df[collection].items() if n}
            if changed:
                db.execute(
                    "INSERT INTO term_stats (collection, term, df) "
                    "SELECT %s, unnest(%s::text[]), unnest(%s::int[]) "
                    "ON CONFLICT (term, collection) DO UPDATE SET df = term_stats.df + EXCLUDED.df",
                    (collection, list(changed), list(changed.values())),
                )

    def rebuild_keyword_index(self) -> None:
        """Write the postings and their statistics again from the chunk rows."""
        with self._transaction() as db:
            db.execute("DELETE FROM postings; DELETE FROM term_stats; DELETE FROM collection_stats;")
            rows = db.execute(
                'SELECT rowid, id, source, title, text, start, "end", page, context, collection FROM chunks'
            ).fetchall()
            for rowid, *fields in rows:
                chunk = Chunk(*fields[1:])
                counts = Counter(terms(chunk.indexed_text))
                length = sum(counts.values())
                db.execute("UPDATE chunks SET length = %s WHERE rowid = %s", (length, rowid))
                with db.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO postings VALUES (%s, %s, %s, %s, %s)",
                        [(t, rowid, tf, chunk.collection, length) for t, tf in counts.items()],
                    )
                self._count_all(db, [(chunk.collection, counts, 1, sum(counts.values()))])

    # keyword search

    def search(
        self, question: str, n: int, sources: Sequence[str] | None = None, collections: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """BM25 keyword search in `sources` and `collections` (None: all): the best `n` chunk ids with their
        scores (higher is better)."""
        wanted = list(dict.fromkeys(terms(" ".join(content_words(question)))))
        if not wanted:
            return []
        where, params = "", {}
        if sources is not None:
            where += " AND p.chunk IN (SELECT rowid FROM chunks WHERE source = ANY(%(sources)s))"
            params["sources"] = list(sources)
        if collections is not None:
            where += " AND p.collection = ANY(%(collections)s)"
            params["collections"] = list(collections)
        with self._lock:
            weights = self._weights(wanted, collections)
            rare, common = self._split(wanted, weights, collections)
            sql = f"{_SCORE}{where} GROUP BY p.chunk ORDER BY 2 DESC LIMIT %(limit)s"
            first = {**params, **_arrays(weights, rare), "terms": rare, "limit": max(n, CANDIDATES)}
            scores = {r[0]: float(r[1]) for r in self._db.execute(sql, first)}
            if common and scores:
                second = {**_arrays(weights, common), "terms": common, "rows": list(scores)}
                for rowid, score in self._db.execute(_SCORE_ROWS, second):
                    scores[rowid] += float(score)
            best = sorted(scores.items(), key=lambda item: -item[1])[:n]
            rows = self._db.execute("SELECT rowid, id FROM chunks WHERE rowid = ANY(%s)", ([r for r, _ in best],))
            ids: dict[int, str] = {int(r[0]): str(r[1]) for r in rows}
        return [(ids[rowid], score) for rowid, score in best if rowid in ids]

    def _weights(self, wanted: list[str], collections: Collection[str] | None) -> dict[tuple[str, str], Weight]:
        """The BM25 weights of `wanted` terms in each collection of `collections` (None: all) that holds them."""
        scope, params = (
            ("", {}) if collections is None else (" AND t.collection = ANY(%(c)s)", {"c": list(collections)})
        )
        sql = (
            "SELECT t.term, t.collection, t.df, s.chunks, s.length FROM term_stats t "
            f"JOIN collection_stats s ON s.collection = t.collection WHERE t.term = ANY(%(t)s){scope}"
        )
        weights = {}
        for term, collection, df, chunks, length in self._db.execute(sql, {**params, "t": wanted}):
            idf = max(math.log((chunks - df + 0.5) / (df + 0.5)), 1e-6)
            mean_length = length / chunks if length else 1.0
            weights[term, collection] = Weight(df, idf * (K1 + 1), K1 * (1 - B), K1 * B / mean_length)
        return weights

    def _split(
        self, wanted: list[str], weights: dict[tuple[str, str], Weight], collections: Collection[str] | None
    ) -> tuple[list[str], list[str]]:
        """The selective terms (`selective_words`, of the terms themselves) and the others."""
        scope, params = (
            ("", {}) if collections is None else (" WHERE collection = ANY(%(c)s)", {"c": list(collections)})
        )
        total = int(_scalar(self._db, f"SELECT COALESCE(SUM(chunks), 0) FROM collection_stats{scope}", params))
        df = Counter[str]()
        for (term, _), weight in weights.items():
            df[term] += weight.df
        rare = selective_words(wanted, df, total, key=str)
        return rare, [t for t in wanted if t not in rare]

    def phrase_counts(self, words: Sequence[str]) -> dict[str, int]:
        """Chunks per source that contain `words` (plain lower-case words) in a row."""
        if not words or not all(re.fullmatch(r"\w+", w) for w in words):
            return {}
        pattern = r"\m" + r"\W+".join(words) + r"\M"
        sql = "SELECT source, COUNT(*) FROM chunks WHERE (context || ' ' || text) ~* %s GROUP BY source"
        with self._lock:
            return {r[0]: r[1] for r in self._db.execute(sql, (pattern,))}

    # reads

    def version(self) -> tuple[int, int]:
        """Changes whenever the index changes, through any app server."""
        with self._lock:
            return int(_scalar(self._db, "SELECT version FROM changes WHERE id = 1")), 0

    def _sources(self) -> tuple[dict[str, int], dict[str, str]]:
        with self._lock:
            version = self.version()
            if self._sizes[0] != version:
                sql = "SELECT source, collection, COUNT(*) FROM chunks GROUP BY source, collection ORDER BY source"
                rows = self._db.execute(sql).fetchall()
                self._sizes = (version, ({r[0]: r[2] for r in rows}, {r[0]: r[1] for r in rows}))
            return self._sizes[1]

    def chunk_collections(self, ids: Sequence[str]) -> dict[str, str]:
        """The collection of each chunk id (unknown ids are left out)."""
        with self._lock:
            rows = self._db.execute("SELECT id, collection FROM chunks WHERE id = ANY(%s)", (list(ids),))
            return {r[0]: r[1] for r in rows}

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Look chunks up by id."""
        columns = 'id, source, title, text, start, "end", page, context, collection'
        with self._lock:
            rows = self._db.execute(f"SELECT {columns} FROM chunks WHERE id = ANY(%s)", (list(ids),)).fetchall()
        return {r[0]: Chunk(*r[1:]) for r in rows}

    def sentences(self, chunk_id: str) -> list[SentenceVector]:
        """The sentences of a chunk, in order, with their vectors."""
        with self._lock:
            rows = self._db.execute(
                'SELECT s.start, s."end", s.vector FROM sentences s JOIN chunks c ON c.rowid = s.chunk '
                "WHERE c.id = %s ORDER BY s.start",
                (chunk_id,),
            ).fetchall()
        return [SentenceVector(r[0], r[1], np.frombuffer(r[2], dtype=np.float32)) for r in rows]

    def chunk_ids(self, source: str) -> list[str]:
        """Ids of one source's chunks."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE source = %s", (source,))]

    def chunk_sources(self) -> list[tuple[str, str]]:
        """(id, source) of every chunk."""
        with self._lock:
            return [(r[0], r[1]) for r in self._db.execute("SELECT id, source FROM chunks")]

    def keyword_rows_off(self) -> int:
        """Chunks with words but no postings (0 when in step; postings never outlive their chunk)."""
        sql = (
            "SELECT COUNT(*) FROM chunks c "
            "WHERE c.length > 0 AND NOT EXISTS (SELECT 1 FROM postings p WHERE p.chunk = c.rowid)"
        )
        with self._lock:
            return int(_scalar(self._db, sql))

    def count(self) -> int:
        """Number of chunks."""
        with self._lock:
            return int(_scalar(self._db, "SELECT COUNT(*) FROM chunks"))

    def is_empty(self) -> bool:
        """Whether no chunk is indexed."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None

    # the manifest

    def document(self, source: str) -> DocumentRecord | None:
        """The manifest entry of a source, if it was ingested."""
        with self._lock:
            found = self._db.execute(f"{_DOCUMENT} WHERE source = %s", (source,)).fetchone()
        return DocumentRecord(*found) if found else None

    def documents_under(self, root: str, collection: str) -> list[DocumentRecord]:
        """Manifest entries ingested from folder `root` into `collection`."""
        with self._lock:
            rows = self._db.execute(f"{_DOCUMENT} WHERE root = %s AND collection = %s", (root, collection))
            return [DocumentRecord(*r) for r in rows]

    def all_documents(self) -> list[DocumentRecord]:
        """Every manifest entry."""
        with self._lock:
            return [DocumentRecord(*r) for r in self._db.execute(_DOCUMENT)]

    def put_document(self, record: DocumentRecord) -> None:
        """Record (or update) a file in the manifest."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO documents (source, root, sha256, title, collection) VALUES (%s,%s,%s,%s,%s) "
                "ON CONFLICT (source) DO UPDATE SET root = EXCLUDED.root, sha256 = EXCLUDED.sha256, "
                "title = EXCLUDED.title, collection = EXCLUDED.collection",
                (record.source, record.root, record.sha256, record.title, record.collection),
            )

    def delete_document(self, source: str) -> None:
        """Drop a file from the manifest."""
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE source = %s", (source,))

    def collections(self) -> dict[str, Shelf]:
        """Every collection by name."""
        with self._lock:
            rows = self._db.execute("SELECT name, owner, visibility, groups FROM collections ORDER BY name")
            return {r[0]: Shelf(r[0], r[1], r[2], frozenset(g for g in r[3].split(",") if g)) for r in rows}

    def put_collection(self, collection: Shelf) -> None:
        """Create a collection, or change its owner, visibility or groups."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO collections (name, owner, visibility, groups) VALUES (%s,%s,%s,%s) ON CONFLICT (name) "
                "DO UPDATE SET owner = EXCLUDED.owner, visibility = EXCLUDED.visibility, groups = EXCLUDED.groups",
                (collection.name, collection.owner, collection.visibility, ",".join(sorted(collection.groups))),
            )

    # meta

    def get_meta(self, key: str) -> str | None:
        """Read a small piece of index metadata."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Write a small piece of index metadata."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (key, value)
            )

    def claim_meta(self, key: str, value: str) -> str:
        """Record `value` under `key` unless a value is there already; return the recorded one."""
        with self._transaction() as db:
            db.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT DO NOTHING", (key, value))
            return str(db.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()[0])

    def delete_meta(self, key: str) -> None:
        """Remove a piece of index metadata."""
        with self._transaction() as db:
            db.execute("DELETE FROM meta WHERE key = %s", (key,))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


_DOCUMENT = "SELECT source, root, sha256, title, collection FROM documents"


def _scalar(db: Any, sql: str, params: Any = None) -> Any:
    """The first column of the first row of a query that always returns one."""
    row = db.execute(sql, params).fetchone()
    if row is None:  # pragma: no cover - aggregates and the one `changes` row always answer
        raise LookupError(sql)
    return row[0]


def _plain(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (postgresql+psycopg://... -> postgresql://...)."""
    return re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", url)


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy URL of the database (psycopg 3 driver), for LangChain's record manager."""
    return "postgresql+psycopg://" + _plain(url).removeprefix("postgresql://")
