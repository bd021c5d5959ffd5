"""An index moves between machines: built by one back end, queried by another, with retrieval quality kept.

A small retrieval set is cut from `../shared/eval/scifact-train` (beside the clone, as in CI):
claims with their gold abstracts among distractors. The index is built once by the back end this
machine's `auto` picks; every other back end then asks the same questions of it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evaluation import QuestionSet, evaluate, load_question_set
from index.backends import BACKENDS, resolve_backend
from qa import QA

SCIFACT = Path(__file__).resolve().parents[3] / "shared" / "eval" / "scifact-train"
QUESTIONS, DOCUMENTS = 60, 240


@pytest.fixture(scope="module")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> QuestionSet:
    if not (SCIFACT / "questions.jsonl").is_file():
        pytest.skip(f"the SciFact set is not beside the clone ({SCIFACT})")
    root = tmp_path_factory.mktemp("scifact-small")
    (root / "docs").mkdir()
    questions = [json.loads(line) for line in (SCIFACT / "questions.jsonl").read_text().splitlines()][:QUESTIONS]
    gold = {source for q in questions for source in q["source_ids"]}
    distractors = (p.name for p in sorted((SCIFACT / "docs").iterdir()) if p.name not in gold)
    for name in [*sorted(gold), *distractors][:DOCUMENTS]:
        shutil.copy(SCIFACT / "docs" / name, root / "docs" / name)
    kept = [q for q in questions if all((root / "docs" / s).exists() for s in q["source_ids"])]
    (root / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in kept))
    return load_question_set(root, root / "cache")


@pytest.fixture(scope="module")
def built(small_set: QuestionSet, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, float]:
    """The index built by this machine's `auto` back end, and its own dense nDCG@10."""
    data_dir = tmp_path_factory.mktemp("portable") / "index"
    builder = QA(data_dir=data_dir)
    assert small_set.docs is not None
    builder.ingest(small_set.docs)
    on_index = QuestionSet(small_set.name, small_set.path, small_set.questions)  # ask this index, build none
    return data_dir, builder.embedder.backend, evaluate(builder, on_index, mode="dense")["metrics"]["ndcg@10"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_another_back_end_queries_the_index_with_ndcg_within_0_01(
    small_set: QuestionSet, built: tuple[Path, str, float], backend: str
) -> None:
    data_dir, builder, own = built
    assert resolve_backend("auto").backend == builder
    assert own > 0.5  # the set is not trivial, and not hopeless: the comparison means something
    asker = QA(data_dir=data_dir, embedding={"backend": backend})
    on_index = QuestionSet(small_set.name, small_set.path, small_set.questions)
    ndcg = evaluate(asker, on_index, mode="dense")["metrics"]["ndcg@10"]
    assert abs(ndcg - own) <= 0.01, f"{backend} on an index built by {builder}: {ndcg:.4f} vs {own:.4f}"
