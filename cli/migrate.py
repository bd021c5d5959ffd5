"""`qa migrate --to postgresql://...`: copy this data directory into the shared mode, without re-embedding: the index,
and the people (accounts with their hashes, API keys, votes, log-outs and the server's secret).

    qa [--data-dir DIR] migrate --to postgresql://user@host/db [--chroma-url http://host:8000]

The vectors go to the Chroma server of `--chroma-url` (default: $QA_CHROMA_URL), everything else to the
database, which must be empty; `qa check` is run on the result. Afterwards, serve with
`QA_DATABASE_URL` and `QA_CHROMA_URL` set (see docs/operations.md, "Shared mode").
"""

from __future__ import annotations

import argparse
import sys

from qa.errors import ConfigError, QAError
from qa.service import QA


def add_migrate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qa migrate` to the subcommands in `sub`."""
    migrate = sub.add_parser("migrate", help="copy this index into the shared mode (PostgreSQL + a Chroma server)")
    migrate.add_argument("--to", required=True, metavar="URL", help="an empty PostgreSQL database: postgresql://...")
    migrate.add_argument("--chroma-url", help="the Chroma server for the vectors (default: $QA_CHROMA_URL)")


def run_migrate(qa: QA, args: argparse.Namespace) -> int:
    """Copy the index of `qa` into the database of `--to`; exit 1 if the result does not check."""
    from index.migrate import MigrationError, migrate_index

    if qa.settings.database_url:
        raise ConfigError("this index is already in the shared mode (QA_DATABASE_URL is set): nothing to migrate")
    chroma_url = args.chroma_url or qa.settings.chroma_url
    if not chroma_url:
        raise ConfigError("--chroma-url (or QA_CHROMA_URL): the shared mode keeps its vectors on a Chroma server")
    target = QA(data_dir=qa.settings.data_dir, database_url=args.to, chroma_url=chroma_url)  # checked settings
    print(f"copying {qa.settings.data_dir} into {_shown(args.to)} (vectors on {chroma_url})", file=sys.stderr)
    from access.migrate import migrate_people

    try:
        report = migrate_index(qa.store, qa.writer.records, target.store, target.writer.records, _progress)
        people = migrate_people(qa.settings, args.to)
    except (MigrationError, QAError) as err:
        raise QAError(f"--to: {err}") from err
    print(file=sys.stderr)
    print(
        f"copied {report.chunks} chunks, {report.documents} documents, {report.collections} collections and "
        f"{report.records} records; {people.users} users, {people.keys} API keys, {people.votes} votes"
        + (" and the server's secret" if people.secret else "")
    )
    check = target.check()
    for line in check.lines():
        print(line)
    return 0 if check.ok else 1


def _progress(done: int, total: int) -> None:
    print(f"\r{done}/{total} chunks", end="", file=sys.stderr, flush=True)


def _shown(url: str) -> str:
    """The URL without a password."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':')[0]}@{tail}"
