"""The index beside Chroma, in SQLite (`LocalIndex`) and in PostgreSQL (`PgIndex`, the shared mode): keyword query
pruning, page-heading context, names and phrases per source. Tests taking `side` run against both."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index.local import LocalIndex, SentenceVector, SideIndex, selective_words
from index.types import Chunk


@pytest.fixture(params=["sqlite", "postgresql"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> SideIndex:
    """An empty index beside Chroma: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        return LocalIndex(tmp_path / "local.sqlite")
    from index.postgres import PgIndex

    return PgIndex(request.getfixturevalue("database_url"))


def add(index: SideIndex, *chunks: Chunk) -> None:
    vector = np.ones(4, dtype=np.float32) / 2
    index.add(chunks, [[SentenceVector(c.start, c.end, vector)] for c in chunks])


def test_common_words_are_left_out_of_a_long_keyword_query() -> None:
    frequencies = {"patient": 900, "treat": 500, "tumour": 12, "suppressor": 7, "gene": 80, "mortal": 40}
    words = ["patients", "treated", "tumour", "suppressor", "genes", "mortality"]
    assert selective_words(words, frequencies, total=1000) == ["suppressor", "tumour", "mortality", "genes"]


def test_the_three_rarest_words_are_kept_even_when_all_are_common() -> None:
    frequencies = {"patient": 900, "treat": 500, "gene": 300, "show": 600}
    assert selective_words(["patients", "treated", "genes", "showed"], frequencies, total=1000) == [
        "genes",
        "treated",
        "showed",
    ]


ROWS = Chunk("acme.pdf", "Acme", "Total assets 5,000 4,000", 120, 144, page=3, context="CONSOLIDATED BALANCE SHEETS")


def test_a_chunk_is_found_by_the_words_of_its_page_heading(side: SideIndex) -> None:
    index = side
    add(index, ROWS, Chunk("other.pdf", "Other", "Total assets grew in the year", 0, 29, page=1))
    assert [i for i, _ in index.search("balance sheets total assets", 5)][0] == ROWS.id


def test_a_stored_chunk_keeps_its_context_and_exact_text(side: SideIndex) -> None:
    index = side
    add(index, ROWS)
    assert index.chunks([ROWS.id])[ROWS.id] == ROWS
    assert index.sentences(ROWS.id)[0].start == 120


def test_a_rebuilt_keyword_index_still_holds_the_headings(side: SideIndex) -> None:
    index = side
    add(index, ROWS)
    index.rebuild_keyword_index()
    assert [i for i, _ in index.search("balance sheets", 5)] == [ROWS.id]


def test_an_index_made_before_chunks_had_a_context_opens_and_takes_new_chunks(tmp_path: Path) -> None:
    path = tmp_path / "local.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, "
            'title TEXT NOT NULL, page INTEGER, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL)'
        )
        db.execute("INSERT INTO chunks VALUES (1, 'old', 'a.txt', 'A', NULL, 0, 5, 'Hello')")
    index = LocalIndex(path)
    assert index.chunks(["old"])["old"].context == ""
    add(index, ROWS)
    assert index.chunks([ROWS.id])[ROWS.id].context == "CONSOLIDATED BALANCE SHEETS"


def test_sources_are_listed_with_their_chunk_counts_and_phrases_counted_per_source(side: SideIndex) -> None:
    index = side
    add(index, ROWS, Chunk("b.txt", "Bee notes", "Foot Locker sells shoes.", 0, 24))
    add(index, Chunk("b.txt", "Bee notes", "A locker by the foot of the stairs.", 30, 65))
    assert index.source_sizes() == {"acme.pdf": 1, "b.txt": 2}
    assert index.phrase_counts(["foot", "locker"]) == {"b.txt": 1}
    assert index.phrase_counts(["balance"]) == {"acme.pdf": 1}  # the heading counts too
    assert index.phrase_counts(["foot-locker"]) == {}  # not plain words: nothing is matched


def test_a_scoped_search_finds_the_best_matches_in_scope_however_low_they_rank_in_the_whole_index(
    side: SideIndex,
) -> None:
    index = side
    strong = [Chunk(f"big{n:03}.txt", "Big", "zebra zebra zebra stripes", 0, 25, collection="big") for n in range(300)]
    weak = [Chunk("small0.txt", "Small", "one zebra among many other animals", 0, 35, collection="small")]
    weak += [
        Chunk(f"small{n}.txt", "Small", f"a zebra, seen once at the river {n}", 0, 36, collection="small")
        for n in range(1, 4)
    ]
    plain = [Chunk(f"wide{n:03}.txt", "Wide", f"lions and giraffes {n}", 0, 22, collection="wide") for n in range(150)]
    add(index, *strong, *weak, *plain)
    weak_ids = {c.id for c in weak}

    for scope in (
        {"small"},
        {"small", "wide"},
    ):  # a narrow scope, and a wide one whose matches all rank below 300 others
        found = index.search("zebra", 40, collections=scope)
        assert {i for i, _ in found} == weak_ids, scope
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    in_sources = index.search("zebra", 2, sources=[c.source for c in weak[:3]])
    assert {i for i, _ in in_sources} <= {c.id for c in weak[:3]} and len(in_sources) == 2
    everywhere = index.search("zebra", 10)
    assert {i for i, _ in everywhere} <= {c.id for c in strong} and len(everywhere) == 10


def test_the_common_words_scores_added_for_the_best_chunks_make_fts5s_bm25_of_all_the_words(tmp_path: Path) -> None:
    index = LocalIndex(tmp_path / "local.sqlite")
    chunks = [
        Chunk(f"{n}.txt", "T", f"The river {'runs ' * (n % 4)}past mill number {n}, and the river runs on.", 0, 60)
        for n in range(30)
    ]
    chunks += [Chunk("weir.txt", "W", "A weir on the river: the weir's river-runs are Élan's.", 0, 55, context="WEIRS")]
    add(index, *chunks)
    question = "weir runs river"  # "weir" is selective; "runs" and "river" are in most chunks
    frequencies, total, _ = index._statistics()
    assert selective_words(["weir", "runs", "river"], frequencies, total) == ["weir"]

    found = index.search(question, 5)

    marks = ",".join("?" * len(found))
    every_word = "SELECT c.id, -bm25(chunk_fts) FROM chunk_fts JOIN chunks c ON c.rowid = chunk_fts.rowid "
    every_word += f'WHERE chunk_fts MATCH \'"weir" OR "runs" OR "river"\' AND c.id IN ({marks})'
    exact = dict(index._db.execute(every_word, [i for i, _ in found]).fetchall())
    assert found[0][0] == chunks[-1].id and len(exact) == len(found) == 1  # only one chunk has the selective word
    assert all(score == pytest.approx(exact[i], rel=1e-9) for i, score in found)


def test_in_a_small_index_where_every_word_is_common_the_rarest_words_present_still_rank(side: SideIndex) -> None:
    index = side
    memo = Chunk("memo.txt", "Memo", "Zephyr will pay 412 million for Quillon in the merger.", 0, 54)
    add(index, memo, *(Chunk(f"{n}.txt", "Other", f"The canteen opens at {n} o'clock.", 0, 30) for n in range(3)))
    # in 4 chunks every word present is in over a tenth of them; "company" is in none
    assert [i for i, _ in index.search("How much will the company pay for Quillon in the Zephyr merger?", 5)] == [
        memo.id
    ]
