"""Evaluation metrics: ranking quality by source and by page, answer overlap, abstention, percentiles.

Pure functions: the per-question ones take ranked lists and gold answers, `aggregate` takes the
per-question records of a run (`evaluation.scoring.score_question`) and returns the metrics by name.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

LOWER_IS_BETTER = frozenset(
    {"false_abstain_rate", "answer_words", "unsupported_sentence_rate", "llm_fallback_rate", "unsure_rate"}
)
METRIC_GROUPS = ("Retrieval", "Answer", "Citations", "Abstention", "Latency")
_PUNCTUATION = set(string.punctuation) | set("‘’“”–—")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
PAGE_HIT_AT = 5  # page hit@k is reported at this k and at the run's k
PERCENTILES = (50, 95)  # latencies are reported at these percentiles, as `retrieval_ms_p50` and so on
LATENCY_SUFFIXES = tuple(f"_p{p}" for p in PERCENTILES)
Item = TypeVar("Item", bound=Hashable)


def is_latency(name: str) -> bool:
    """Whether a metric is a latency percentile, in milliseconds."""
    return name.endswith(LATENCY_SUFFIXES)


def metric_group(name: str) -> str:
    """The heading a metric is listed under in summaries and reports."""
    if is_latency(name):
        return "Latency"
    if name.startswith(("hit@", "page_hit@", "mrr@", "ndcg@", "recall@")):
        return "Retrieval"
    if name.startswith("citation_"):
        return "Citations"
    return "Abstention" if "abstain" in name or "unsure" in name else "Answer"


def lower_is_better(name: str) -> bool:
    """Whether a smaller value of the metric is the better one (rates of failure, length, latency)."""
    return name in LOWER_IS_BETTER or is_latency(name)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(text: str, golds: Sequence[str]) -> bool:
    """Whether the normalised text contains any normalised gold answer."""
    normalized = normalize_answer(text)
    return any(normalize_answer(g) and normalize_answer(g) in normalized for g in golds)


def exact_match(text: str, golds: Sequence[str]) -> bool:
    """Whether the normalised text equals any normalised gold answer."""
    return any(normalize_answer(text) == normalize_answer(g) for g in golds)


def token_f1(text: str, golds: Sequence[str]) -> float:
    """Best SQuAD token F1 of `text` against the gold answers."""
    return max((_f1(normalize_answer(text).split(), normalize_answer(g).split()) for g in golds), default=0.0)


def _f1(predicted: list[str], gold: list[str]) -> float:
    common = sum((Counter(predicted) & Counter(gold)).values())
    if not predicted or not gold or common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def first_relevant_rank(ranked: Sequence[Item], gold: Sequence[Item]) -> int | None:
    """1-based rank of the first gold item in `ranked`, or None (items: sources, or (source, page) pairs)."""
    wanted = set(gold)
    return next((i for i, item in enumerate(ranked, start=1) if item in wanted), None)


def hit_at(ranked: Sequence[Item], gold: Sequence[Item], k: int) -> float:
    """1.0 if any gold item is in the top k."""
    rank = first_relevant_rank(ranked, gold)
    return 1.0 if rank is not None and rank <= k else 0.0


def mrr_at(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Reciprocal rank of the first gold item within the top k (0 beyond)."""
    rank = first_relevant_rank(ranked, gold)
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def recall_at(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Share of the gold items found in the top k."""
    wanted = set(gold)
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def ndcg_at(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Binary-relevance nDCG@k."""
    wanted = set(gold)
    dcg = sum(1.0 / math.log2(i + 1) for i, item in enumerate(ranked[:k], start=1) if item in wanted)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(wanted), k) + 1))
    return dcg / ideal if ideal else 0.0


def judge_answer(unanswerable: bool, abstained: bool, contains: bool | None) -> bool | None:
    """Answer-or-abstain correctness: abstaining on an unanswerable question, else containing a gold answer.

    None when it cannot be judged (an answerable question without gold answers, as in retrieval sets).
    """
    return abstained if unanswerable else contains


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, or None for no values."""
    return sum(values) / len(values) if values else None


def aggregate(records: Sequence[dict[str, Any]], k: int) -> dict[str, float | None]:
    """The run's metrics from its per-question records, rounded to 4 decimals (None: nothing to measure)."""
    metrics = {**_retrieval(records, k), **_answers(records), **_citations(records), **_abstention(records)}
    metrics["pass_rate"] = mean([float(r["passed"]) for r in records])
    for key in ("retrieval_ms", "answer_ms"):
        values = [r[key] for r in records]
        for p in PERCENTILES:
            metrics[f"{key}_p{p}"] = percentile(values, p)
    return {name: (round(v, 4) if v is not None else None) for name, v in metrics.items()}


