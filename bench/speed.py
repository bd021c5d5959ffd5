"""Speed benchmark: the back ends on this CPU, the product's ingest against them and a plain LangChain pipeline.

    .venv/bin/python bench/speed.py ../shared/eval/scifact-train [--docs 1000] [--questions 300]

One process, one run, on the first `--docs` documents of the set (copied to a temporary folder):
1. the CPU and the flags that decide the back end, and what `auto` chose here;
2. each available back end on the same chunks (the product's chunking, length-sorted batches):
   forward-pass tokens/s, and dense nDCG@10 of the set's questions over those chunk vectors,
   beside the fp32 reference (torch-fp32);
3. the product's `QA.ingest` of the folder with `auto`, as tokens embedded per second of wall
   time, divided by the chosen back end's forward-pass tokens/s: the pipeline efficiency
   (everything that is not the model costs 1 - efficiency);
4. a plain LangChain pipeline on the same folder (RecursiveCharacterTextSplitter with its
   defaults, HuggingFaceEmbeddings on the same bundled model, `Chroma.from_documents`): wall
   time, and tokens/s of the text it actually embeds (the model truncates at 256 word pieces);
5. question latency on the product's index: the question's embedding alone, retrieval and the
   whole extractive answer (each question embedded afresh), with the answerability model reading the
   best sentences and, side by side on the same questions in turn, with it off (the baseline);
   cold start of a new `qa ask`.
`--latency-only` skips 2-4 (the back ends and the LangChain pipeline).
Figures depend on the CPU and on what else runs: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import Question, load_question_set
from evaluation.metrics import ndcg_at
from index.backends import available_backends, detect_cpu, resolve_backend
from index.chunking import WordPieceTokenizer, split_document
from index.embedder import Embedder, model_inputs
from index.formats import load_file
from qa import QA
from qa.settings import bundled_model_path

REFERENCE = "torch-fp32"


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def product_chunks(folder: Path, model_path: Path) -> list[tuple[str, str]]:
    """(source, text) of every chunk the product makes of the folder."""
    tokenizer = WordPieceTokenizer(model_path)
    chunks = []
    for path in sorted(folder.iterdir()):
        chunks += [(c.source, c.text) for c in split_document(load_file(path, path.name), tokenizer)]
    return chunks


def embedded_tokens(model_path: Path, texts: Sequence[str]) -> int:
    """Word pieces the model reads of `texts` (its window truncates at 256, special tokens included)."""
    embedder = Embedder(model_path, backend=REFERENCE)
    return sum(sum(e.attention_mask) for e in embedder.tokenizer.encode_batch(list(texts)))


def forward_pass(model_path: Path, backend: str, texts: Sequence[str], batch_size: int) -> tuple[float, np.ndarray]:
    """(tokens/s of the forward pass alone, unit chunk vectors) of one back end on `texts`."""
    embedder = Embedder(model_path, batch_size, backend)
    embedder.warm_up()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    batches = [model_inputs(embedder.tokenizer.encode_batch([texts[i] for i in order[s : s + batch_size]]))
               for s in range(0, len(order), batch_size)]
    tokens = sum(int(b["attention_mask"].sum()) for b in batches)
    _, seconds = timed(lambda: [embedder.runner.run_batch(b) for b in batches])
    # the vectors come from a second, untimed pass: keeping every batch's token embeddings would take GBs
    return tokens / seconds, embedder.encode(texts)


def dense_ndcg(
    model_path: Path, backend: str, vectors: np.ndarray, sources: Sequence[str], questions: Sequence[Question]
) -> float:
    """nDCG@10 of distinct sources ranked by the best chunk's cosine to each question."""
    embedder = Embedder(model_path, backend=backend)
    scores = []
    for q in questions:
        ranked = np.argsort(-(vectors @ embedder.query_vector(q.question)))
        distinct = list(dict.fromkeys(sources[i] for i in ranked[:200]))
        scores.append(ndcg_at(distinct, q.source_ids, 10))
    return float(np.mean(scores))


