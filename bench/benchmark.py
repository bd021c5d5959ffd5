"""Benchmark table for the README: question sets x retrieval modes, in one run.

    python bench/benchmark.py ../shared/eval/squad-a ../shared/eval/scifact-train [--data-dir .qa-bench]

Each set's documents are indexed once (cached under the data directory by content hash), then every
question is asked with hybrid retrieval and with dense and BM25 retrieval alone, the plain pipelines
hybrid must beat. Prints a Markdown table and writes each run's full JSON result beside the index.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from qa import QA
from qa.evaluate import default_cache, evaluate, format_value
from qa.questions import load_question_set

COLUMNS = [
    "hit@1",
    "hit@5",
    "hit@10",
    "mrr@10",
    "ndcg@10",
    "answer_contains",
    "answer_words",
    "false_abstain_rate",
    "retrieval_ms_p50",
    "answer_ms_p50",
    "answer_ms_p95",
]


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
            result = evaluate(qa, qset, mode=mode)  # type: ignore[arg-type]
            print(f"{qset.name} {mode}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
            (args.data_dir / f"{qset.name}-{mode}.json").write_text(json.dumps(result, indent=1))
            rows.append((qset.name, mode, result["metrics"]))
    print("| set | retrieval | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for name, mode, metrics in rows:
        print(f"| {name} | {mode} | " + " | ".join(format_value(c, metrics.get(c)) for c in COLUMNS) + " |")


if __name__ == "__main__":
    main()
