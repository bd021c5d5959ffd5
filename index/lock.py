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


ADVISORY_KEY = 72110001  # the one writer lock of a shared-mode database


@contextmanager
def database_writer_lock(url: str, timeout: float) -> Iterator[None]:
    """Hold the shared mode's writer lock: a PostgreSQL advisory lock on a connection of its own, so it is
    released when the holder ends, even by a crash (the server ends the session).

    Raises:
        WriterBusyError: another app server's write still holds it after `timeout` seconds.
    """
    import psycopg

    from index.postgres import _plain

    with psycopg.connect(_plain(url), autocommit=True) as connection:
        connection.execute("SELECT set_config('application_name', %s, false)", (f"qa writer pid {os.getpid()}",))
        deadline = time.monotonic() + timeout
        while not _try_lock(connection):
            if time.monotonic() >= deadline:
                row = connection.execute(
                    "SELECT a.application_name, a.client_addr FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                    "WHERE l.locktype = 'advisory' AND l.objid = %s AND l.granted LIMIT 1",
                    (ADVISORY_KEY,),
                ).fetchone()
                holder = f"{row[0] or 'another process'} on {row[1] or 'this host'}" if row else "another app server"
                raise WriterBusyError(
                    f"an ingest is already running on the shared index ({holder}); "
                    f"waited {timeout:g} s: try again when it has finished"
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))


def _try_lock(connection: object) -> bool:
    row = connection.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()  # type: ignore[attr-defined]
    return bool(row and row[0])
