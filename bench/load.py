"""Load script for the chat UI's API: N concurrent clients on loopback for a fixed time.

    python bench/load.py [--clients 1 8 32] [--seconds 20] [--warmup 3] [--think S]
                         [--data-dir DIR] [--concurrency N]

Indexes seeds/ into a data directory (a temporary one unless --data-dir), starts `qa ui` in its own
process on a free 127.0.0.1 port and waits until it answers. Then, for each N, N client threads ask
the seed questions in a loop through Gradio's HTTP call API (POST /gradio_api/call/ask, then its
event stream) for a short warm-up and then for --seconds; every loop stops at the deadline or at the
request cap (with --think, each client pauses between an answer and its next question, as a
person reading the answer would; without it, clients ask back to back). A request counts as an
error when it fails at the HTTP level, raises, times out, or returns something that is neither a
cited answer nor an abstention. Prints errors, p50/p95 latency,
throughput and the server's CPU time per request for each N, then the targets (0 errors at 32
clients; p50 at 8 clients within 3x of p50 at 1 client). The server is stopped at the end, also on
Ctrl+C. Not a timed test: the figures depend on what else the machine is doing (the load average
is printed beside them).

Each question is sent with a different internal spacing ("When  did Haftar ..."), which changes
neither retrieval nor the answer but defeats the engine's cache of recent question vectors, so
every request embeds its question as a new user's question would (--cached turns this off).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPACINGS = count()  # one numbering across runs, so a spacing comes back only after thousands of requests
TARGET_CLIENTS, TARGET_RATIO = 8, 3.0


class BadAnswer(Exception):
    """The API answered, but not with an answer."""


@dataclass
class Run:
    """What N clients measured: latencies of good answers, and errors by kind."""

    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server process used during the run
    client_cpu: float = 0.0  # and this process (the clients)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def cpu_per_request(self) -> tuple[float, float]:
        """Milliseconds of CPU per request: the server's, and the clients' (this process)."""
        return self.server_cpu * 1000 / max(self.requests, 1), self.client_cpu * 1000 / max(self.requests, 1)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def qa_command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "qa.cli", "--data-dir", str(data_dir), *args]


@contextmanager
def serve(data_dir: Path, env: dict[str, str], log: Path, timeout: float = 180) -> Iterator[tuple[str, int]]:
    """Run `qa ui` on a free loopback port until the block ends; yields its base URL and process id."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            qa_command(data_dir, "ui", "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C reaches this script, which stops the server itself
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, proc, timeout, log)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ingest(data_dir: Path, seeds: Path, env: dict[str, str]) -> None:
    """Index the seed documents with `qa ingest` (a no-op when the data directory already has them)."""
    done = subprocess.run(qa_command(data_dir, "ingest", "-q", str(seeds)), cwd=ROOT, env=env, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"load: `qa ingest` failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    print(done.stdout.decode().strip(), file=sys.stderr)


def wait_until_ready(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Poll the API description until the server serves it; fail with the log's tail if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"load: `qa ui` exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/gradio_api/info", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"load: `qa ui` did not answer within {timeout:.0f} s (log: {log})")


def ask(client: httpx.Client, url: str, question: str, k: int) -> dict[str, Any]:
    """One question through the call API: queue it, then read its event stream to the result."""
    response = client.post(f"{url}/gradio_api/call/ask", json={"data": [question, k, ""]})
    response.raise_for_status()
    event_id = response.json()["event_id"]
    event = None
    with client.stream("GET", f"{url}/gradio_api/call/ask/{event_id}") as stream:
        stream.raise_for_status()
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.removeprefix("data:"))
                if event == "error":
                    raise BadAnswer(f"error event: {str(data)[:200]}")
                return check_answer(data, question)
    raise BadAnswer("event stream ended without a result")


def check_answer(data: Any, question: str) -> dict[str, Any]:
    """The answer object, if `data` holds a cited answer or an abstention to `question`."""
    if not (isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict)):
        raise BadAnswer(f"not a one-object result: {str(data)[:200]}")
    answer = data[0]
    if answer.get("question") != question.strip() or not isinstance(answer.get("answer"), str):
        raise BadAnswer("question or answer text missing")
    if not isinstance(answer.get("passages"), list) or not isinstance(answer.get("citations"), list):
        raise BadAnswer("passages or citations missing")
    if not answer["answer"].strip():
        raise BadAnswer("empty answer text")
    if not answer.get("abstained") and not all(c.get("source") and c.get("quote") for c in answer["citations"] or [{}]):
        raise BadAnswer("an answer without citations, or a citation without source and quote")
    return answer


def respace(question: str, n: int) -> str:
    """`question` with the gaps between its words widened by the digits of `n` in base 3."""
    words, out = question.split(), []
    for word in words[:-1]:
        out.append(word + " " * (1 + n % 3))
        n //= 3
    return "".join(out) + words[-1]


