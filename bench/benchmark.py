"""Benchmark table for the README: question sets x retrieval modes, in one run.

    python bench/benchmark.py ../shared/eval/squad-a ../shared/eval/scifact-train \
        ../shared/eval/squad2-a ../shared/eval/financebench-a [--data-dir .qa-bench] [--modes hybrid,dense,keyword]

Each set's documents are indexed once (cached under the data directory by content hash, and verified
complete: a set with a document that is not indexed stops the run with the files and reasons), then
every question is asked with hybrid retrieval and with dense and BM25 retrieval alone, the plain
pipelines hybrid must beat. Prints a Markdown table (n/a where a metric does not apply to a set: page
hit@5 needs evidence pages, abstentions on unanswerable need unanswerable questions) and writes each
run's full JSON result beside the index.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from evaluation import default_cache, evaluate, format_value, load_question_set
from qa import QA
from qa.errors import QAError

COLUMNS = {  # metric -> column heading in the README
    "hit@1": "hit@1",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "page_hit@5": "page hit@5",
    "answer_contains": "answer contains gold",
    "answer_or_abstain_accuracy": "answer-or-abstain accuracy",
    "answer_words": "words per answer",
    "false_abstain_rate": "false abstentions",
    "abstain_recall": "abstentions on unanswerable",
    "retrieval_ms_p50": "retrieval p50 ms",
    "answer_ms_p50": "answer p50 ms",
    "answer_ms_p95": "answer p95 ms",
}


def main() -> None:
    """Run every set in every mode and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path(".qa-bench"))
    parser.add_argument("--modes", default="hybrid,dense,keyword")
    args = parser.parse_args()
    qa = QA(data_dir=args.data_dir)
    rows = []
    for path in args.sets:
        qset = load_question_set(path, default_cache(args.data_dir))
        for mode in args.modes.split(","):
            start = time.perf_counter()
            result = evaluate(qa, qset, mode=mode)
            print(f"{qset.name} {mode}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
            (args.data_dir / f"{qset.name}-{mode}.json").write_text(json.dumps(result, indent=1))
            rows.append((qset.name, mode, result["metrics"]))
    print("| set | retrieval | " + " | ".join(COLUMNS.values()) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for name, mode, metrics in rows:
        print(f"| {name} | {mode} | " + " | ".join(format_value(c, metrics.get(c)) for c in COLUMNS) + " |")


if __name__ == "__main__":
    try:
        main()
    except QAError as err:  # a set with documents that are not indexed, a malformed set: no table
        sys.exit(f"benchmark: {err}")
