"""Kill `qa ingest` with SIGKILL at random moments, many times, and check that it converges.

    .venv/bin/python bench/crash.py --runs 20

Builds a folder (v1), indexes it, then changes it (v2: edited, deleted and new files). Each
run copies the v1 index, starts `qa ingest` of v2 in its own process, kills it after a random
delay within the time an uninterrupted ingest takes, runs `qa ingest` again, and compares what
every store holds (Chroma ids, local chunks, keyword index, records, manifest) with an
uninterrupted v1 -> v2 ingest. Prints one line per run and a summary; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa import QA  # noqa: E402

WORDS = "amber basalt cobalt delta ember fjord granite harbor indigo juniper kelp lagoon".split()


def write_file(path: Path, seed: int, paragraphs: int) -> None:
    """A file of distinct, deterministic sentences."""
    rng = random.Random(seed)
    text = "\n\n".join(
        " ".join(
            f"Site {seed}.{p}.{s} on the {rng.choice(WORDS)} {rng.choice(WORDS)} recorded {rng.randint(1, 99999)} "
            f"samples of {rng.choice(WORDS)} in the {rng.choice(WORDS)} season."
            for s in range(5)
        )
        for p in range(paragraphs)
    )
    path.write_text(text, encoding="utf-8")


def build_folders(folder: Path, files: int) -> None:
    """v1: `files` files of 4 to 40 paragraphs."""
    folder.mkdir(parents=True)
    for i in range(files):
        write_file(folder / f"f{i:03}.txt", i, 4 + (i * 7) % 37)


def change_to_v2(folder: Path, files: int) -> None:
    """Edit every third file, delete every fifth, add a few."""
    for i in range(files):
        if i % 5 == 0:
            (folder / f"f{i:03}.txt").unlink()
        elif i % 3 == 0:
            write_file(folder / f"f{i:03}.txt", 1000 + i, 10 + i % 20)
    for i in range(files, files + files // 4):
        write_file(folder / f"f{i:03}.txt", i, 20)


def ingest(data_dir: Path, folder: Path) -> subprocess.Popen[bytes]:
    """`qa ingest` of `folder` in its own process."""
    command = [sys.executable, "-m", "cli.main", "--data-dir", str(data_dir), "ingest", "-q", str(folder)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def state(data_dir: Path) -> tuple[object, ...]:
    """What every store holds, in a comparable form."""
    qa = QA(data_dir=data_dir)
    store, records = qa.store, qa.writer.records
    return (
        sorted(store.collection.get(include=[])["ids"]),
        sorted(i for i, _ in store.local.chunk_sources()),
        store.local.keyword_rows_off(),
        sorted(records.list_keys()),
        sorted((d.source, d.sha256) for d in store.local.all_documents()),
        store.local.get_meta("writing"),
    )


def main() -> int:
    """Run the kills; 0 when every run converged."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="killed ingests (default 20)")
    parser.add_argument("--files", type=int, default=40, help="files in v1 (default 40)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="qa-crash-"))
    try:
        folder, base, reference = work / "docs", work / "v1", work / "reference"
        build_folders(folder, args.files)
        if ingest(base, folder).wait() != 0:
            raise SystemExit("the v1 ingest failed")
        change_to_v2(folder, args.files)
        shutil.copytree(base, reference)
        started = time.monotonic()
        if ingest(reference, folder).wait() != 0:
            raise SystemExit("the reference ingest failed")
        duration = time.monotonic() - started
        expected = state(reference)
        print(f"uninterrupted v1 -> v2 ingest: {duration:.1f} s, {len(expected[0])} chunks; killing within that")
        mismatches = killed = 0
        for run in range(1, args.runs + 1):
            data_dir = work / f"run{run}"
            shutil.copytree(base, data_dir)
            delay = rng.uniform(0, duration)
            process = ingest(data_dir, folder)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            was_killed = process.wait() == -signal.SIGKILL
            killed += was_killed
            if ingest(data_dir, folder).wait() != 0:
                print(f"run {run}: the ingest after the kill failed")
                mismatches += 1
                continue
            same = state(data_dir) == expected
            mismatches += not same
            print(f"run {run:>3}: killed after {delay:5.2f} s ({'killed' if was_killed else 'had finished'}); "
                  f"next ingest {'converged' if same else 'DIFFERS'}")
            shutil.rmtree(data_dir)
        print(f"{args.runs} runs, {killed} killed mid-ingest, {args.runs - mismatches} converged, "
              f"{mismatches} differ")
        return 1 if mismatches else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
