"""LangChain's SQL record manager: which chunk ids each source produced, for incremental sync.

The record manager lives in `records.sqlite` beside the store (in the shared mode, in PostgreSQL).
`recorded_sources` reads its table directly, because `SQLRecordManager.list_keys` gives keys without
their source; it is the one place that knows that table's layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from langchain_classic.indexes import SQLRecordManager
from sqlalchemy import Engine, text

from index.chroma import COLLECTION


def open_record_manager(data_dir: Path, database_url: str | None = None) -> SQLRecordManager:
    """The SQL record manager beside the store (in the shared mode, in its PostgreSQL database)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if database_url:
        from index.postgres import sqlalchemy_url

        url = sqlalchemy_url(database_url)
    else:
        url = f"sqlite:///{data_dir / 'records.sqlite'}"
    manager = SQLRecordManager(f"chroma/{COLLECTION}", db_url=url)
    manager.create_schema()
    return manager


def recorded_sources(records: SQLRecordManager) -> Iterator[tuple[str, str]]:
    """(key, source) of every record."""
    query = text("SELECT key, group_id FROM upsertion_record WHERE namespace = :namespace")
    engine = records.engine
    if not isinstance(engine, Engine):  # pragma: no cover - open_record_manager makes a synchronous one
        raise TypeError("the record manager must use a synchronous engine")
    with engine.connect() as connection:
        for key, group in connection.execute(query, {"namespace": records.namespace}):
            yield str(key), str(group or "")
