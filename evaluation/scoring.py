"""The record of one question of a run: what was asked, retrieved and answered, and how it scored.

Pure: it takes the question, the answer and the ranking passages, and returns the JSON-ready
record that `evaluation.metrics.aggregate` reads and `qa eval --json` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evaluation.metrics import contains_answer, exact_match, first_relevant_rank, judge_answer, token_f1
from evaluation.questions import Question
from qa.citecheck import split_claims
from qa.types import Answer, Passage

DEPTH = 20  # passages retrieved for the ranking metrics (distinct sources are ranked from them)


def ranked_sources(sources: Sequence[str]) -> list[str]:
    """Distinct sources in order of their best passage."""
    return list(dict.fromkeys(sources))


def score_question(
    q: Question, answer: Answer, passages: Sequence[Passage], timings: tuple[float, float]
) -> dict[str, Any]:
    """The per-question record of a run; `passages` are the ranking passages (DEPTH of them), best first."""
    text = answer.plain_text
    retrieved = ranked_sources([p.chunk.source for p in passages])
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
        "kind": answer.kind,
        "confidence": None if answer.confidence is None else round(answer.confidence, 4),
        "span": _span_text(answer),
        "span_f1": _span_f1(answer, q) if graded else None,
        "citations": [{"id": c.marker, "source": c.source, "page": c.page, "quote": c.quote} for c in answer.citations],
        "retrieved": retrieved[:10],
        "gold_rank": gold_rank,
        "contains": contains,
        "correct": judge_answer(q.unanswerable, answer.abstained, contains),
        "f1": round(token_f1(text, q.answers), 4) if graded and not answer.abstained else (0.0 if graded else None),
        "em": exact_match(text, q.answers) if graded and not answer.abstained else (False if graded else None),
        "words": 0 if answer.abstained else len(text.split()),
        "mode": answer.mode,
        "sentences": len(split_claims(answer.text)) if not answer.abstained else 0,
        "unsupported": list(answer.unsupported),
        "passed": passed,
        "retrieval_ms": round(timings[0], 2),
        "answer_ms": round(timings[1], 2),
        **_evidence_fields(q, answer, passages),
    }


def _span_text(answer: Answer) -> str | None:
    """The words the answer marks as answering the question (None when it marks none)."""
    cited = answer.answer_span
    return cited.span_text if cited is not None and not answer.abstained else None


def _span_f1(answer: Answer, q: Question) -> float:
    """SQuAD F1 of the marked words against the gold answers (0 for no answer or no marked words)."""
    span = _span_text(answer)
    return round(token_f1(span, q.answers), 4) if span else 0.0


def _evidence_fields(q: Question, answer: Answer, passages: Sequence[Passage]) -> dict[str, Any]:
    """Evidence pages (1-based), the rank of the first passage on one, and whether a citation points at one."""
    evidence = [(e.doc, e.page) for e in q.evidence]
    pages = [(p.chunk.source, p.chunk.page) for p in passages]
    cited = {(c.source, c.page) for c in answer.citations}
    return {
        "evidence": [{"doc": doc, "page": page} for doc, page in evidence],
        "evidence_rank": first_relevant_rank(pages, evidence) if evidence else None,
        "cites_evidence": bool(cited & set(evidence)) if evidence and not answer.abstained else None,
    }
