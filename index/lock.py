"""One writer per data directory: an advisory file lock held while the index is written.

Readers never take it, so questions keep being answered during an ingest.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "writer.lock"


class WriterBusyError(Exception):
    """Another process (or thread) is writing the same index."""


@contextmanager
def writer_lock(data_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the data directory's writer lock, waiting up to `timeout` seconds for it.

    Raises:
        WriterBusyError: the lock is still held after `timeout`; says by which process.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    with path.open("a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise WriterBusyError(
                        f"an ingest is already running on {data_dir} (pid {holder}); "
                        f"waited {timeout:g} s: try again when it has finished"
                    ) from None
                time.sleep(0.05)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
