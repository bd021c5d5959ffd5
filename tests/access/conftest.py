"""People's state in both modes: files of a data directory, or the tables of a shared PostgreSQL database.

Tests that take `people_db` run twice: with None (the local mode) and with the URL of a fresh database of their
own (the shared mode, `tests/conftest.py`'s `database_url`); `people.settings_of` builds the settings of either.
"""

from __future__ import annotations

import pytest
from people import NO_CHROMA


@pytest.fixture(autouse=True)
def _no_shared_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never a developer's own QA_DATABASE_URL: each test says which mode it runs in."""
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)


@pytest.fixture(params=["files", "database"])
def people_db(request: pytest.FixtureRequest) -> str | None:
    """None: accounts, keys, votes and sessions in files of the data directory; else a fresh database's URL."""
    return str(request.getfixturevalue("database_url")) if request.param == "database" else None


@pytest.fixture
def cli_mode(people_db: str | None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The `qa` options (before the command) that select the mode of `people_db`."""
    if people_db is None:
        return []
    monkeypatch.setenv("QA_CHROMA_URL", NO_CHROMA)
    return ["--database-url", people_db]
