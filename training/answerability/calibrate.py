"""Calibrate the reader's confidence through the product's own pipeline, on held-out training questions.

Each held-out question set (`data.heldout_sets`) is indexed by a real `QA` in a temporary folder and every
question goes the way `qa ask` takes it: retrieval, sentence candidates, the reader. The label of a question
is whether the reply would be right if answered: it is answerable and the reader's best sentence holds a
gold answer. A logistic regression over `qa.confidence.FEATURES` (L2, Newton's method) turns the evidence
into that probability; then two thresholds on it:
- `answer_above`: the best answer-or-abstain accuracy on the held-out questions, averaged over the two
  kinds of set (SQuAD 2.0's unanswerable questions, and fact-absent near misses), so that neither share of
  unanswerable questions decides alone (abstaining on an answerable question counts wrong, as does a wrong
  answer);
- `unsure_above`: at most `UNSURE_FLOOR` of the questions that would have been answered right fall below
  it; between the two the reply is "unsure".
Nothing here reads an evaluation set.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.metrics import contains_answer
from qa.confidence import FEATURES, features
from qa.extractive import ExtractiveAnswerer, ReaderPolicy
from qa.reader import CONFIG_FILE, AnswerabilityReader

UNSURE_FLOOR = 0.05
L2 = 1e-2


def collect(model_dir: Path, sets: dict[str, tuple[dict[str, str], list[dict[str, Any]]]],
            log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """One record per held-out question: its set, features and label."""
    from qa import QA

    records = []
    reader = AnswerabilityReader(model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (docs, questions) in sets.items():
            folder = Path(tmp) / name / "docs"
            folder.mkdir(parents=True)
            for doc, text in docs.items():
                (folder / doc).write_text(text, encoding="utf-8")
            qa = QA(data_dir=Path(tmp) / name / "index", answer={"reader": False})
            qa.ingest(folder)
            answerer = ExtractiveAnswerer(qa.store, reader=reader, policy=ReaderPolicy())
            for q in questions:
                passages = qa.retrieve(q["question"])
                ranked = answerer.candidates(q["question"], qa.embedder.query_vector(q["question"]), passages)
                pairs, evidence = answerer.weigh(q["question"], ranked)
                right = bool(pairs) and not q["unanswerable"] and contains_answer(pairs[0][0].text, q["answers"])
                records.append({"set": name, "unanswerable": q["unanswerable"], "label": int(right),
                                "features": features(evidence)})
            log(f"calibration set {name}: {len(questions)} questions")
    return records


def fit(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Logistic regression on standardised features (JSON-ready)."""
    x = np.array([r["features"] for r in records], dtype=np.float64)
    y = np.array([r["label"] for r in records], dtype=np.float64)
    mean, std = x.mean(0), np.maximum(x.std(0), 1e-3)
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    ridge = np.diag([L2 * len(x)] * (z.shape[1] - 1) + [0.0])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(z @ w)))
        step = np.linalg.solve(z.T @ (z * (p * (1 - p))[:, None]) + ridge, z.T @ (p - y) + ridge @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {"features": list(FEATURES), "mean": mean.round(6).tolist(), "std": std.round(6).tolist(),
            "weights": w[:-1].round(6).tolist(), "bias": round(float(w[-1]), 6)}


def confidences(records: list[dict[str, Any]], fitted: dict[str, Any]) -> np.ndarray:
    """The fitted probability of each record."""
    x = (np.array([r["features"] for r in records]) - np.array(fitted["mean"])) / np.array(fitted["std"])
    return np.asarray(1 / (1 + np.exp(-(x @ np.array(fitted["weights"]) + fitted["bias"]))))


def thresholds(records: list[dict[str, Any]], scores: np.ndarray) -> tuple[float, float]:
    """(answer_above, unsure_above) as the module's docstring says."""
    labels = np.array([r["label"] for r in records], dtype=bool)
    unanswerable = np.array([r["unanswerable"] for r in records], dtype=bool)
    sets = [np.array([r["set"] == name for r in records]) for name in sorted({r["set"] for r in records})]
    cuts = np.unique(np.concatenate([[0.0, 1.0], scores]))

    def accuracy(t: float) -> float:
        right = ((scores >= t) & labels) | ((scores < t) & unanswerable)
        return float(np.mean([right[in_set].mean() for in_set in sets]))

    answer_above = float(max(cuts, key=lambda t: (accuracy(t), t)))
    right = np.sort(scores[labels])
    unsure_above = float(min(answer_above, np.quantile(right, UNSURE_FLOOR))) if len(right) else answer_above
    return round(answer_above, 5), round(unsure_above, 5)


def report(records: list[dict[str, Any]], scores: np.ndarray, answer_above: float) -> dict[str, Any]:
    """Held-out figures per set at the chosen threshold."""
    out = {}
    for name in sorted({r["set"] for r in records}):
        idx = [i for i, r in enumerate(records) if r["set"] == name]
        answered = [i for i in idx if scores[i] >= answer_above]
        unans = [i for i in idx if records[i]["unanswerable"]]
        ans = [i for i in idx if not records[i]["unanswerable"]]
        out[name] = {
            "questions": len(idx),
            "unanswerable_not_answered": _share([scores[i] < answer_above for i in unans]),
            "answerable_not_answered": _share([scores[i] < answer_above for i in ans]),
            "answered_precision": round(sum(records[i]["label"] for i in answered) / max(len(answered), 1), 4),
        }
    return out


def _share(flags: list[Any]) -> float:
    return round(float(sum(bool(f) for f in flags)) / max(len(flags), 1), 4)


def calibrate(model_dir: Path, sets: dict[str, tuple[dict[str, str], list[dict[str, Any]]]],
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fit, choose the thresholds, and write them into the model's config (the weights are not touched)."""
    records = collect(model_dir, sets, log)
    fitted = fit(records)
    scores = confidences(records, fitted)
    answer_above, unsure_above = thresholds(records, scores)
    calibration = {**fitted, "answer_above": answer_above, "unsure_above": unsure_above,
                   "heldout": report(records, scores, answer_above)}
    path = model_dir / CONFIG_FILE
    config = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**config, "calibration": calibration}, indent=1) + "\n", encoding="utf-8")
    return calibration
