"""`qa migrate --to postgresql://...` (issue 23): an index moves into the shared mode without re-embedding,
answers there as before, checks clean, and a target that is not empty is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.permissions import ADMIN
from cli.main import main
from index.embedder import Embedder
from qa import QA

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTION = "When did Haftar announce his offensive on Tripoli?"


def test_an_index_moves_to_the_shared_mode_without_re_embedding_and_answers_the_same(
    tmp_path: Path,
    chroma_server: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "index"
    before = QA(data_dir=data)
    before.ingest(SEEDS)
    before.library.create("hr", ADMIN, owner="alice")
    expected = before.ask(QUESTION)

    def no_embedding(*args: object, **kwargs: object) -> None:
        raise AssertionError("migrate must not embed")

    monkeypatch.setattr(Embedder, "encode_chunks", no_embedding)
    argv = ["--data-dir", str(data), "migrate", "--to", database_url, "--chroma-url", chroma_server]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"copied {before.store.local.count()} chunks, 4 documents, 2 collections" in out
    monkeypatch.undo()
    after = QA(data_dir=tmp_path / "elsewhere", database_url=database_url, chroma_url=chroma_server)
    answer = after.ask(QUESTION)
    assert answer.text == expected.text and [c.quote for c in answer.citations] == [c.quote for c in expected.citations]
    assert after.sources() == before.sources() and after.check().ok
    assert {c.name for c in after.library.collections(ADMIN)} == {"default", "hr"}
    assert after.ingest(SEEDS)[0].count("unchanged") == 4  # the records came along: nothing is read again
    assert main(argv) == 2  # the target is no longer empty
    assert "the target is not empty" in capsys.readouterr().err
