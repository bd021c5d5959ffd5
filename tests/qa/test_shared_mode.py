"""The shared mode (issue 23): PostgreSQL beside a Chroma server, so that app servers with data directories of
their own answer from one index. Real servers: the session's Chroma server and a database of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.lock import database_writer_lock
from qa import QA
from qa.errors import ConfigError, IngestError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTION = "When did Haftar announce his offensive on Tripoli?"


@pytest.fixture
def two_servers(tmp_path: Path, chroma_server: str, database_url: str) -> tuple[QA, QA]:
    """Two engines, as two app servers on two machines would have: a data directory each, one shared index."""
    return tuple(  # type: ignore[return-value]
        QA(data_dir=tmp_path / name, chroma_url=chroma_server, database_url=database_url, writer_wait=0.3)
        for name in ("server-a", "server-b")
    )


def test_what_one_app_server_ingests_the_other_answers_with_the_same_citation(
    two_servers: tuple[QA, QA], tmp_path: Path
) -> None:
    a, b = two_servers
    a.ingest(SEEDS)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "fog.md").write_text("# Fog\n\nThe keeper rings the fog bell every ninety seconds.\n", encoding="utf-8")
    a.ingest(notes)
    first, second = a.ask(QUESTION), b.ask(QUESTION)
    assert "April 4" in second.text and second.text == first.text
    assert [(c.source, c.quote) for c in second.citations] == [(c.source, c.quote) for c in first.citations]
    assert b.sources() == a.sources() and "fog.md" in b.sources()
    assert "ninety seconds" in b.ask("How often does the keeper ring the fog bell?").text
    assert b.remove("fog.md") == 1 and "fog.md" not in a.sources()  # removed through the other one
    assert b.check().ok  # `qa check` from either server: the stores agree
    assert {p.name for p in (tmp_path / "server-a").iterdir()} <= {"server.key", "eval", "chroma"}  # no index files


def test_one_writer_at_a_time_across_app_servers(two_servers: tuple[QA, QA]) -> None:
    a, b = two_servers
    a.ingest(SEEDS)
    url = a.settings.database_url
    assert url is not None
    with database_writer_lock(url, 1), pytest.raises(IngestError, match="already running on the shared index"):
        b.ingest(SEEDS)  # another app server's write holds the index
    assert "unchanged" in b.ingest(SEEDS)[0].summary()  # free again


def test_the_shared_mode_needs_a_chroma_server_and_a_postgresql_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set chroma_url"):
        QA(data_dir=tmp_path, database_url="postgresql://qa@127.0.0.1/qa", chroma_url=None).settings  # noqa: B018
    with pytest.raises(ConfigError, match="database_url.*postgresql://"):
        QA(data_dir=tmp_path, database_url="mysql://qa@127.0.0.1/qa", chroma_url="http://127.0.0.1:1")
