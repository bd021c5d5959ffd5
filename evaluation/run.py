"""Run a question set against the engine: a verified index, then every question asked, timed and scored."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from evaluation.eval_index import IngestProgress, index_for
from evaluation.metrics import aggregate
from evaluation.questions import Question, QuestionSet
from evaluation.scoring import DEPTH, score_question
from qa.request import AnswerMode, RetrievalMode
from qa.service import QA

Progress = Callable[[int, int], None]


def run_question(
    engine: QA, q: Question, k: int, mode: RetrievalMode, answer_mode: AnswerMode | None = None
) -> dict[str, Any]:
    """Ask one question, timing retrieval alone and the whole answer (each embedding the question afresh)."""
    start = time.perf_counter()
    passages = engine.retrieve(q.question, k=max(DEPTH, k), retrieval=mode)
    retrieved = time.perf_counter()
    engine.embedder.clear_cache()
    asked = time.perf_counter()
    answer = engine.ask(q.question, k=k, retrieval=mode, mode=answer_mode)
    done = time.perf_counter()
    return score_question(q, answer, passages, ((retrieved - start) * 1000, (done - asked) * 1000))


def evaluate(
    qa: QA,
    qset: QuestionSet,
    k: int = 5,
    mode: RetrievalMode = "hybrid",
    progress: Progress | None = None,
    ingest_progress: IngestProgress | None = None,
    answer_mode: AnswerMode | None = None,
) -> dict[str, Any]:
    """Run every question of the set; returns the JSON-ready result (`qa eval --json`).

    Raises:
        UnindexedDocumentsError: a document of the set is not indexed (nothing is asked, see `index_for`).
    """
    engine = index_for(qa, qset, ingest_progress)
    engine.embedder.warm_up()  # untimed: load the model, trace the question graph
    engine.retrieve(qset.questions[0].question, retrieval=mode)  # untimed: open the index
    records = []
    for done, q in enumerate(qset.questions, start=1):
        records.append(run_question(engine, q, k, mode, answer_mode))
        if progress:
            progress(done, len(qset.questions))
    return {
        "set": qset.name,
        "path": str(qset.path),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {"k": k, "retrieval": mode, "answer_mode": answer_mode or engine.default_mode},
        "n_questions": len(records),
        "n_documents": len(engine.sources()),
        "metrics": aggregate(records, k),
        "questions": records,
    }
