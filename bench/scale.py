"""Growth: synthetic indexes of 10k, 100k (and 1M) chunks in both modes, and how fast they answer (issue 23).

    .venv/bin/python bench/scale.py [--sizes 10000 100000 1000000] [--modes sqlite shared] [--queries 200]

Synthetic means texts drawn from a Zipf vocabulary (60 words a chunk, 20,000 words) and random unit vectors
(384 dimensions), so no embedding is needed. The sqlite mode is the default one (SQLite FTS5 and embedded
Chroma in a data directory); the shared mode is PostgreSQL (a throwaway cluster of Debian's package,
started here) and a Chroma server. For each size and mode it prints the ingest rate (chunks per second
written to both stores), the bytes per chunk (data directory, or database plus Chroma's directory), and the
p50 and p95 of keyword, dense and hybrid search (both, fused as the engine fuses them) over `--queries`
queries of 2-6 words drawn from the same vocabulary; then, per mode, how much the hybrid p50 grew between
consecutive sizes, against the target (3x for 10x the chunks). Progress goes to stderr. State the CPU
with the figures.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from index.backends import detect_cpu  # noqa: E402
from index.chroma import open_chroma  # noqa: E402
from index.local import LocalIndex, SentenceVector, SideIndex  # noqa: E402
from index.types import Chunk  # noqa: E402
from qa.retrieval import reciprocal_rank_fusion  # noqa: E402

DIM, WORDS, VOCABULARY, BATCH = 384, 60, 20_000, 2_000
GROWTH_TARGET = 3.0  # hybrid p50 growth for 10x the chunks at most (issue 23: from 100k to 1M)


class RandomVectors:
    """Stands in for the embedding model where Chroma asks for one (never used to embed here)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("nothing is embedded in this benchmark")

    def embed_query(self, text: str) -> list[float]:
        raise AssertionError("nothing is embedded in this benchmark")


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(VOCABULARY)]
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]  # Zipf
    return words, weights


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@contextmanager
def sqlite_mode(root: Path) -> Iterator[tuple[SideIndex, object, Callable[[], int]]]:
    local = LocalIndex(root / "local.sqlite")
    chroma = open_chroma(root, RandomVectors(), local, None)  # type: ignore[arg-type]
    yield local, chroma, lambda: du(root)


@contextmanager
def shared_mode(root: Path) -> Iterator[tuple[SideIndex, object, Callable[[], int]]]:
    from pg_cluster import start_cluster

    from index.postgres import PgIndex

    pg_port, chroma_port = free_port(), free_port()
    with start_cluster(pg_port) as url:
        subprocess.run(["psql", url, "-qc", "CREATE DATABASE scale"], check=True)
        database = url.rsplit("/", 1)[0] + "/scale"
        command = [
            str(Path(sys.executable).parent / "chroma"),
            "run",
            "--path",
            str(root / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(chroma_port),
        ]
        with (root / "chroma.log").open("wb") as log:
            server = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            wait_for_chroma(f"http://127.0.0.1:{chroma_port}")
            local = PgIndex(database)
            chroma = open_chroma(root / "cache", RandomVectors(), local, f"http://127.0.0.1:{chroma_port}")  # type: ignore[arg-type]

            def size() -> int:
                row = local._db.execute("SELECT pg_database_size(current_database())").fetchone()
                return int(row[0] if row else 0) + du(root / "chroma")

            yield local, chroma, size
        finally:
            server.terminate()
            server.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_chroma(url: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the Chroma server did not start")


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(ordered) * 1000:7.1f} {p95 * 1000:7.1f}"


def run(mode: str, size: int, queries: int) -> float:
    """Build one synthetic index, print its row of figures and return its hybrid p50 (seconds)."""
    rng, nprng = random.Random(size), np.random.default_rng(size)
    words, weights = vocabulary(rng)
    root = Path(tempfile.mkdtemp(prefix=f"qa-scale-{mode}-"))
    opener = sqlite_mode if mode == "sqlite" else shared_mode
    with opener(root) as (local, chroma, size_of):
        collection = chroma._collection  # type: ignore[attr-defined]
        started = time.monotonic()
        for first in range(0, size, BATCH):
            count = min(BATCH, size - first)
            chunks = []
            for n in range(first, first + count):
                text = " ".join(rng.choices(words, weights, k=WORDS)) + "."
                chunks.append(Chunk(f"doc{n // 10:06}.txt", "Synthetic", text, 0, len(text)))
            vectors = unit(nprng, count)
            metadatas = [{"source": c.source, "collection": "default"} for c in chunks]
            collection.upsert(ids=[c.id for c in chunks], embeddings=vectors, metadatas=metadatas)
            local.add(chunks, [[SentenceVector(c.start, c.end, v)] for c, v in zip(chunks, vectors, strict=True)])
            if (first + count) % 100_000 == 0:
                elapsed = time.monotonic() - started
                print(
                    f"  {mode}: {first + count:,} of {size:,} chunks written in {elapsed:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        rate = size / (time.monotonic() - started)
        print(f"  {mode}: {size:,} chunks written; {queries} queries", file=sys.stderr, flush=True)
        keyword, dense, hybrid = [], [], []
        for _ in range(queries):
            question = " ".join(rng.choices(words[:5000], k=rng.randint(2, 6)))
            vector = unit(nprng, 1)[0]
            t0 = time.perf_counter()
            by_words = local.search(question, 40)
            t1 = time.perf_counter()
            near = collection.query(query_embeddings=[vector], n_results=40, include=["distances"])["ids"][0]
            t2 = time.perf_counter()
            reciprocal_rank_fusion([[i for i, _ in by_words], near])
            t3 = time.perf_counter()
            keyword.append(t1 - t0)
            dense.append(t2 - t1)
            hybrid.append(t3 - t0)
        print(
            f"{mode:7} {size:>9,} {rate:9.0f} {size_of() / size:9.0f}   "
            f"{percentiles(keyword)}   {percentiles(dense)}   {percentiles(hybrid)}",
            flush=True,
        )
    shutil.rmtree(root, ignore_errors=True)
    return statistics.median(hybrid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--modes", nargs="+", default=["sqlite", "shared"], choices=["sqlite", "shared"])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    print(f"CPU: {detect_cpu().describe()}, {os.cpu_count()} cores; ms: p50 p95")
    print("mode        chunks  chunks/s  bytes/ch   keyword p50/p95   dense p50/p95    hybrid p50/p95")
    hybrid = {(mode, size): run(mode, size, args.queries) for size in args.sizes for mode in args.modes}
    for mode in args.modes:  # the growth target: from 100k to 1M chunks, hybrid p50 at most 3x
        sizes = sorted(size for m, size in hybrid if m == mode)
        for small, large in zip(sizes, sizes[1:], strict=False):
            growth = hybrid[mode, large] / hybrid[mode, small]
            target = GROWTH_TARGET ** math.log10(large / small)
            verdict = "within" if growth <= target else "over"
            print(
                f"{mode}: hybrid p50 grows {growth:.1f}x from {small:,} to {large:,} chunks "
                f"({verdict} the target of {target:.1f}x for {large / small:.0f}x the chunks)"
            )


if __name__ == "__main__":
    main()
