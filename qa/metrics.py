"""Evaluation metrics: ranking quality by source, answer overlap, percentiles. Pure functions."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

LOWER_IS_BETTER = frozenset({"false_abstain_rate", "answer_words", "unsupported_sentence_rate", "llm_fallback_rate"})
METRIC_GROUPS = ("Retrieval", "Answer", "Citations", "Abstention", "Latency")
_PUNCTUATION = set(string.punctuation) | set("‘’“”–—")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def metric_group(name: str) -> str:
    """The heading a metric is listed under in summaries and reports."""
    if name.endswith(("_p50", "_p95")):
        return "Latency"
    if name.startswith(("hit@", "mrr@", "ndcg@", "recall@")):
        return "Retrieval"
    if name.startswith("citation_"):
        return "Citations"
    return "Abstention" if "abstain" in name else "Answer"


def lower_is_better(name: str) -> bool:
    """Whether a smaller value of the metric is the better one (rates of failure, length, latency)."""
    return name in LOWER_IS_BETTER or name.endswith(("_p50", "_p95"))


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


def first_relevant_rank(ranked: Sequence[str], gold: Sequence[str]) -> int | None:
    """1-based rank of the first gold item in `ranked`, or None."""
    wanted = set(gold)
    return next((i for i, item in enumerate(ranked, start=1) if item in wanted), None)


def hit_at(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
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
