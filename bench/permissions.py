"""What the permission check costs an answer: the same questions asked with and without collection filters.

    python bench/permissions.py ../shared/eval/scifact-train [--data-dir .qa-bench-permissions]
        [--collections 20] [--min-chunks 12000] [--questions 300]

The set's documents are spread round-robin over `--collections` collections (copied again into
further collections until the index holds at least `--min-chunks` chunks), ingested once and cached.
Then each question is asked, in turn, by an admin (no filter at all: the baseline), by a reader of
every collection but one (a filter that keeps almost everything) and by a reader of one collection,
interleaved so that a busy machine slows all three alike. Prints answer p50/p95 per reader and the
p50 difference against the admin, the figure the target is about, and the CPU it ran on.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import time
from pathlib import Path

from access.permissions import ADMIN, User
from evaluation import default_cache, load_question_set
from qa import QA


def build(qa: QA, docs: list[Path], collections: int, min_chunks: int, work: Path) -> int:
    """Ingest `docs` spread over the collections (again, until `min_chunks`); returns the chunk count."""
    round_ = 0
    while not qa.sources() or qa.store.local.count() < min_chunks:
        for c in range(collections):
            name = f"c{c:02}"
            qa.library.create(name, ADMIN, owner="", visibility="groups", groups=[name])
            folder = work / f"{name}-{round_}"
            folder.mkdir(parents=True, exist_ok=True)
            for doc in docs[(c + round_) % collections :: collections]:  # new names for the collection each round
                shutil.copyfile(doc, folder / doc.name)
            qa.ingest(folder, collection=name)
        round_ += 1
    return qa.store.local.count()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    """Build or reuse the index, ask every question as each reader, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path(".qa-bench-permissions"))
    parser.add_argument("--collections", type=int, default=20)
    parser.add_argument("--min-chunks", type=int, default=12000)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    qset = load_question_set(args.set, default_cache(args.data_dir))
    qa = QA(data_dir=args.data_dir / "index")
    if qset.docs is None:
        raise SystemExit(f"{args.set}: the set has no documents folder")
    docs = sorted(p for p in qset.docs.iterdir() if p.is_file())
    chunks = build(qa, docs, args.collections, args.min_chunks, args.data_dir / "docs")
    qa.embedder.warm_up()
    everyone = [f"c{c:02}" for c in range(args.collections)]
    readers = {
        "admin (no filter)": ADMIN,
        f"reader of {args.collections - 1} collections": User("most", frozenset(everyone[1:])),
        "reader of 1 collection": User("one", frozenset(everyone[:1])),
    }
    questions = [q.question for q in qset.questions[: args.questions]]
    for question in questions[:10]:  # warm caches: the first questions pay for loading
        for user in readers.values():
            qa.ask(question, user=user)
    times: dict[str, list[float]] = {name: [] for name in readers}
    for question in questions:
        for name, user in readers.items():
            start = time.perf_counter()
            qa.ask(question, user=user)
            times[name].append((time.perf_counter() - start) * 1000)
    print(f"CPU: {cpu_name()}; {chunks} chunks in {args.collections} collections; {len(questions)} questions")
    base = statistics.median(times["admin (no filter)"])
    print("| reader | answer p50 ms | answer p95 ms | p50 vs admin |")
    print("|---|---|---|---|")
    for name, values in times.items():
        p50 = statistics.median(values)
        print(f"| {name} | {p50:.1f} | {percentile(values, 95):.1f} | {p50 - base:+.1f} ms |")


def cpu_name() -> str:
    """The processor's model name, as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
