"""One SQLite file shared by the threads of a process: its lock, write transactions, schema upgrades, and meta.

`index.local.LocalIndex` builds on it (through `index.manifest.Manifest`); this module knows nothing
of chunks or files.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

META_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"


class SQLiteFile:
    """A SQLite database in WAL mode, safe to share between threads."""

    def __init__(self, path: Path, schema: str) -> None:
        """Open (or create) the database at `path` and run `schema` (idempotent DDL)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.executescript("PRAGMA journal_mode = WAL;" + META_SCHEMA + schema)
        self._writes = 0  # PRAGMA data_version only counts other connections' commits

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._writes += 1

    def _version(self) -> tuple[int, int]:
        """Changes whenever this database changes, in this process or another."""
        return self._db.execute("PRAGMA data_version").fetchone()[0], self._writes

    def _add_column(self, table: str, column: str, definition: str) -> None:
        """Add a column that a database made by an earlier version lacks."""
        columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
        if column in columns:
            return
        try:
            self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        except sqlite3.OperationalError as err:  # another process added it first
            if "duplicate column" not in str(err):
                raise

    def get_meta(self, key: str) -> str | None:
        """Read a small piece of index metadata."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Write a small piece of index metadata."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def claim_meta(self, key: str, value: str) -> str:
        """Record `value` under `key` unless a value is there already; return the recorded one.

        One transaction, so two processes opening a new data directory agree on one value.
        """
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def delete_meta(self, key: str) -> None:
        """Remove a piece of index metadata."""
        with self._transaction() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