def langchain_ingest(folder: Path, data_dir: Path, model_path: Path) -> list[str]:
    """The plain pipeline; returns the texts it embedded."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    texts = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
             for p in sorted(folder.iterdir())]
    chunks = RecursiveCharacterTextSplitter().split_documents(texts)
    embeddings = HuggingFaceEmbeddings(model_name=str(model_path), encode_kwargs={"normalize_embeddings": True})
    Chroma.from_documents(chunks, embeddings, persist_directory=str(data_dir))
    return [c.page_content for c in chunks]


def latency(qa: QA, questions: list[str], baseline: QA) -> dict[str, float]:
    """p50/p95 in ms of the question's embedding, retrieval, the whole extractive answer with the reader, and
    the same answer by `baseline` (the reader off), each question asked of both in turn."""
    qa.embedder.warm_up()
    qa.ask(questions[0])
    baseline.ask(questions[0])
    embed, retrieval, answer, without = [], [], [], []
    for question in questions:
        qa.embedder.clear_cache()
        _, seconds = timed(lambda q=question: qa.embedder.query_vector(q))
        embed.append(seconds * 1000)
        qa.embedder.clear_cache()
        _, seconds = timed(lambda q=question: qa.retrieve(q))
        retrieval.append(seconds * 1000)
        qa.embedder.clear_cache()
        _, seconds = timed(lambda q=question: qa.ask(q, mode="extractive"))
        answer.append(seconds * 1000)
        baseline.embedder.clear_cache()
        _, seconds = timed(lambda q=question: baseline.ask(q, mode="extractive"))
        without.append(seconds * 1000)
    figures = {}
    named = (("question_embedding", embed), ("retrieval", retrieval), ("answer", answer), ("answer_no_reader", without))
    for name, values in named:
        figures[f"{name}_p50"] = float(np.percentile(values, 50))
        figures[f"{name}_p95"] = float(np.percentile(values, 95))
    return figures


def cold_start(data_dir: Path, question: str) -> float:
    """Seconds from starting a new `qa ask` process to its answer, with the index already built."""
    command = [sys.executable, "-m", "cli.main", "--data-dir", str(data_dir), "ask", question]
    _, seconds = timed(lambda: subprocess.run(command, check=True, capture_output=True))
    return float(seconds)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--docs", type=int, default=1000, help="documents of the set to ingest (default 1000)")
    parser.add_argument("--questions", type=int, default=300, help="questions for quality and latency")
    parser.add_argument("--batch-size", type=int, default=None, help="embedding batch (default: the setting)")
    parser.add_argument("--latency-only", action="store_true", help="only ingest and time questions (skip 2-4)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="qa-speed-"))
    try:
        print(json.dumps(run(args, tmp)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    model_path = bundled_model_path()
    folder = tmp / "docs"
    folder.mkdir()
    for path in sorted((args.set / "docs").iterdir())[: args.docs]:
        shutil.copy(path, folder / path.name)
    present = {p.name for p in folder.iterdir()}
    qset = load_question_set(args.set, tmp / "cache")
    questions = [q for q in qset.questions if q.source_ids and set(q.source_ids) <= present][: args.questions]
    cpu, choice = detect_cpu(), resolve_backend("auto")
    batch_size = args.batch_size or QA().settings.embedding.batch_size
    say(f"CPU: {cpu.describe()}; {platform.machine()}, {os.cpu_count()} cores")
    say(choice.describe())
    say(f"{len(present)} documents, {len(questions)} questions with a gold document among them")

    if args.latency_only:
        qa = QA(data_dir=tmp / "product", embedding={"batch_size": batch_size})
        qa.ingest(folder)
        return {"cpu": cpu.describe(), "auto": choice.backend, "documents": len(present),
                "latency": questions_latency(qa, tmp, [q.question for q in questions])}
    chunks = product_chunks(folder, model_path)
    texts, sources = [t for _, t in chunks], [s for s, _ in chunks]
    backends: dict[str, dict[str, float]] = {}
    for backend in sorted(available_backends(), key=lambda b: b != REFERENCE):
        tokens_per_s, vectors = forward_pass(model_path, backend, texts, batch_size)
        ndcg = dense_ndcg(model_path, backend, vectors, sources, questions)
        backends[backend] = {"tokens_per_s": tokens_per_s, "ndcg@10": ndcg}
        say(f"  {backend:<14} {tokens_per_s:8.0f} tokens/s   dense nDCG@10 {ndcg:.4f} "
            f"({ndcg - backends[REFERENCE]['ndcg@10']:+.4f} vs {REFERENCE})")

    product_tokens = embedded_tokens(model_path, texts)
    qa = QA(data_dir=tmp / "product", embedding={"batch_size": batch_size})
    _, product_s = timed(lambda: qa.ingest(folder))
    lc_texts, lc_s = timed(lambda: langchain_ingest(folder, tmp / "langchain", model_path))
    lc_tokens = embedded_tokens(model_path, lc_texts)
    product_rate, lc_rate = product_tokens / product_s, lc_tokens / lc_s
    efficiency = product_rate / backends[choice.backend]["tokens_per_s"]
    say(f"product ingest ({choice.backend}): {product_s:.1f} s, {len(texts)} chunks, {product_tokens} tokens "
        f"embedded, {product_rate:.0f} tokens/s; pipeline efficiency {efficiency:.2f}")
    say(f"plain LangChain: {lc_s:.1f} s, {len(lc_texts)} chunks, {lc_tokens} tokens embedded (truncated), "
        f"{lc_rate:.0f} tokens/s")
    say(f"same folder, wall time: product {lc_s / product_s:.2f}x the LangChain pipeline; "
        f"tokens/s {product_rate / lc_rate:.2f}x")

    timings = questions_latency(qa, tmp, [q.question for q in questions])
    return {
        "cpu": cpu.describe(), "auto": choice.backend, "documents": len(present), "backends": backends,
        "product": {"seconds": product_s, "chunks": len(texts), "tokens": product_tokens, "tokens_per_s": product_rate,
                    "efficiency": efficiency},
        "langchain": {"seconds": lc_s, "chunks": len(lc_texts), "tokens": lc_tokens, "tokens_per_s": lc_rate},
        "wall_time_ratio": lc_s / product_s, "tokens_per_s_ratio": product_rate / lc_rate,
        "latency": timings,
    }


def questions_latency(qa: QA, tmp: Path, questions: list[str]) -> dict[str, float]:
    """Section 5: question latency with the reader and without it, and the cold start; printed and returned."""
    baseline = QA(data_dir=qa.settings.data_dir, answer={"reader": False})
    timings = latency(qa, questions, baseline)
    cold = cold_start(tmp / "product", questions[0])
    say("question embedding p50 {question_embedding_p50:.1f} ms (p95 {question_embedding_p95:.1f}); retrieval p50 "
        "{retrieval_p50:.1f} ms (p95 {retrieval_p95:.1f}); whole answer p50 {answer_p50:.1f} ms "
        "(p95 {answer_p95:.1f}) with the answerability model, {answer_no_reader_p50:.1f} ms "
        "(p95 {answer_no_reader_p95:.1f}) with it off".format(**timings))
    say(f"cold start (new `qa ask` process to its answer): {cold:.2f} s")
    return {**timings, "cold_start_s": cold}


def say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    main()