def _retrieval(records: Sequence[dict[str, Any]], k: int) -> dict[str, float | None]:
    """Ranking by source (questions with gold sources) and, when the set has evidence pages, by page."""
    ranked = [(r["retrieved"], r["source_ids"]) for r in records if r["source_ids"]]
    metrics = {
        "hit@1": mean([hit_at(r, gold, 1) for r, gold in ranked]),
        "hit@5": mean([hit_at(r, gold, 5) for r, gold in ranked]),
        "hit@10": mean([hit_at(r, gold, 10) for r, gold in ranked]),
        "mrr@10": mean([mrr_at(r, gold, 10) for r, gold in ranked]),
        "ndcg@10": mean([ndcg_at(r, gold, 10) for r, gold in ranked]),
        f"recall@{k}": mean([recall_at(r, gold, k) for r, gold in ranked]),
        "recall@10": mean([recall_at(r, gold, 10) for r, gold in ranked]),
    }
    ranks = [r["evidence_rank"] for r in records if r.get("evidence")]
    if ranks:
        for at in sorted({PAGE_HIT_AT, k}):
            metrics[f"page_hit@{at}"] = mean([float(rank is not None and rank <= at) for rank in ranks])
    return metrics


def _answers(records: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    graded = [r for r in records if r["contains"] is not None]
    answered = [r for r in records if not r["abstained"]]
    return {
        "answer_contains": mean([float(r["contains"]) for r in graded]),
        "answer_f1": mean([r["f1"] for r in graded]),
        "answer_em": mean([float(r["em"]) for r in graded]),
        "span_f1": mean([r["span_f1"] for r in graded if r.get("span_f1") is not None]),
        "span_f1_answered": mean([r["span_f1"] for r in graded if r.get("span_f1") is not None and not r["abstained"]]),
        "answered_precision": _answered_precision(records),
        "answer_words": mean([float(r["words"]) for r in answered]),
        "unsupported_sentence_rate": _ratio(
            sum(len(r["unsupported"]) for r in answered), sum(r["sentences"] for r in answered)
        ),
        "llm_fallback_rate": mean([float(r["mode"] == "extractive-fallback") for r in records]),
    }


def _answered_precision(records: Sequence[dict[str, Any]]) -> float | None:
    """Of the questions answered (not unsure, not abstained), the share whose answer holds a gold answer;
    an answered unanswerable question counts as wrong. Questions without gold answers are not judged."""
    judged = [r for r in records if not r["abstained"] and (r["unanswerable"] or r["contains"] is not None)]
    return mean([float(not r["unanswerable"] and bool(r["contains"])) for r in judged])


def _citations(records: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """Whether citations point at gold files, quote a gold answer, and (with evidence) sit on an evidence page."""
    cited = [(c, r) for r in records if not r["unanswerable"] for c in r["citations"]]
    metrics = {
        "citation_source_precision": mean([float(c["source"] in r["source_ids"]) for c, r in cited]),
        "citation_quote_contains": mean(
            [float(contains_answer(c["quote"], r["answers"])) for c, r in cited if r["answers"]]
        ),
    }
    if any(r.get("evidence") for r in records):
        judged = [r["cites_evidence"] for r in records if r.get("cites_evidence") is not None]
        metrics["citation_evidence_page"] = mean([float(hit) for hit in judged])
    return metrics


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _abstention(records: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    abstained = [r for r in records if r["abstained"]]
    unanswerable = [r for r in records if r["unanswerable"]]
    answerable = [r for r in records if not r["unanswerable"]]
    return {
        "answer_or_abstain_accuracy": mean([float(r["correct"]) for r in records if r["correct"] is not None]),
        "abstain_precision": mean([float(r["unanswerable"]) for r in abstained]) if unanswerable else None,
        "abstain_recall": mean([float(r["abstained"]) for r in unanswerable]),
        "false_abstain_rate": mean([float(r["abstained"]) for r in answerable]),
        "unsure_rate": mean([float(r.get("kind") == "unsure") for r in records]),
    }
