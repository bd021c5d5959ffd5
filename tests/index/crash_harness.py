"""An ingest that kills itself with SIGKILL at a chosen step, for the crash-safety tests.

    python tests/index/crash_harness.py DATA_DIR FOLDER STEP N

runs `QA(data_dir=DATA_DIR).ingest(FOLDER)` and, on the N-th time the process reaches STEP,
sends itself SIGKILL: no handler, no `finally`, no flush runs, as when the machine loses power
or the kernel kills the process. Exits normally (0) if STEP was reached fewer than N times.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_classic.indexes import SQLRecordManager

import index.sync
from index.local import LocalIndex
from qa import QA

# Each step is a write that is killed just before it runs, and what the index holds at that moment.
STEPS: dict[str, tuple[type, str]] = {
    "after-chroma-add": (LocalIndex, "add"),  # a batch is in Chroma, not yet in the local index
    "after-local-add": (SQLRecordManager, "update"),  # in both stores, not yet in the record manager
    "after-chroma-delete": (LocalIndex, "delete"),  # stale chunks gone from Chroma, still local and recorded
    "after-store-delete": (SQLRecordManager, "delete_keys"),  # gone from both stores, still recorded
    "before-manifest": (LocalIndex, "put_document"),  # every chunk written, the file not yet in the manifest
}


def kill_at(owner: type, name: str, nth: int) -> None:
    """Replace `owner.name` with a version that SIGKILLs the process on its `nth` call."""
    original: Callable[..., Any] = getattr(owner, name)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def main(data_dir: str, folder: str, step: str, nth: str) -> None:
    """Ingest `folder`, killed at the `nth` time `step` is reached."""
    index.sync.WRITE_BATCH = 20  # more steps to be killed at, in a small folder
    kill_at(*STEPS[step], int(nth))
    QA(data_dir=Path(data_dir)).ingest(Path(folder))


if __name__ == "__main__":
    main(*sys.argv[1:])
