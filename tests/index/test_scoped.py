"""Dense search within collections gives what Chroma's own `where` filter gives, by every strategy."""

from __future__ import annotations

from pathlib import Path

import pytest

import index.scoped
from access.permissions import ADMIN
from qa import QA

pytestmark = pytest.mark.chroma_backends
TOPICS = ["reactor", "harbour", "orchard", "glacier", "library", "bakery", "railway", "vineyard"]


@pytest.fixture
def spread(qa: QA, tmp_path: Path) -> QA:
    """40 short notes over a big collection, a middle one and a small one."""
    sizes = {"big": 26, "middle": 10, "small": 4}
    n = 0
    for name, size in sizes.items():
        qa.library.create(name, ADMIN, owner="")
        folder = tmp_path / name
        folder.mkdir()
        for _ in range(size):
            topic = TOPICS[n % len(TOPICS)]
            (folder / f"note{n:02}.txt").write_text(f"Note {n} is about the {topic}, visited in year {1950 + n}.")
            n += 1
        qa.ingest(folder, collection=name)
    return qa


@pytest.mark.parametrize("collections", [{"big", "middle"}, {"big"}, {"middle"}, {"small"}, {"middle", "small"}])
@pytest.mark.parametrize("strategy", ["overfetch", "exact", "chroma"])
def test_every_strategy_finds_the_nearest_chunks_of_the_readable_collections(
    spread: QA, monkeypatch: pytest.MonkeyPatch, collections: set[str], strategy: str
) -> None:
    monkeypatch.setattr(index.scoped, "MIN_SHARE", 0.0 if strategy == "overfetch" else 1.1)
    monkeypatch.setattr(index.scoped, "EXACT_LIMIT", 0 if strategy == "chroma" else 50_000)
    store = spread.store
    for topic in TOPICS[:4]:
        vector = spread.embedder.query_vector(f"Which note is about the {topic}?")
        got = store.dense_search(vector, 5, None, collections)
        want = store.scoped.filtered(vector, 5, {"collection": {"$in": sorted(collections)}})
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [round(s, 4) for _, s in got] == [round(s, 4) for _, s in want]
        homes = store.local.chunk_collections([i for i, _ in got])
        assert set(homes.values()) <= collections


def test_a_reader_of_nothing_or_of_everything(spread: QA) -> None:
    vector = spread.embedder.query_vector("the orchard")
    assert spread.store.dense_search(vector, 5, None, {"nobody-reads-this"}) == []
    everything = {"big", "middle", "small", "default"}
    assert spread.store.dense_search(vector, 5, None, everything) == spread.store.dense_search(vector, 5)


def test_the_cached_vectors_follow_the_index(spread: QA, tmp_path: Path) -> None:
    vector = spread.embedder.query_vector("the submarine")
    before = spread.store.dense_search(vector, 3, None, {"small"})
    (tmp_path / "small" / "sub.txt").write_text("Note 99 is about the submarine, visited in 2001.")
    spread.ingest(tmp_path / "small", collection="small")
    after = spread.store.dense_search(vector, 3, None, {"small"})
    assert after[0][0] != before[0][0]
    assert spread.store.chunks([after[0][0]])[after[0][0]].source == "small/sub.txt"
