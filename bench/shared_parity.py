"""The shared mode answers as the default one does (issue 23): a question set's index built both ways, its metrics
side by side.

    .venv/bin/python bench/shared_parity.py [SET ...]      # default: scifact-train squad-a (../shared/eval)

The default mode is `qa eval`'s own (a cached set index: SQLite and embedded Chroma); the shared mode indexes
the set's documents into a new PostgreSQL database (a throwaway cluster of Debian's package) and a Chroma
server, and asks it. Prints the retrieval and answer metrics of both and their difference.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pg_cluster import start_cluster  # noqa: E402
from shared_mode import chroma_server, free_port  # noqa: E402

from evaluation.questions import load_question_set  # noqa: E402
from evaluation.run import evaluate  # noqa: E402
from qa import QA  # noqa: E402

SETS = REPO.parent / "shared" / "eval"
SHOWN = [
    "ndcg@10",
    "hit@5",
    "mrr@10",
    "answer_contains",
    "answer_f1",
    "answered_precision",
    "answer_or_abstain_accuracy",
]


def main() -> None:
    names = sys.argv[1:] or ["scifact-train", "squad-a"]
    root = Path(tempfile.mkdtemp(prefix="qa-parity-"))
    with start_cluster(free_port()) as pg, chroma_server(root / "chroma", free_port(), root / "chroma.log") as chroma:
        for name in names:
            database = f"parity_{name.replace('-', '_')}"
            subprocess.run(["psql", pg, "-qc", f"CREATE DATABASE {database}"], check=True)
            local = QA(data_dir=root / "default")
            qset = load_question_set(SETS / name, root / "default" / "eval")
            default = evaluate(local, qset)["metrics"]
            url = pg.rsplit("/", 1)[0] + f"/{database}"
            shared = QA(data_dir=root / "shared", database_url=url, chroma_url=chroma)
            assert qset.docs is not None
            shared.ingest(qset.docs)
            ours = evaluate(shared, dataclasses.replace(qset, docs=None))["metrics"]  # asks the shared index
            print(f"{name}: {len(qset.questions)} questions")
            for metric in [m for m in SHOWN if m in default]:
                a, b = default[metric], ours.get(metric)
                if isinstance(a, int | float) and isinstance(b, int | float):
                    print(f"  {metric:22} default {a:.3f}   shared {b:.3f}   {b - a:+.3f}")
            print(flush=True)


if __name__ == "__main__":
    main()
