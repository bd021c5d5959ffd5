"""Run a question set against the engine: per-question records, aggregate metrics, baseline comparison."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.store import INDEX_FORMAT
from qa.citecheck import split_claims
from qa.metrics import (
    METRIC_GROUPS,
    contains_answer,
    exact_match,
    first_relevant_rank,
    hit_at,
    lower_is_better,
    mean,
    metric_group,
    mrr_at,
    ndcg_at,
    percentile,
    recall_at,
    token_f1,
)
from qa.questions import Question, QuestionSet
from qa.retrieval import Mode
from qa.service import QA, AnswerMode
from qa.types import Answer

DEPTH = 20  # passages retrieved for the ranking metrics (distinct sources are ranked from them)
UNGATED = frozenset({"answer_words"})  # reported, but no regression check (not a 0-1 rate)

Progress = Callable[[int, int], None]
IngestProgress = Callable[[int, int, str], None]


def index_for(qa: QA, qset: QuestionSet, progress: IngestProgress | None = None) -> QA:
    """The engine to ask: the current index, or a cached index of the set's own documents."""
    if qset.docs is None:
        return qa
    files = sorted(p for p in qset.docs.rglob("*") if p.is_file() and not p.name.startswith("."))
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(qset.docs)).encode() + b"\0" + path.read_bytes())
    chunking = qa.settings.chunking
    digest.update(f"{INDEX_FORMAT}/{chunking.max_tokens}/{chunking.overlap_tokens}/{qa.embedder.identity}".encode())
    data_dir = qa.settings.data_dir / "eval" / f"{qset.name}-{digest.hexdigest()[:16]}"
    engine = QA(settings=qa.settings.model_copy(update={"data_dir": data_dir}))
    engine.ingest(qset.docs, progress=progress)  # incremental: a cached index embeds nothing
    return engine


def ranked_sources(sources: Sequence[str]) -> list[str]:
    """Distinct sources in order of their best passage."""
    return list(dict.fromkeys(sources))


def score_question(q: Question, answer: Answer, retrieved: list[str], timings: tuple[float, float]) -> dict[str, Any]:
    """The per-question record of a run."""
    text = answer.plain_text
    graded = bool(q.answers) and not q.unanswerable
    gold_rank = first_relevant_rank(retrieved, q.source_ids) if q.source_ids else None
    contains = contains_answer(text, q.answers) if graded and not answer.abstained else (False if graded else None)
    if q.unanswerable:
        passed = answer.abstained
    elif graded:
        passed = bool(contains)
    else:
        passed = gold_rank is not None and gold_rank <= len(answer.passages)
    return {
        "id": q.id,
        "question": q.question,
        "answers": list(q.answers),
        "source_ids": list(q.source_ids),
        "unanswerable": q.unanswerable,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [{"id": c.marker, "source": c.source, "page": c.page, "quote": c.quote} for c in answer.citations],
        "retrieved": retrieved[:10],
        "gold_rank": gold_rank,
        "contains": contains,
        "f1": round(token_f1(text, q.answers), 4) if graded and not answer.abstained else (0.0 if graded else None),
        "em": exact_match(text, q.answers) if graded and not answer.abstained else (False if graded else None),
        "words": 0 if answer.abstained else len(text.split()),
        "mode": answer.mode,
        "sentences": len(split_claims(answer.text)) if not answer.abstained else 0,
        "unsupported": list(answer.unsupported),
        "passed": passed,
        "retrieval_ms": round(timings[0], 2),
        "answer_ms": round(timings[1], 2),
    }


def run_question(engine: QA, q: Question, k: int, mode: Mode, answer_mode: AnswerMode | None = None) -> dict[str, Any]:
    """Ask one question, timing retrieval alone and the whole answer (each embedding the question afresh)."""
    start = time.perf_counter()
    passages = engine.retrieve(q.question, k=max(DEPTH, k), mode=mode)
    retrieved = time.perf_counter()
    engine.embedder.clear_cache()
    asked = time.perf_counter()
    answer = engine.ask(q.question, k=k, retrieval=mode, mode=answer_mode)
    done = time.perf_counter()
    sources = ranked_sources([p.chunk.source for p in passages])
    return score_question(q, answer, sources, ((retrieved - start) * 1000, (done - asked) * 1000))


def evaluate(
    qa: QA,
    qset: QuestionSet,
    k: int = 5,
    mode: Mode = "hybrid",
    progress: Progress | None = None,
    ingest_progress: IngestProgress | None = None,
    answer_mode: AnswerMode | None = None,
) -> dict[str, Any]:
    """Run every question of the set; returns the JSON-ready result (`qa eval --json`)."""
    engine = index_for(qa, qset, ingest_progress)
    engine.embedder.warm_up()  # untimed: load the model, trace the question graph
    engine.retrieve(qset.questions[0].question, mode=mode)  # untimed: open the index
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
        "metrics": aggregate(records, qset.questions, k),
        "questions": records,
    }


