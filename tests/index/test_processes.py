"""A process that reads an embedded index finds, by vector too, what another process wrote since it opened it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qa import QA

REPO = Path(__file__).resolve().parents[2]


def test_a_reader_finds_by_vector_what_another_process_ingested(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "alpha.txt").write_text("The alpha reactor was commissioned in 1998 near the river.", encoding="utf-8")
    reader = QA(data_dir=tmp_path / "index")
    reader.ingest(docs)
    assert reader.retrieve("When was the alpha reactor commissioned?", k=1, retrieval="dense")
    (docs / "beta.txt").write_text("The Marlowe lighthouse was repainted red and white in 1987.", encoding="utf-8")
    command = [sys.executable, "-m", "cli.main", "--data-dir", str(tmp_path / "index"), "ingest", "-q", str(docs)]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    question = "When was the Marlowe lighthouse repainted?"
    assert reader.retrieve(question, k=1, retrieval="dense")[0].chunk.source == "beta.txt"
    assert "1987" in reader.ask(question).text
