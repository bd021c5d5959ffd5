"""Keyword search in PostgreSQL (the shared mode, `index.postgres`), against a real server: terms as FTS5 makes
them, BM25 with statistics kept per collection, statistics kept in step by deletes, and a ranking as good
as SQLite's FTS5 on the squad-a paragraphs (beside the clone, as in CI)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.local import LocalIndex, SentenceVector, SideIndex, terms
from index.postgres import PgIndex
from index.types import Chunk

SQUAD = Path(__file__).resolve().parents[3] / "shared" / "eval" / "squad-a"


def same(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """The same chunks in the same order, with the same scores (to float noise)."""
    return [i for i, _ in a] == [i for i, _ in b] and all(
        x == pytest.approx(y) for (_, x), (_, y) in zip(a, b, strict=True)
    )


def add(index: SideIndex, *chunks: Chunk) -> None:
    vector = np.ones(4, dtype=np.float32) / 2
    index.add(chunks, [[SentenceVector(c.start, c.end, vector)] for c in chunks])


def test_terms_are_fts5s_lower_case_without_diacritics_and_porter_stemmed() -> None:
    assert terms("Café RÉSUMÉS, running_fast 2019") == ["cafe", "resum", "run", "fast", "2019"]


def test_one_collections_documents_do_not_reorder_anothers(database_url: str) -> None:
    index = PgIndex(database_url)
    mine = [
        Chunk("a.txt", "A", "The harbour crane lifts forty tonnes at the north quay.", 0, 55, collection="alice"),
        Chunk(
            "b.txt",
            "B",
            "The crane at the south quay lifts ten tonnes of harbour cargo daily.",
            0,
            66,
            collection="alice",
        ),
    ]
    add(index, *mine)
    before = index.search("harbour crane tonnes", 5, collections={"alice"})
    noise = [Chunk(f"n{i}.txt", "N", f"crane crane crane harbour note {i}", 0, 30, collection="bob") for i in range(40)]
    add(index, *noise)
    after = index.search("harbour crane tonnes", 5, collections={"alice"})
    assert same(after, before)
    assert {i for i, _ in index.search("harbour crane tonnes", 50)} >= {c.id for c in mine}  # all: both kinds


def test_deleting_chunks_keeps_the_statistics_in_step(database_url: str) -> None:
    index = PgIndex(database_url)
    keep = Chunk("keep.txt", "K", "The lighthouse keeper rings the fog bell.", 0, 41)
    gone = [Chunk(f"g{i}.txt", "G", f"Fog over the bay, day {i}.", 0, 25) for i in range(10)]
    add(index, keep)
    alone = index.search("fog bell lighthouse", 3)
    add(index, *gone)
    index.delete([c.id for c in gone])
    assert same(index.search("fog bell lighthouse", 3), alone)
    index.rebuild_keyword_index()
    assert same(index.search("fog bell lighthouse", 3), alone)
    assert index.keyword_rows_off() == 0


def test_the_ranking_is_as_good_as_sqlites_on_the_squad_paragraphs(database_url: str, tmp_path: Path) -> None:
    """Recall@5 of the gold paragraph over 612 questions, in one collection as SQLite's index has it."""
    assert (SQUAD / "questions.jsonl").is_file(), f"the squad-a set is not beside the clone ({SQUAD})"
    chunks = [
        Chunk(path.name, path.stem, text, 0, len(text))
        for path in sorted((SQUAD / "docs").iterdir())
        if (text := path.read_text(encoding="utf-8"))
    ]
    sqlite, postgres = LocalIndex(tmp_path / "local.sqlite"), PgIndex(database_url)
    for index in (sqlite, postgres):
        add(index, *chunks)
    questions = [json.loads(line) for line in (SQUAD / "questions.jsonl").read_text().splitlines()]
    sources = {c.id: c.source for c in chunks}

    def recall(index: SideIndex) -> float:
        found = [q["source_ids"][0] in {sources[i] for i, _ in index.search(q["question"], 5)} for q in questions]
        return sum(found) / len(found)

    ours, theirs = recall(postgres), recall(sqlite)
    assert ours >= theirs - 0.01, (ours, theirs)
    firsts = [
        [i for i, _ in postgres.search(q["question"], 1)] == [i for i, _ in sqlite.search(q["question"], 1)]
        for q in questions[:200]
    ]
    assert sum(firsts) / len(firsts) >= 0.8, sum(firsts) / len(firsts)  # mostly the same first hit


FIRST_VERSION = """
ALTER TABLE postings DROP CONSTRAINT postings_pkey, DROP COLUMN collection, DROP COLUMN length,
    ADD PRIMARY KEY (term, chunk);
DELETE FROM meta WHERE key = 'schema';
"""  # what the first shared-mode version made: postings (term, chunk, tf) only, and no schema version


def test_an_index_made_by_the_first_version_is_upgraded_by_the_first_app_server_to_start(database_url: str) -> None:
    import psycopg

    from index.postgres import SCHEMA_VERSION, schema_version

    index = PgIndex(database_url)
    add(
        index,
        *(Chunk(f"{n}.txt", "T", f"the ferry to island {n} leaves the harbour at dawn", 0, 48) for n in range(20)),
    )
    add(index, Chunk("mine.txt", "M", "my harbour ferry notes", 0, 22, collection="alice"))
    before = index.search("harbour ferry island 7", 5)
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(FIRST_VERSION)
        assert schema_version(db) == 1

    started = [PgIndex(database_url), PgIndex(database_url)]  # two app servers of the new version start

    assert all(same(server.search("harbour ferry island 7", 5), before) for server in started)
    assert (
        started[0].search("harbour", 5, collections={"alice"})[0][0]
        == Chunk("mine.txt", "M", "my harbour ferry notes", 0, 22).id
    )
    with psycopg.connect(database_url, autocommit=True) as db:
        assert schema_version(db) == SCHEMA_VERSION
        key = db.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'postings_pkey'")
        assert key.fetchone()[0] == "PRIMARY KEY (term, chunk) INCLUDE (tf, collection, length)"
        assert db.execute("SELECT COUNT(*) FROM postings WHERE collection IS NULL OR length = 0").fetchone()[0] == 0
    add(started[1], Chunk("new.txt", "N", "a new ferry timetable for the harbour", 0, 37))
    assert (
        started[0].search("timetable", 1)[0][0]
        == Chunk("new.txt", "N", "a new ferry timetable for the harbour", 0, 37).id
    )


def test_an_index_made_by_a_newer_version_is_refused_and_left_as_it_is(database_url: str) -> None:
    import psycopg

    from index.chroma import StoreConfigError

    PgIndex(database_url)
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(StoreConfigError, match=r"made by a newer version of qa \(schema 99.*install that version"):
        PgIndex(database_url)
    with psycopg.connect(database_url, autocommit=True) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "99"
