"""Speed benchmark: this product's ingest beside a plain LangChain pipeline, then question latency.

    python bench/speed.py ../shared/eval/scifact-train [--rounds 1] [--questions 809]

In one process, alternating, on the set's documents:
- this product: `QA.ingest` (its chunking, the configured embedding back end, Chroma + keyword index);
- a plain LangChain pipeline: RecursiveCharacterTextSplitter with its defaults, HuggingFaceEmbeddings
  (langchain-huggingface) on the same bundled model, `Chroma.from_documents`.
Each prints chunks/s, MB/s of source text, peak memory above the process's baseline, and the ratio.
Then, on the product's index: retrieval and whole-answer latency over the set's questions (the
question embedded afresh each time), cold start (a new `qa ask` process to its answer), and the
quality check: nDCG@10 with the configured back end and with the fp32 reference.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from qa import QA
from qa.evaluate import evaluate
from qa.questions import load_question_set


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(work: Callable[[], int]) -> dict[str, float]:
    """Run `work` (returning a chunk count), sampling memory; seconds, chunks and peak MB above baseline."""
    baseline, peak, done = rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    chunks = work()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return {"seconds": seconds, "chunks": chunks, "peak_mb": max(peak[0], rss_mb()) - baseline}


def product_ingest(docs: Path, data_dir: Path, backend: str | None = None) -> int:
    qa = QA(data_dir=data_dir, **({"embedding": {"backend": backend}} if backend else {}))
    qa.ingest(docs)
    return qa.store.local.count()


def langchain_ingest(docs: Path, data_dir: Path, model_path: str) -> int:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    texts = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
        for p in sorted(docs.iterdir())
    ]
    chunks = RecursiveCharacterTextSplitter().split_documents(texts)
    embeddings = HuggingFaceEmbeddings(model_name=model_path, encode_kwargs={"normalize_embeddings": True})
    Chroma.from_documents(chunks, embeddings, persist_directory=str(data_dir))
    return len(chunks)


def latency(qa: QA, questions: list[str]) -> dict[str, float]:
    """p50/p95 in ms of retrieval alone and of the whole extractive answer, each question embedded afresh."""
    qa.embedder.warm_up()  # as the UI and `qa eval` do: the traced question graph
    qa.ask(questions[0])
    retrieval, answer = [], []
    for question in questions:
        qa.embedder.clear_cache()
        start = time.perf_counter()
        qa.retrieve(question)
        middle = time.perf_counter()
        qa.embedder.clear_cache()
        qa.ask(question, mode="extractive")
        retrieval.append((middle - start) * 1000)
        answer.append((time.perf_counter() - middle) * 1000)
    return {
        "retrieval_p50": float(np.percentile(retrieval, 50)),
        "retrieval_p95": float(np.percentile(retrieval, 95)),
        "answer_p50": float(np.percentile(answer, 50)),
        "answer_p95": float(np.percentile(answer, 95)),
    }


def cold_start(data_dir: Path, question: str) -> float:
    """Seconds from starting a new `qa ask` process to its answer, with the index already built."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "qa.cli", "--data-dir", str(data_dir), "ask", question],
        check=True,
        capture_output=True,
        env={**os.environ},
    )
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--rounds", type=int, default=1, help="alternating ingest rounds")
    parser.add_argument("--questions", type=int, default=None, help="questions for latency (default: all)")
    args = parser.parse_args()
    docs = args.set / "docs"
    megabytes = sum(p.stat().st_size for p in docs.iterdir()) / 1e6
    qset = load_question_set(args.set, Path(tempfile.mkdtemp()))
    model_path = str(QA().settings.embedding.model_path)
    runs: dict[str, list[dict[str, float]]] = {"product": [], "langchain": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            runs["product"].append(measure(partial(product_ingest, docs, Path(tmp) / f"product-{round_}")))
            print(f"round {round_ + 1}: product {runs['product'][-1]}", file=sys.stderr)
            lc_dir = Path(tmp) / f"lc-{round_}"
            runs["langchain"].append(measure(partial(langchain_ingest, docs, lc_dir, model_path)))
            print(f"round {round_ + 1}: langchain {runs['langchain'][-1]}", file=sys.stderr)
        product = QA(data_dir=Path(tmp) / "product-0")
        questions = [q.question for q in qset.questions][: args.questions]
        timings = latency(product, questions)
        cold = cold_start(Path(tmp) / "product-0", questions[0])
        reference_dir = Path(tmp) / "fp32"
        product_ingest(docs, reference_dir, "torch-fp32")
        on_index = dataclasses.replace(qset, docs=None)  # ask the index given, do not build one
        quality = {
            "configured": evaluate(product, on_index)["metrics"]["ndcg@10"],
            "fp32": evaluate(QA(data_dir=reference_dir, embedding={"backend": "torch-fp32"}), on_index)["metrics"][
                "ndcg@10"
            ],
        }
    report(runs, megabytes, timings, cold, quality)


def report(
    runs: dict[str, list[dict[str, float]]],
    megabytes: float,
    timings: dict[str, float],
    cold: float,
    quality: dict[str, Any],
) -> None:
    """Print the figures as a Markdown table and a JSON line."""
    rows = {}
    for name, results in runs.items():
        seconds = float(np.median([r["seconds"] for r in results]))
        chunks = results[0]["chunks"]
        rows[name] = {
            "seconds": seconds,
            "chunks": chunks,
            "chunks_per_s": chunks / seconds,
            "mb_per_s": megabytes / seconds,
            "peak_mb": max(r["peak_mb"] for r in results),
        }
    print("| pipeline | chunks | seconds | chunks/s | MB/s | peak memory MB |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| {name} | {row['chunks']:.0f} | {row['seconds']:.1f} | {row['chunks_per_s']:.1f} | "
            f"{row['mb_per_s']:.3f} | {row['peak_mb']:.0f} |"
        )
    ratio = rows["product"]["mb_per_s"] / rows["langchain"]["mb_per_s"]
    print(f"\ningest throughput ratio (MB/s, product / LangChain): {ratio:.2f}x")
    print(
        f"retrieval p50 {timings['retrieval_p50']:.1f} ms, p95 {timings['retrieval_p95']:.1f} ms; "
        f"whole answer p50 {timings['answer_p50']:.1f} ms, p95 {timings['answer_p95']:.1f} ms"
    )
    print(f"cold start (new process to first answer): {cold:.2f} s")
    print(
        f"nDCG@10: configured back end {quality['configured']:.4f}, fp32 reference {quality['fp32']:.4f}, "
        f"difference {quality['configured'] - quality['fp32']:+.4f}"
    )
    print(json.dumps({"ingest": rows, "ratio": ratio, "latency": timings, "cold_start_s": cold, "ndcg@10": quality}))


if __name__ == "__main__":
    main()
