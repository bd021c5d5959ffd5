"""Two app servers, two data directories, one index (issue 23), and the operations page's steps, on one machine.

    .venv/bin/python bench/shared_mode.py [--questions 1000]

Starts what docs/operations.md ("Shared mode") describes, for real: a throwaway PostgreSQL cluster (Debian's
package), a Chroma server, and two `qa serve` app servers with data directories of their own. Then:
1. users alice and bob (private collections) and their API keys, made through app server A's CLI;
2. a document uploaded through A is answered through B with the same citation: the time until B answers;
3. app server A is killed (SIGKILL) during an ingest: B keeps answering, and B's next ingest converges;
4. `--questions` mixed questions from alice and bob through both servers: sources reached that are the other
   user's (must be 0);
5. backup (`pg_dump`, and Chroma's directory copied with the Chroma server stopped) and restore into a new
   database and a new Chroma directory: a server over the restored copy answers the same.
Prints each figure; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from pg_cluster import pg_bin, start_cluster  # noqa: E402

QA_BIN = str(Path(sys.executable).parent / "qa")
CHROMA_BIN = str(Path(sys.executable).parent / "chroma")
QUESTION = "When did Haftar announce his offensive on Tripoli?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered {url} within {seconds:.0f} s")


@contextmanager
def process(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=out, env={**os.environ, **(env or {})}, cwd=REPO)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def chroma_server(path: Path, port: int, log: Path) -> Iterator[str]:
    command = [CHROMA_BIN, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    with process(command, log):
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/api/v2/heartbeat")
        yield url


@contextmanager
def app_server(
    data_dir: Path, port: int, env: dict[str, str], log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    command = [QA_BIN, "--data-dir", str(data_dir), "serve", "--port", str(port), "--workers", "1", "--no-ui"]
    with process(command, log, env) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/healthz")
        yield url, proc


def qa_cli(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        [QA_BIN, *args], input=stdin, capture_output=True, text=True, env={**os.environ, **env}, cwd=REPO
    )
    if done.returncode != 0:
        raise SystemExit(f"qa {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120, trust_env=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=1000)
    args = parser.parse_args()
    failures: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="qa-shared-"))
    print(f"work folder {root}; PostgreSQL {pg_bin().parent.name}")
    with ExitStack() as stack:
        pg_url = stack.enter_context(start_cluster(free_port()))
        database = pg_url.rsplit("/", 1)[0] + "/qa"
        subprocess.run(["psql", pg_url, "-qc", "CREATE DATABASE qa"], check=True)
        chroma = stack.enter_context(chroma_server(root / "chroma", free_port(), root / "chroma.log"))
        env = {"QA_DATABASE_URL": database, "QA_CHROMA_URL": chroma, "HF_HUB_OFFLINE": "1"}

        # 1. the index, users and keys, through app server A's data directory
        qa_cli(["--data-dir", str(root / "a"), "ingest", "-q", str(REPO / "seeds")], env)
        keys = {}
        for name in ("alice", "bob"):
            qa_cli(
                ["--data-dir", str(root / "a"), "users", "add", name, "--password-stdin"], env, f"{name}-pass-1234\n"
            )
            keys[name] = qa_cli(["--data-dir", str(root / "a"), "keys", "add", name], env).split()[-1]
        a_url, a_proc = stack.enter_context(app_server(root / "a", free_port(), env, root / "a.log"))
        b_url, _ = stack.enter_context(app_server(root / "b", free_port(), env, root / "b.log"))
        alice_a, alice_b = client(a_url, keys["alice"]), client(b_url, keys["alice"])
        bob_a, bob_b = client(a_url, keys["bob"]), client(b_url, keys["bob"])

        # 2. uploaded through A, answered through B (each server has answered once: its models are loaded)
        for warm in (alice_a, alice_b):
            warm.post("/v1/ask", json={"question": QUESTION}).raise_for_status()
        memo = b"The Zephyr merger memo says the company will buy Quillon Ltd for 412 million euros in March."
        uploaded = alice_a.post("/v1/documents", files={"file": ("memo.txt", memo, "text/plain")})
        started = time.monotonic()
        uploaded.raise_for_status()
        question = {"question": "How much will the company pay for Quillon?"}
        while True:
            answer = alice_b.post("/v1/ask", json=question).json()
            if any(c["source"] == "alice-private/memo.txt" for c in answer["citations"]):
                break
            if time.monotonic() - started > 30:
                failures.append("B never answered from the document uploaded through A")
                break
        seen = time.monotonic() - started
        through_a = alice_a.post("/v1/ask", json=question).json()
        same = [c["quote"] for c in through_a["citations"]] == [c["quote"] for c in answer["citations"]]
        print(f"uploaded through A, answered through B after {seen * 1000:.0f} ms; same citation: {same}")
        if seen > 1 or not same:
            failures.append(f"answered through B after {seen:.2f} s (target 1 s), same citation {same}")

        # 3. A killed during an ingest; B keeps answering, and its own ingest converges
        bulk = root / "bulk"
        bulk.mkdir()
        rng = random.Random(7)
        words = "harbour crane ferry tide quay lantern pier beacon anchor gull".split()
        for n in range(60):
            text = " ".join(f"The {rng.choice(words)} {n}-{s} weighs {rng.randint(1, 999)} tonnes." for s in range(80))
            (bulk / f"bulk_{n:02}.txt").write_text(text)
        ingest = subprocess.Popen(
            [QA_BIN, "--data-dir", str(root / "a"), "ingest", "-q", str(bulk)],
            env={**os.environ, **env},
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(4)  # the script's own pacing, not a test: let the ingest get going
        ingest.send_signal(signal.SIGKILL)
        a_proc.send_signal(signal.SIGKILL)
        ingest.wait()
        answered = [bob_b.post("/v1/ask", json={"question": QUESTION}).status_code for _ in range(5)]
        print(f"A and its ingest killed; B answered {answered.count(200)}/5 questions meanwhile")
        qa_cli(["--data-dir", str(root / "b"), "ingest", "-q", str(bulk)], env)
        check = subprocess.run(
            [QA_BIN, "--data-dir", str(root / "b"), "check"],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            cwd=REPO,
        )
        print(f"B's ingest after the kill: qa check exit {check.returncode}")
        if answered.count(200) != 5 or check.returncode != 0:
            failures.append("B did not keep answering, or its ingest did not converge")
        a_url, _ = stack.enter_context(app_server(root / "a", free_port(), env, root / "a2.log"))
        alice_a, bob_a = client(a_url, keys["alice"]), client(a_url, keys["bob"])

        # 4. mixed questions from two users through both servers
        questions = [
            QUESTION,
            "How much will the company pay for Quillon?",
            "What does the Zephyr memo say?",
            "Who will buy Quillon Ltd?",
            "How many tonnes does the harbour crane weigh?",
        ]
        leaks = 0
        started = time.monotonic()
        for _ in range(args.questions):
            who = rng.choice([alice_a, alice_b, bob_a, bob_b])
            reply = who.post("/v1/ask", json={"question": rng.choice(questions)}).json()
            reached = {p["source"] for p in reply.get("passages", [])} | {
                c["source"] for c in reply.get("citations", [])
            }
            if who in (bob_a, bob_b) and any(s.startswith("alice-private/") for s in reached):
                leaks += 1
        rate = args.questions / (time.monotonic() - started)
        print(f"{args.questions} mixed questions from alice and bob through both servers: {leaks} leaks ({rate:.1f}/s)")
        if leaks:
            failures.append(f"{leaks} leaks")

        # 5. backup and restore
        dump = root / "qa.dump"
        subprocess.run([str(pg_bin() / "pg_dump"), "-Fc", "-f", str(dump), database], check=True)
        stack.close()  # everything stops: Chroma's directory is copied at rest
        with start_cluster(free_port()) as pg2:
            restored_db = pg2.rsplit("/", 1)[0] + "/qa"
            subprocess.run(["psql", pg2, "-qc", "CREATE DATABASE qa"], check=True)
            subprocess.run([str(pg_bin() / "pg_restore"), "-d", restored_db, str(dump)], check=True)
            shutil.copytree(root / "chroma", root / "chroma-restored")
            with chroma_server(root / "chroma-restored", free_port(), root / "chroma2.log") as chroma2:
                env2 = {"QA_DATABASE_URL": restored_db, "QA_CHROMA_URL": chroma2, "HF_HUB_OFFLINE": "1"}
                with app_server(root / "c", free_port(), env2, root / "c.log") as (c_url, _):
                    restored = client(c_url, keys["alice"]).post("/v1/ask", json=question).json()
        same = [c["quote"] for c in restored["citations"]] == [c["quote"] for c in through_a["citations"]]
        print(f"restored from pg_dump and a copy of Chroma's directory: same answer {same}")
        if not same:
            failures.append("the restored copy answers differently")
    for failure in failures:
        print("FAILED:", failure)
    shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
