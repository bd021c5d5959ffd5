"""Hybrid retrieval: dense and keyword search each find what the other misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import QA, SourceNotFoundError
from qa.retrieval import reciprocal_rank_fusion

pytestmark = pytest.mark.chroma_backends

BOILERS = ["Aster", "Birch", "Cedar", "Dahlia", "Elm", "Fern", "Gorse", "Hazel", "Iris", "Juniper"]
BOILERS += ["Kale", "Larch", "Maple", "Nettle", "Oak", "Poppy", "Quince", "Rowan", "Sage", "Thyme"]


def code(i: int) -> str:
    return f"ZX-{4400 + 7 * i}"


@pytest.fixture(scope="module")
def parts_qa(tmp_path_factory: pytest.TempPathFactory, chroma_url: str | None) -> QA:
    """Twenty near-identical part notes that differ only by a part code and a boiler, plus two unrelated notes."""
    root = tmp_path_factory.mktemp("parts")
    docs = root / "docs"
    docs.mkdir()
    for i, boiler in enumerate(BOILERS):
        text = f"Replacement gasket kit {code(i)} fits the {boiler} boiler. Order it from the spare parts desk."
        (docs / f"kit_{i:02d}.txt").write_text(text)
    (docs / "pets.txt").write_text("Cats are fond of fish and will often sleep in warm sunny spots.")
    (docs / "cars.txt").write_text("Electric cars charge overnight in the depot garage.")
    engine = QA(data_dir=root / "index", chroma_url=chroma_url)
    engine.ingest(docs)
    return engine


def top_source(qa: QA, question: str, mode: str) -> str | None:
    passages = qa.retrieve(question, k=3, retrieval=mode)  # type: ignore[arg-type]
    return passages[0].chunk.source if passages else None


def test_reciprocal_rank_fusion_sums_inverse_ranks() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert list(dict(reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60))) == ["b", "a", "c"]


def test_hybrid_finds_a_rare_part_code_that_dense_search_alone_misses(parts_qa: QA) -> None:
    expected = [f"kit_{i:02d}.txt" for i in range(len(BOILERS))]
    dense = [top_source(parts_qa, code(i), "dense") for i in range(len(BOILERS))]
    hybrid = [top_source(parts_qa, code(i), "hybrid") for i in range(len(BOILERS))]
    assert sum(d != e for d, e in zip(dense, expected, strict=True)) >= 3, "premise: dense alone confuses codes"
    assert hybrid == expected


def test_hybrid_finds_a_paraphrase_that_keyword_search_alone_misses(parts_qa: QA) -> None:
    question = "What do felines like to eat?"
    assert top_source(parts_qa, question, "keyword") is None, "premise: no word in common"
    assert top_source(parts_qa, question, "hybrid") == "pets.txt"


def test_passages_are_ranked_from_one_with_cosine_scores(parts_qa: QA) -> None:
    passages = parts_qa.retrieve("Which gasket fits the Maple boiler?", k=4)
    assert [p.rank for p in passages] == [1, 2, 3, 4]
    assert passages[0].chunk.source == "kit_12.txt"
    assert all(-1.0 <= p.score <= 1.0 for p in passages)


def test_top_k_limits_the_number_of_passages(parts_qa: QA) -> None:
    assert len(parts_qa.retrieve("gasket kit", k=2)) == 2


def test_source_filter_restricts_retrieval(parts_qa: QA) -> None:
    passages = parts_qa.retrieve("Which gasket fits the Maple boiler?", k=3, sources=["cars.txt", "pets.txt"])
    assert {p.chunk.source for p in passages} <= {"cars.txt", "pets.txt"}


def test_unknown_source_in_filter_is_a_clear_error(parts_qa: QA) -> None:
    with pytest.raises(SourceNotFoundError, match="nope.txt"):
        parts_qa.retrieve("gasket", sources=["nope.txt"])


def test_retrieval_reads_the_index_written_by_another_engine(parts_qa: QA, tmp_path: Path) -> None:
    reopened = QA(data_dir=parts_qa.settings.data_dir)
    assert top_source(reopened, "Which gasket fits the Maple boiler?", "hybrid") == "kit_12.txt"
