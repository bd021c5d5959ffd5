"""Load script for the HTTP APIs: N concurrent clients on loopback for a fixed time, per server, in one run.

    python bench/load.py [--clients 1 8 32] [--seconds 20] [--warmup 3] [--think S] [--workers N]
                         [--servers gradio api-1 api-N] [--data-dir DIR] [--concurrency N] [--cached]

Indexes seeds/ into a data directory (a temporary one unless --data-dir), starts each server in its own
process on a free 127.0.0.1 port and waits until it answers. All of them run at once (an idle one costs
next to nothing), and the same clients and questions go to each in turn, client count by client count, so
that a change in what else the machine does meets them alike:

- gradio: `qa ui`, through Gradio's HTTP call API (POST /gradio_api/call/ask, then its event stream);
- api-1: `qa serve --workers 1`, POST /v1/ask (the same object as `qa ask --json`);
- api-N: `qa serve --workers N` (default: the number of cores), POST /v1/ask.

For each client count, that many client threads ask the seed questions in a loop for a short warm-up and
then for --seconds; every loop stops at the deadline or at the request cap (with --think, each client
pauses between an answer and its next question, as a person reading the answer would; without it, clients
ask back to back). A request counts as an error when it fails at the HTTP level, raises, times out, or
returns something that is neither a cited answer nor an abstention. Prints errors, p50/p95 latency,
throughput and the server's CPU time per answer (every process of the server: workers and the UI's) for
each server and N, then the targets: CPU per answer on /v1/ask at most 0.6x the Gradio path's; answers/s
with N workers at least 1.6x one worker's; 0 errors at 32 clients; p50 at 8 clients within 5x of one
client. Servers are stopped at the end, also on Ctrl+C. Not a timed test: the figures depend on what else
the machine is doing (the load average is printed beside them).

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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPACINGS = count()  # one numbering across runs, so a spacing comes back only after thousands of requests
TARGET_CLIENTS, TARGET_RATIO = 8, 5.0
TARGET_CPU_RATIO, TARGET_SCALING = 0.6, 1.6


class BadAnswer(Exception):
    """The API answered, but not with an answer."""


@dataclass
class Run:
    """What N clients measured: latencies of good answers, and errors by kind."""

    server: str
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
    return [sys.executable, "-m", "cli.main", "--data-dir", str(data_dir), *args]


@dataclass(frozen=True)
class Target:
    """A server to load: its name in the table, the `qa` command that starts it, and how questions reach it."""

    name: str
    args: tuple[str, ...]
    path: str  # "gradio" (the call API and its event stream) or "api" (POST /v1/ask)
    workers: int = 1


def targets(names: list[str], workers: int) -> list[Target]:
    """The servers named on the command line, in that order."""
    known = {
        "gradio": Target("gradio", ("ui",), "gradio"),
        "api-1": Target("api-1", ("serve", "--workers", "1"), "api"),
        "api-N": Target(f"api-{workers}", ("serve", "--workers", str(workers)), "api", workers),
    }
    return [known[name] for name in names]


@contextmanager
def serve(
    target: Target, data_dir: Path, env: dict[str, str], log: Path, timeout: float = 180
) -> Iterator[tuple[str, int]]:
    """Run the target's `qa` command on a free loopback port until the block ends; yields its URL and pid."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            qa_command(data_dir, *target.args, "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C reaches this script, which stops the server itself
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, target, proc, timeout, log)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ingest(data_dir: Path, seeds: Path, env: dict[str, str]) -> None:
    """Index the seed documents with `qa ingest` (a no-op when the data directory already has them)."""
    done = subprocess.run(qa_command(data_dir, "ingest", "-q", str(seeds)), cwd=ROOT, env=env, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"load: `qa ingest` failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    print(done.stdout.decode().strip(), file=sys.stderr)


def wait_until_ready(url: str, target: Target, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Poll until the server answers (and, with workers, until every worker has answered); fail with the
    log's tail if it exits."""
    deadline = time.monotonic() + timeout
    probe = "/gradio_api/info" if target.path == "gradio" else "/healthz"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"load: `qa {target.args[0]}` exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}{probe}", timeout=2, trust_env=False).status_code == 200 and (
                target.workers == 1 or log.read_text(errors="replace").count("startup complete") >= target.workers
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"load: `qa {target.args[0]}` did not answer within {timeout:.0f} s (log: {log})")


def ask(client: httpx.Client, url: str, path: str, question: str, k: int) -> dict[str, Any]:
    """One question: through the REST API, or through Gradio's call API and its event stream."""
    if path == "api":
        response = client.post(f"{url}/v1/ask", json={"question": question, "k": k})
        response.raise_for_status()
        return check_answer([response.json()], question)
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


def client_loop(
    url: str, path: str, questions: list[str], run: Run, until: float, budget: Iterator[int], args: Any
) -> None:
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
                ask(client, url, path, question, args.k)
                run.latencies.append(time.perf_counter() - start)  # list.append is atomic
            except (httpx.HTTPError, BadAnswer, ValueError, KeyError) as err:
                run.errors[f"{type(err).__name__}: {str(err)[:120]}"] += 1
            if args.think:  # a person reading the answer before the next question, 0.5x to 1.5x of --think
                time.sleep(min(args.think * (0.5 + random.random()), max(until - time.monotonic(), 0)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and every live process under it (Linux /proc): the
    server's workers and its UI process count with it."""
    parents, times = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        proc = int(stat.parent.name)
        parents[proc], times[proc] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree, total = {pid}, 0
    for proc in sorted(times):  # children have larger pids than their parents, nearly always
        if proc in tree or parents.get(proc) in tree:
            tree.add(proc)
            total += times[proc]
    return total / os.sysconf("SC_CLK_TCK")


def run_clients(
    url: str, pid: int, target: Target, questions: list[str], clients: int, seconds: float, args: Any
) -> Run:
    """`clients` threads asking for `seconds`; the returned Run holds their figures."""
    run, budget = Run(target.name, clients), iter(range(args.max_requests))
    cpu_before, client_before, start = cpu_seconds(pid), time.process_time(), time.monotonic()
    threads = [
        threading.Thread(
            target=client_loop, args=(url, target.path, questions, run, start + seconds, budget, args), daemon=True
        )
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
    print(
        "| server | clients | requests | errors | p50 ms | p95 ms | answers/s | CPU ms/answer: server+clients | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        server, client = r.cpu_per_request()
        load = " ".join(f"{x:.2f}" for x in r.load)
        print(
            f"| {r.server} | {r.clients} | {r.requests} | {sum(r.errors.values())} | {r.percentile(50):.1f} | "
            f"{r.percentile(95):.1f} | {len(r.latencies) / r.seconds:.1f} | {server:.1f} + {client:.1f} | {load} |"
        )
    for r in runs:
        for kind, n in r.errors.most_common(5):
            print(f"  {r.server}, {r.clients} clients: {n} x {kind}")
    servers: dict[str, dict[int, Run]] = {}
    for r in runs:
        servers.setdefault(r.server, {})[r.clients] = r
    print()
    results = [report_errors(servers), report_cpu(servers), report_scaling(servers)]
    results += [report_ratio(name, by_n, back_to_back) for name, by_n in servers.items()]
    return all(result is not False for result in results)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def report_errors(servers: dict[str, dict[int, Run]]) -> bool:
    """0 errors at the largest client count, on every server."""
    passed = True
    for name, by_n in servers.items():
        errors = sum(by_n[max(by_n)].errors.values())
        print(f"{name}: errors at {max(by_n)} clients: {errors} (target 0): {verdict(errors == 0)}")
        passed = passed and errors == 0
    return passed


def cpu_per_answer(by_n: dict[int, Run]) -> float:
    """The server's CPU milliseconds per request over all of its client counts."""
    return sum(r.server_cpu for r in by_n.values()) * 1000 / max(sum(r.requests for r in by_n.values()), 1)


def report_cpu(servers: dict[str, dict[int, Run]]) -> bool | None:
    """CPU per answer on /v1/ask (one worker) against the Gradio path's, in this run."""
    if "gradio" not in servers or "api-1" not in servers:
        return None
    gradio, api = cpu_per_answer(servers["gradio"]), cpu_per_answer(servers["api-1"])
    ratio = api / gradio
    print(
        f"server CPU per answer: /v1/ask {api:.1f} ms, Gradio path {gradio:.1f} ms: {ratio:.2f}x "
        f"(target <= {TARGET_CPU_RATIO:g}x): {verdict(ratio <= TARGET_CPU_RATIO)}"
    )
    return ratio <= TARGET_CPU_RATIO


def report_scaling(servers: dict[str, dict[int, Run]]) -> bool | None:
    """Answers/s with N workers against one worker, each at its best client count."""
    many = [name for name in servers if name.startswith("api-") and name != "api-1"]
    if "api-1" not in servers or not many:
        return None

    def best(by_n: dict[int, Run]) -> float:
        return max(len(r.latencies) / r.seconds for r in by_n.values())

    one, n = best(servers["api-1"]), best(servers[many[0]])
    ratio = n / one
    print(
        f"answers/s: {many[0]} {n:.1f}, api-1 {one:.1f}: {ratio:.2f}x (target >= {TARGET_SCALING:g}x): "
        f"{verdict(ratio >= TARGET_SCALING)}"
    )
    return ratio >= TARGET_SCALING


def report_ratio(name: str, by_n: dict[int, Run], back_to_back: bool) -> bool | None:
    """The latency target; for clients asking back to back, beside the floor that CPU time puts under it."""
    if 1 not in by_n or TARGET_CLIENTS not in by_n:
        return None
    single, ratio = by_n[1], by_n[TARGET_CLIENTS].percentile(50) / by_n[1].percentile(50)
    line = f"{name}: p50 at {TARGET_CLIENTS} clients / at 1 client: {ratio:.2f}x (target <= {TARGET_RATIO:g}x)"
    if back_to_back:
        cores, cpu = len(os.sched_getaffinity(0)), sum(single.cpu_per_request())
        floor = TARGET_CLIENTS * cpu / cores
        line += (
            f"; CPU-bound floor {TARGET_CLIENTS} x {cpu:.1f} ms / {cores} cores = {floor / single.percentile(50):.1f}x"
        )
    print(f"{line}: {verdict(ratio <= TARGET_RATIO)}")
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
    parser.add_argument("--concurrency", type=int, help="QA_UI__CONCURRENCY for the Gradio path (default: settings)")
    parser.add_argument(
        "--servers",
        nargs="+",
        choices=["gradio", "api-1", "api-N"],
        default=["gradio", "api-1", "api-N"],
        help="servers to load, in this order (default: all three)",
    )
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="N of api-N (default: cores)")
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
        with ExitStack() as stack:  # every server up at once, so that each client count meets them in turn
            servers = [
                (target, *stack.enter_context(serve(target, data_dir, env, tmp / f"{target.name}.log")))
                for target in targets(args.servers, args.workers)
            ]
            for target, url, pid in servers:
                print(f"{target.name}: serving {url} (pid {pid}); {len(questions)} questions", file=sys.stderr)
            for clients in args.clients:
                for target, url, pid in servers:
                    run_clients(url, pid, target, questions, clients, args.warmup, args)
                    runs.append(run_clients(url, pid, target, questions, clients, args.seconds, args))
                    print(f"{target.name}, {clients} clients: {runs[-1].requests} requests", file=sys.stderr)
        runs.sort(key=lambda run: [t.name for t, _, _ in servers].index(run.server))
        return 0 if report(runs, back_to_back=not args.think) else 1
    except KeyboardInterrupt:
        print("load: interrupted; server stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