def aggregate(records: list[dict[str, Any]], questions: Sequence[Question], k: int) -> dict[str, float | None]:
    """Aggregate metrics over the per-question records."""
    metrics = {**_retrieval(records, questions, k), **_answers(records), **_abstention(records)}
    metrics["pass_rate"] = mean([float(r["passed"]) for r in records])
    for key in ("retrieval_ms", "answer_ms"):
        values = [r[key] for r in records]
        metrics[f"{key}_p50"], metrics[f"{key}_p95"] = percentile(values, 50), percentile(values, 95)
    return {name: (round(v, 4) if v is not None else None) for name, v in metrics.items()}


def _retrieval(records: list[dict[str, Any]], questions: Sequence[Question], k: int) -> dict[str, float | None]:
    ranked = [(r["retrieved"], q.source_ids) for r, q in zip(records, questions, strict=True) if q.source_ids]
    return {
        "hit@1": mean([hit_at(r, gold, 1) for r, gold in ranked]),
        "hit@5": mean([hit_at(r, gold, 5) for r, gold in ranked]),
        "hit@10": mean([hit_at(r, gold, 10) for r, gold in ranked]),
        "mrr@10": mean([mrr_at(r, gold, 10) for r, gold in ranked]),
        "ndcg@10": mean([ndcg_at(r, gold, 10) for r, gold in ranked]),
        f"recall@{k}": mean([recall_at(r, gold, k) for r, gold in ranked]),
        "recall@10": mean([recall_at(r, gold, 10) for r, gold in ranked]),
    }


def _answers(records: list[dict[str, Any]]) -> dict[str, float | None]:
    graded = [r for r in records if r["contains"] is not None]
    answered = [r for r in records if not r["abstained"]]
    cited = [(c, r) for r in records if not r["unanswerable"] for c in r["citations"]]
    return {
        "answer_contains": mean([float(r["contains"]) for r in graded]),
        "answer_f1": mean([r["f1"] for r in graded]),
        "answer_em": mean([float(r["em"]) for r in graded]),
        "answer_words": mean([float(r["words"]) for r in answered]),
        "citation_source_precision": mean([float(c["source"] in r["source_ids"]) for c, r in cited]),
        "unsupported_sentence_rate": _ratio(
            sum(len(r["unsupported"]) for r in answered), sum(r["sentences"] for r in answered)
        ),
        "llm_fallback_rate": mean([float(r["mode"] == "extractive-fallback") for r in records]),
        "citation_quote_contains": mean(
            [float(contains_answer(c["quote"], r["answers"])) for c, r in cited if r["answers"]]
        ),
    }


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _abstention(records: list[dict[str, Any]]) -> dict[str, float | None]:
    abstained = [r for r in records if r["abstained"]]
    unanswerable = [r for r in records if r["unanswerable"]]
    answerable = [r for r in records if not r["unanswerable"]]
    return {
        "abstain_precision": mean([float(r["unanswerable"]) for r in abstained]) if unanswerable else None,
        "abstain_recall": mean([float(r["abstained"]) for r in unanswerable]),
        "false_abstain_rate": mean([float(r["abstained"]) for r in answerable]),
    }


@dataclass(frozen=True)
class Change:
    """One metric, now and in the baseline."""

    name: str
    baseline: float | None
    current: float | None
    regressed: bool


def compare(result: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> tuple[list[Change], list[str]]:
    """Per-metric changes (latencies excluded from the verdict) and the ids that flipped from pass to fail."""
    changes = []
    for name, current in result["metrics"].items():
        before = baseline.get("metrics", {}).get(name)
        gated = not name.endswith(("_p50", "_p95")) and name not in UNGATED
        regressed = False
        if gated and before is not None:
            drop = (current or 0.0) - before if lower_is_better(name) else before - (current or 0.0)
            regressed = drop > tolerance
        changes.append(Change(name, before, current, regressed))
    passed_before = {q["id"] for q in baseline.get("questions", []) if q.get("passed")}
    flipped = [q["id"] for q in result["questions"] if q["id"] in passed_before and not q["passed"]]
    return changes, flipped


def default_cache(data_dir: Path) -> Path:
    """Where converted question sets (BEIR corpora) are written."""
    return data_dir / "eval"


def format_value(name: str, value: float | None) -> str:
    """A metric for people: rates to 3 decimals, milliseconds and words to 1."""
    if value is None:
        return "n/a"
    return f"{value:.1f}" if name.endswith(("_p50", "_p95")) or name == "answer_words" else f"{value:.3f}"


def format_summary(result: dict[str, Any], changes: list[Change] | None = None) -> str:
    """The console table: one line per metric, with the baseline and change when given."""
    by_name = {c.name: c for c in changes or []}
    lines = [
        f"{result['set']}: {result['n_questions']} questions, k={result['settings']['k']}, "
        f"retrieval={result['settings']['retrieval']}"
    ]
    for group in METRIC_GROUPS:
        lines.append(f"  {group}")
        for name, value in result["metrics"].items():
            if metric_group(name) == group:
                line = f"    {name:<28}{format_value(name, value):>9}"
                change = by_name.get(name)
                if change and change.baseline is not None:
                    delta = (value or 0.0) - change.baseline
                    flag = "  REGRESSED" if change.regressed else ""
                    line += f"   baseline {format_value(name, change.baseline):>9}   {delta:+.3f}{flag}"
                lines.append(line)
    return "\n".join(lines)
