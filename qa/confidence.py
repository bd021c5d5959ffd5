"""How sure an answer is: the reader's judgements and the retrieval evidence, combined into one calibrated probability.

The reader judges sentences one at a time; whether the question is answered at all also shows in what
surrounds them. A logistic regression over a few features of the question's best sentences gives the
probability that the best sentence answers it. Its weights are fitted on held-out training questions
run through this very pipeline (`python -m training.answerability calibrate`) and ship in the model's
`answerability.json`, with the two thresholds that turn the probability into a reply.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from index.words import content_words, stem_match

FEATURES = ("reader_best", "reader_second", "dense_best", "lexical_best", "lexical_max", "support", "typed_best",
            "rare_covered")
_TOKEN = re.compile(r"[\w’'-]+")


@dataclass(frozen=True)
class Evidence:
    """What the features are read from: the question, its judged sentences best first, and every candidate."""

    question: str
    probabilities: Sequence[float]  # the reader's, best first
    dense_best: float  # the best sentence's cosine to the question
    lexical_best: float  # the share of the question's content words the best sentence holds (IDF-weighted)
    lexical_max: float  # the largest such share of any candidate sentence
    support: float  # the best candidate's sentence score plus `lexical_max` (the reader-less abstention signal)
    typed_best: bool  # the best sentence offers the kind of answer asked for (a number, a date, a name)
    texts: Sequence[str]  # every candidate sentence's text


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def rare_words(question: str) -> list[str]:
    """The question's names and numbers: capitalised words after the first, and words with digits."""
    tokens = _TOKEN.findall(question)
    rare = [t.lower() for i, t in enumerate(tokens) if (i > 0 and t[:1].isupper()) or any(ch.isdigit() for ch in t)]
    return [w for w in dict.fromkeys(rare) if w in set(content_words(w)) or any(ch.isdigit() for ch in w)]


def rare_covered(question: str, texts: Sequence[str]) -> float:
    """Share of the question's names and numbers found in any of the texts (1 when it has none)."""
    rare = rare_words(question)
    if not rare:
        return 1.0
    words = {w.lower() for text in texts for w in _TOKEN.findall(text)}
    return sum(stem_match(w, words) for w in rare) / len(rare)


def features(evidence: Evidence) -> list[float]:
    """The feature vector, in the order of `FEATURES`."""
    p = list(evidence.probabilities) or [0.0]
    return [
        _logit(p[0]),
        _logit(p[1] if len(p) > 1 else 1e-6),
        evidence.dense_best,
        evidence.lexical_best,
        evidence.lexical_max,
        evidence.support,
        float(evidence.typed_best),
        rare_covered(evidence.question, evidence.texts),
    ]


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic regression over standardised features, and the reply thresholds on its output."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    answer_above: float
    unsure_above: float

    @classmethod
    def from_config(cls, data: dict[str, Any]) -> Calibration:
        """Read from the model config's "calibration" entry (its feature names must be ours)."""
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"calibration features {data['features']} are not {list(FEATURES)}: recalibrate")
        return cls(
            tuple(data["mean"]), tuple(data["std"]), tuple(data["weights"]), float(data["bias"]),
            float(data["answer_above"]), float(data["unsure_above"]),
        )

    def confidence(self, evidence: Evidence) -> float:
        """Calibrated probability that the best sentence answers the question."""
        z = self.bias + sum(
            w * (x - m) / s for w, x, m, s in zip(self.weights, features(evidence), self.mean, self.std, strict=True)
        )
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
