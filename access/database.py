"""The shared mode's people in PostgreSQL (`QA_DATABASE_URL`): the tables that replace the data directory's files.

    users           name, argon2 hash, groups, admin flag   (DATA_DIR/users.json; made by the first `qa users add`)
    api_keys        id, user, label, created, SHA-256        (api-keys.json)
    feedback        id, one vote as JSON                     (feedback.jsonl)
    sessions_ended  name, when its sessions were ended       (sessions-ended.json)
    server_secrets  name, value: the secret sessions and answers are signed with (server.key)

Every app server given the same `database_url` reads and writes the same rows, so they share accounts, keys,
votes, log-outs and the secret. The tables are made on first use (under an advisory lock, as
`index.postgres.PgIndex` makes its own), except `users`: like the users file, it exists once `qa users add`
has made it, and then login is on (see `access.accounts.AccountsTable`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qa.errors import ConfigError, QAError

DDL_LOCK = 7212  # pg_advisory_xact_lock key: two app servers making the tables at once (PgIndex's is 7211)

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, username TEXT NOT NULL, label TEXT NOT NULL, created TEXT NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (id BIGSERIAL PRIMARY KEY, record JSONB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions_ended (name TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
REVOKE ALL ON server_secrets FROM PUBLIC;
"""

USERS = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2%'),
    groups TEXT[] NOT NULL DEFAULT '{}', admin BOOLEAN NOT NULL DEFAULT FALSE)
"""


class DatabaseError(QAError):
    """The shared database refused a statement or could not be reached; the message says which."""


class Database:
    """One connection to the shared database for one object of `access`: autocommit, used under a lock,
    opened on first use (making the tables it lacks) and opened again after the server dropped it."""

    def __init__(self, url: str) -> None:
        """Store the URL (postgresql://...); nothing connects until first use."""
        self.url = url
        self._lock = threading.RLock()
        self._connection: Any = None

    def __repr__(self) -> str:
        return "Database(<database_url>)"  # the URL may hold a password

    def rows(self, sql: str, params: Any = None, missing_ok: bool = False) -> list[tuple[Any, ...]]:
        """The rows of one statement (none for a statement that returns none; with `missing_ok`, none when a
        table it names does not exist, as a missing file reads as empty).

        Raises:
            DatabaseError: the database refused the statement or could not be reached.
        """
        import psycopg

        with self._lock:
            try:
                cursor = self._connect().execute(sql, params)
                return cursor.fetchall() if cursor.description else []
            except psycopg.errors.UndefinedTable as err:
                if missing_ok:
                    return []
                raise DatabaseError(f"the shared database (database_url) failed: {err}") from err
            except psycopg.Error as err:
                raise DatabaseError(f"the shared database (database_url) failed: {err}") from err

    @contextmanager
    def transaction(self, ddl: str = "") -> Iterator[Any]:
        """The connection inside one transaction, for statements that must happen together; `ddl` (tables to
        make first) runs under the advisory lock that keeps two servers from making them at once.

        Raises:
            DatabaseError: the database refused a statement or could not be reached (nothing was changed).
        """
        import psycopg

        with self._lock:
            try:
                connection = self._connect()
                with connection.transaction():
                    if ddl:
                        connection.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
                        connection.execute(ddl)
                    yield connection
            except psycopg.Error as err:
                raise DatabaseError(f"the shared database (database_url) failed: {err}") from err

    def close(self) -> None:
        """Close the connection (the next use opens another)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _connect(self) -> Any:
        if self._connection is not None and not (self._connection.closed or self._connection.broken):
            return self._connection
        import psycopg

        from index.postgres import _plain

        try:
            connection = psycopg.connect(_plain(self.url), autocommit=True)
        except psycopg.OperationalError as err:
            raise ConfigError(
                f"cannot connect to the shared database (database_url, QA_DATABASE_URL): {err}".strip()
            ) from err
        weakref.finalize(self, connection.close)  # closed with its object, never left to the garbage collector
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
                connection.execute(SCHEMA)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection
