"""Calibrate the extractive answerer's abstention threshold.

Answerable questions: every question of a question set, asked over its documents.
Unanswerable ones: the same questions asked with their gold documents filtered
out of retrieval (near misses: same topic, no answer), plus any question marked
`"unanswerable": true`. For each, the support of the best sentence is recorded;
the script prints, per threshold, how often answerable questions would wrongly
abstain and how often unanswerable ones would rightly abstain, and the threshold
with the best balanced accuracy.

    python bench/calibrate_abstention.py ../shared/eval/squad-a seeds
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from qa import QA
from qa.extractive import support


def evidence(qa: QA, question: str, sources: list[str] | None) -> float:
    """The support the answerer would compare with its threshold."""
    passages = qa.retrieve(question, sources=sources)
    return support(qa.answerer.candidates(question, qa.embedder.query_vector(question), passages))


def collect(folder: Path, data_dir: Path) -> tuple[list[float], list[float]]:
    """Support scores of answerable and unanswerable questions of one set."""
    docs = folder / "docs" if (folder / "docs").is_dir() else folder
    qa = QA(data_dir=data_dir / folder.name)
    qa.ingest(docs)
    every = list(qa.sources())
    answerable, unanswerable = [], []
    for line in (folder / "questions.jsonl").read_text().splitlines():
        item = json.loads(line)
        if item.get("unanswerable"):
            unanswerable.append(evidence(qa, item["question"], None))
            continue
        answerable.append(evidence(qa, item["question"], None))
        others = [s for s in every if s not in item["source_ids"]]
        if others:
            unanswerable.append(evidence(qa, item["question"], others))
    return answerable, unanswerable


def main() -> None:
    """Print the threshold table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path, help="folders with questions.jsonl and docs/")
    args = parser.parse_args()
    answerable: list[float] = []
    unanswerable: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.sets:
            a, u = collect(folder, Path(tmp))
            answerable += a
            unanswerable += u
    ans, una = np.array(answerable), np.array(unanswerable)
    print(f"{len(ans)} answerable, {len(una)} unanswerable")
    print("threshold  false-abstain(answerable)  abstain-recall(unanswerable)  balanced-acc")
    best = (0.0, 0.0)
    for t in np.arange(0.40, 1.20, 0.02):
        false_abstain, recall = float((ans < t).mean()), float((una < t).mean())
        balanced = (1 - false_abstain + recall) / 2
        best = max(best, (balanced, float(t)))
        print(f"{t:9.2f}  {false_abstain:24.3f}  {recall:28.3f}  {balanced:12.3f}")
    print(f"best balanced accuracy {best[0]:.3f} at threshold {best[1]:.2f}")


if __name__ == "__main__":
    main()
