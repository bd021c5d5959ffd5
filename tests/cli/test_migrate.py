"""`qa migrate --to postgresql://...` (issue 23): an index moves into the shared mode without re-embedding,
answers there as before, checks clean, and a target that is not empty is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.accounts import AccountsFile, users_file
from access.api_keys import KeysFile, keys_file, keys_store
from access.login import build_authenticator
from access.permissions import ADMIN
from access.sessions import SessionTokens
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
    AccountsFile(users_file(before.settings)).add("alice", "alice-pass-1234", groups=["hr"])
    _, token = KeysFile(keys_file(before.settings)).create("alice", "laptop")
    session = SessionTokens(data, 3600).issue("alice")
    before.library.create("hr", ADMIN, owner="alice")
    expected = before.ask(QUESTION)

    def no_embedding(*args: object, **kwargs: object) -> None:
        raise AssertionError("migrate must not embed")

    monkeypatch.setattr(Embedder, "encode_chunks", no_embedding)
    argv = ["--data-dir", str(data), "migrate", "--to", database_url, "--chroma-url", chroma_server]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"copied {before.store.local.count()} chunks, 4 documents, 2 collections" in out
    assert "1 users, 1 API keys, 0 votes and the server's secret" in out
    monkeypatch.undo()
    after = QA(data_dir=tmp_path / "elsewhere", database_url=database_url, chroma_url=chroma_server)
    answer = after.ask(QUESTION)
    assert answer.text == expected.text and [c.quote for c in answer.citations] == [c.quote for c in expected.citations]
    assert after.sources() == before.sources() and after.check().ok
    assert {c.name for c in after.library.collections(ADMIN)} == {"default", "hr"}
    assert after.ingest(SEEDS)[0].count("unchanged") == 4  # the records came along: nothing is read again
    shared = after.settings
    authenticator = build_authenticator(shared)
    assert authenticator is not None and authenticator.authenticate("alice", "alice-pass-1234") is not None
    assert keys_store(shared).verify(token) is not None  # the same key works
    assert SessionTokens(shared, 3600).name(session) == "alice"  # and so does a session of before
    assert main(argv) == 2  # the target is no longer empty
    assert "the target is not empty" in capsys.readouterr().err
