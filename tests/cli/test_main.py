"""The `qa` command line: JSON schema, helpful errors, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from qa import QA

pytestmark = pytest.mark.chroma_backends


def run_qa(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a fresh process."""
    env = {**os.environ, "QA_DATA_DIR": str(cwd / "index")}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_ask_before_any_ingest_tells_the_user_to_run_ingest(tmp_path: Path) -> None:
    result = run_qa("ask", "What happened?", cwd=tmp_path)
    assert result.returncode == 2
    assert "qa ingest" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_ask_json_matches_the_documented_schema(seeded_qa: QA, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = str(seeded_qa.settings.data_dir)
    assert main(["--data-dir", data_dir, "ask", "When did Haftar announce his offensive?", "--json", "-k", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data["question"], str) and isinstance(data["answer"], str)
    assert data["abstained"] is False
    assert len(data["passages"]) == 3
    for c in data["citations"]:
        assert isinstance(c["id"], int) and isinstance(c["source"], str)
        assert c["page"] is None or isinstance(c["page"], int)
        assert isinstance(c["start"], int) and isinstance(c["end"], int) and c["start"] < c["end"]
        assert isinstance(c["quote"], str) and isinstance(c["score"], float)
    for p in data["passages"]:
        assert {"source", "page", "start", "end", "text", "score"} <= set(p)
    assert "April 4" in data["answer"]
    assert data["kind"] == "answered" and isinstance(data["confidence"], float)
    assert data["answer_span"]["text"] == "April 4" and data["citations"][0]["answer_span"] == [
        data["answer_span"]["start"], data["answer_span"]["end"]]


def test_ask_prints_the_kind_the_confidence_and_the_answering_words(
    seeded_qa: QA, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(seeded_qa.settings.data_dir)
    assert main(["--data-dir", data_dir, "ask", "When did Haftar announce his offensive?"]) == 0
    out = capsys.readouterr().out
    assert "(answered, confidence 0." in out and re.search(r"Answer: “April 4” \[\d\]", out)
    assert main(["--data-dir", data_dir, "ask", "Who won the 2018 FIFA World Cup?"]) == 0
    assert "(not in sources, confidence 0." in capsys.readouterr().out


@pytest.mark.usefixtures("chroma_url")
def test_ingest_sources_and_remove_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The lighthouse keeper rings the bell at dusk.")
    (docs / "b.txt").write_text("Ferries leave the harbour every hour.")
    data_dir = str(tmp_path / "index")
    assert main(["--data-dir", data_dir, "ingest", "-q", str(docs)]) == 0
    assert "2 added" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "sources"]) == 0
    listing = capsys.readouterr().out
    assert "a.txt" in listing and "b.txt" in listing
    assert main(["--data-dir", data_dir, "remove", "a.txt"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", data_dir, "sources"]) == 0
    assert "a.txt" not in capsys.readouterr().out


@pytest.mark.usefixtures("chroma_url")
def test_ingest_with_a_broken_file_names_it_and_exits_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("The lighthouse keeper rings the bell at dusk.")
    (docs / "broken.docx").write_bytes(b"%PDF-1.4 not a word file")
    assert main(["--data-dir", str(tmp_path / "index"), "ingest", "-q", str(docs)]) == 1
    captured = capsys.readouterr()
    assert "broken.docx" in captured.err
    assert "1 added" in captured.out


def test_missing_path_and_unknown_source_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path / "index"), "ingest", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path / "index"), "remove", "ghost.txt"]) == 2
    assert "ghost.txt" in capsys.readouterr().err
