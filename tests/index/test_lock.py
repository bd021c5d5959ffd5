"""One writer per data directory; readers keep answering meanwhile."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cli.main import main
from index.lock import writer_lock
from qa import QA, IngestError


def seeded(tmp_path: Path) -> tuple[QA, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bell.txt").write_text("The keeper rings the fog bell every ninety seconds.")
    qa = QA(data_dir=tmp_path / "index", writer_wait=0.3)
    qa.ingest(docs)
    return qa, docs


def test_a_second_ingest_waits_a_bounded_time_then_says_an_ingest_is_running(tmp_path: Path) -> None:
    qa, docs = seeded(tmp_path)
    with writer_lock(qa.settings.data_dir, timeout=1):
        started = time.monotonic()
        with pytest.raises(IngestError, match="an ingest is already running"):
            qa.ingest(docs)
        assert 0.25 <= time.monotonic() - started < 2


def test_questions_are_answered_while_an_ingest_holds_the_index(tmp_path: Path) -> None:
    qa, _ = seeded(tmp_path)
    with writer_lock(qa.settings.data_dir, timeout=1):
        assert "ninety seconds" in qa.ask("How often does the keeper ring the fog bell?").text


def test_the_lock_is_released_after_an_ingest(tmp_path: Path) -> None:
    qa, docs = seeded(tmp_path)
    qa.ingest(docs)
    with writer_lock(qa.settings.data_dir, timeout=0):
        pass


def test_cli_ingest_during_another_ingest_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    qa, docs = seeded(tmp_path)
    monkeypatch.setenv("QA_WRITER_WAIT", "0.2")
    with writer_lock(qa.settings.data_dir, timeout=1):
        assert main(["--data-dir", str(qa.settings.data_dir), "ingest", "-q", str(docs)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qa: error: an ingest is already running") and "\n" not in err
