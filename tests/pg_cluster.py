"""A throwaway PostgreSQL cluster on loopback for the shared-mode tests (Debian's `postgresql` package).

`.ci/run` starts one and sets `QA_TEST_DATABASE_URL`; without it, `tests/conftest.py` starts one with
`start_cluster` for the session. Each test that needs the database gets a database of its own
(`fresh_database`), dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


def pg_bin() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian keeps one per major version)."""
    versions = sorted((p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()), key=lambda p: int(p.parent.name))
    assert versions, "PostgreSQL is required for the shared-mode tests (apt-get install postgresql)"
    return versions[-1]


@contextmanager
def start_cluster(port: int) -> Iterator[str]:
    """initdb in a temporary folder, start the server on 127.0.0.1:`port`; yields the URL of its `postgres`
    database (user `qa`, trust on loopback). As root, the server runs as the `postgres` user."""
    folder = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres")
    binaries = pg_bin()
    data, log = folder / "data", folder / "server.log"
    subprocess.run(
        [*as_user, binaries / "initdb", "-D", data, "-A", "trust", "-U", "qa"], check=True, stdout=subprocess.DEVNULL
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        [*as_user, binaries / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql://qa@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`; yields its URL and drops it afterwards."""
    import psycopg

    name = f"qa_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