def client_loop(url: str, questions: list[str], run: Run, until: float, budget: Iterator[int], args: Any) -> None:
    """Ask questions until the deadline or the shared request budget runs out; record into `run`."""
    with httpx.Client(timeout=args.timeout, trust_env=False) as client:  # loopback: no proxies
        while time.monotonic() < until:
            n = next(budget, None)
            if n is None:
                return
            question = questions[n % len(questions)]
            if not args.cached:
                question = respace(question, next(SPACINGS) // len(questions))
            start = time.perf_counter()
            try:
                ask(client, url, question, args.k)
                run.latencies.append(time.perf_counter() - start)  # list.append is atomic
            except (httpx.HTTPError, BadAnswer, ValueError, KeyError) as err:
                run.errors[f"{type(err).__name__}: {str(err)[:120]}"] += 1
            if args.think:  # a person reading the answer before the next question, 0.5x to 1.5x of --think
                time.sleep(min(args.think * (0.5 + random.random()), max(until - time.monotonic(), 0)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_clients(url: str, pid: int, questions: list[str], clients: int, seconds: float, args: Any) -> Run:
    """`clients` threads asking for `seconds`; the returned Run holds their figures."""
    run, budget = Run(clients), iter(range(args.max_requests))
    cpu_before, client_before, start = cpu_seconds(pid), time.process_time(), time.monotonic()
    threads = [
        threading.Thread(target=client_loop, args=(url, questions, run, start + seconds, budget, args), daemon=True)
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds, run.server_cpu = time.monotonic() - start, cpu_seconds(pid) - cpu_before
    run.client_cpu = time.process_time() - client_before
    run.load = os.getloadavg()
    return run


def report(runs: list[Run], back_to_back: bool) -> bool:
    """Print the table and the targets; True when every target that was measured passed."""
    print("| clients | requests | errors | p50 ms | p95 ms | req/s | CPU ms/req: server + clients | load avg |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        server, client = r.cpu_per_request()
        load = " ".join(f"{x:.2f}" for x in r.load)
        print(
            f"| {r.clients} | {r.requests} | {sum(r.errors.values())} | {r.percentile(50):.1f} | "
            f"{r.percentile(95):.1f} | {len(r.latencies) / r.seconds:.1f} | {server:.1f} + {client:.1f} | {load} |"
        )
    for r in runs:
        for kind, n in r.errors.most_common(5):
            print(f"  {r.clients} clients: {n} x {kind}")
    by_n = {r.clients: r for r in runs}
    errors = sum(by_n[max(by_n)].errors.values())
    print(f"\nerrors at {max(by_n)} clients: {errors} (target 0): {'PASS' if errors == 0 else 'FAIL'}")
    return errors == 0 and report_ratio(by_n, back_to_back)


def report_ratio(by_n: dict[int, Run], back_to_back: bool) -> bool:
    """The latency target; for clients asking back to back, beside the floor that CPU time puts under it."""
    if 1 not in by_n or TARGET_CLIENTS not in by_n:
        return True
    single, ratio = by_n[1], by_n[TARGET_CLIENTS].percentile(50) / by_n[1].percentile(50)
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"p50 at {TARGET_CLIENTS} clients / at 1 client: {ratio:.2f}x (target <= {TARGET_RATIO:g}x): {verdict}")
    if not back_to_back:
        return ratio <= TARGET_RATIO
    cores, cpu = len(os.sched_getaffinity(0)), sum(single.cpu_per_request())
    floor = TARGET_CLIENTS * cpu / cores
    print(
        f"CPU-bound floor: {TARGET_CLIENTS} clients x {cpu:.1f} ms CPU per request / {cores} cores = {floor:.0f} ms, "
        f"{floor / single.percentile(50):.1f}x the 1-client p50"
    )
    return ratio <= TARGET_RATIO


def load_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="client counts (default 1 8 32)")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per client count (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each (default 3)")
    parser.add_argument("--max-requests", type=int, default=20000, help="request cap per client count")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before a request is an error")
    parser.add_argument("-k", type=int, default=5, help="passages per answer (default 5)")
    parser.add_argument("--data-dir", type=Path, help="index directory to use (default: a temporary one)")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds", help="documents + questions.jsonl")
    parser.add_argument("--concurrency", type=int, help="QA_UI__CONCURRENCY for the server (default: settings)")
    parser.add_argument("--cached", action="store_true", help="repeat questions verbatim (cached vectors)")
    parser.add_argument(
        "--think", type=float, default=0, help="mean seconds between an answer and the next question (default 0)"
    )
    return parser.parse_args()


def main() -> int:
    """Index, serve, load, report; exit 1 when a target is missed."""
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill` too stops the server on the way out
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    if args.concurrency:
        env["QA_UI__CONCURRENCY"] = str(args.concurrency)
    questions = load_questions(args.seeds / "questions.jsonl")
    tmp = Path(tempfile.mkdtemp(prefix="qa-load-"))
    data_dir = args.data_dir or tmp / "data"
    try:
        ingest(data_dir, args.seeds, env)
        runs = []
        with serve(data_dir, env, tmp / "server.log") as (url, pid):
            print(f"serving {url} (pid {pid}); {len(questions)} questions", file=sys.stderr)
            for clients in args.clients:
                run_clients(url, pid, questions, clients, args.warmup, args)
                runs.append(run_clients(url, pid, questions, clients, args.seconds, args))
                print(f"{clients} clients: {runs[-1].requests} requests", file=sys.stderr)
        return 0 if report(runs, back_to_back=not args.think) else 1
    except KeyboardInterrupt:
        print("load: interrupted; server stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
