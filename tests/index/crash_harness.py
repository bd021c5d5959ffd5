"""An ingest that kills itself with SIGKILL at a chosen step, for the crash-safety tests.

    python tests/index/crash_harness.py DATA_DIR FOLDER STEP N

runs `QA(data_dir=DATA_DIR).ingest(FOLDER)` and, on the N-th time the process reaches STEP,
sends itself SIGKILL: no handler, no `finally`, no flush runs, as when the machine loses power
or the kernel kills the process. Exits normally (0) if STEP was reached fewer than N times.
With QA_DATABASE_URL and QA_CHROMA_URL set, the ingest is the shared mode's (PostgreSQL and a Chroma server).
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
from index.postgres import PgIndex
from qa import QA

SIDE = (LocalIndex, PgIndex)  # the index beside Chroma, in either mode
# Each step is a write that is killed just before it runs, and what the index holds at that moment.
STEPS: dict[str, tuple[tuple[type, ...], str]] = {
    "after-chroma-add": (SIDE, "add"),  # a batch is in Chroma, not yet in the local index
    "after-local-add": ((SQLRecordManager,), "update"),  # in both stores, not yet in the record manager
    "after-chroma-delete": (SIDE, "delete"),  # stale chunks gone from Chroma, still local and recorded
    "after-store-delete": ((SQLRecordManager,), "delete_keys"),  # gone from both stores, still recorded
    "before-manifest": (SIDE, "put_document"),  # every chunk written, the file not yet in the manifest
}


def kill_at(owners: tuple[type, ...], name: str, nth: int) -> None:
    """Replace `owner.name` of each owner with a version that SIGKILLs the process on the `nth` call."""
    calls = 0
    for owner in owners:
        original: Callable[..., Any] = getattr(owner, name)

        def wrapper(*args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return _original(*args, **kwargs)

        setattr(owner, name, wrapper)


def main(data_dir: str, folder: str, step: str, nth: str) -> None:
    """Ingest `folder`, killed at the `nth` time `step` is reached."""
    index.sync.WRITE_BATCH = 20  # more steps to be killed at, in a small folder
    kill_at(*STEPS[step], int(nth))
    QA(data_dir=Path(data_dir)).ingest(Path(folder))


if __name__ == "__main__":
    main(*sys.argv[1:])
