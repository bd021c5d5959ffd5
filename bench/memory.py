"""Peak memory of `qa ingest` against the size of the folder: it should not grow with the corpus.

    .venv/bin/python bench/memory.py ../shared/eval/scifact-train/docs [--sizes 500 5183]

For each size, copies the first N files of the folder into a temporary one, runs `qa ingest` on it
in a new process with a new data directory, and prints the process's peak resident memory (the
kernel's high-water mark, `ru_maxrss`) beside the files, chunks and seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def peak_of_ingest(folder: Path, data_dir: Path) -> tuple[float, float, str]:
    """(peak MB, seconds, the ingest's summary line) of `qa ingest folder` in a child process."""
    command = [sys.executable, "-m", "cli.main", "--data-dir", str(data_dir), "ingest", "-q", str(folder)]
    script = (
        "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(done.stdout.strip()); "
        "sys.exit(done.returncode)"
    )
    start = time.perf_counter()
    # a fresh parent per run, so RUSAGE_CHILDREN holds this ingest alone (and its parsing worker, if larger)
    done = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak_kb, summary = done.stdout.splitlines()[:2]
    return int(peak_kb) / 1024, seconds, summary


def main() -> None:
    """Ingest growing prefixes of a folder and print the peaks."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5183])
    args = parser.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.is_file())
    print("| files | MB of text | peak memory MB | seconds | ingest |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "docs"
            folder.mkdir()
            for path in files[:size]:
                shutil.copy(path, folder / path.name)
            megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            peak, seconds, summary = peak_of_ingest(folder, Path(tmp) / "index")
            chunks = summary.split("chunks: ")[-1].split(" embedded")[0]
            print(f"| {len(files[:size])} | {megabytes:.1f} | {peak:.0f} | {seconds:.0f} | {chunks} chunks |")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
