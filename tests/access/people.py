"""Helpers of the people tests in both modes (the fixtures are in this folder's conftest.py)."""

from __future__ import annotations

from pathlib import Path

from qa.settings import Settings, load_settings

NO_CHROMA = "http://127.0.0.1:1"  # the shared mode names a Chroma server; nothing of access/ ever contacts it


def settings_of(data_dir: Path, database_url: str | None, **overrides: object) -> Settings:
    """The settings of one app server: its own data directory, and the shared database when `database_url` is set."""
    shared = {"database_url": database_url, "chroma_url": NO_CHROMA} if database_url else {}
    return load_settings(data_dir=data_dir, **shared, **overrides)


def rows(database_url: str, sql: str) -> list[tuple[object, ...]]:
    """What `sql` returns in the database, read as an administrator would."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []
