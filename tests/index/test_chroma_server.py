"""Chroma server mode (QA_CHROMA_URL): the vectors really live on the server, one collection per data directory."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from qa import QA, ConfigError

ALPHA = "The alpha reactor was commissioned in 1998. It produces steam for the northern district."
BETA = "The beta library lends rare maps. Its reading room opens at nine in the morning."


def server_client(url: str) -> chromadb.api.ClientAPI:
    """A client of our own, to look at the server behind the engine's back."""
    host, port = url.removeprefix("http://").split(":")
    return chromadb.HttpClient(host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False))


@contextmanager
def socket_on_loopback() -> Iterator[int]:
    """A loopback port held by a socket that never listens, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def folder(root: Path, name: str, text: str) -> Path:
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / name).write_text(text, encoding="utf-8")
    return docs


def test_chunks_are_stored_on_the_server_and_nothing_in_the_data_dir(chroma_server: str, tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index", chroma_url=chroma_server)
    qa.ingest(folder(tmp_path, "alpha.txt", ALPHA + " " + BETA * 20))
    collection = server_client(chroma_server).get_collection(qa.store.collection.name)
    assert collection.count() == qa.store.local.count() > 1
    assert set(collection.get()["ids"]) == set(qa.store.local.chunk_ids("alpha.txt"))
    assert not (tmp_path / "index" / "chroma").exists()


def test_two_data_dirs_on_one_server_do_not_see_each_others_chunks(chroma_server: str, tmp_path: Path) -> None:
    first = QA(data_dir=tmp_path / "first" / "index", chroma_url=chroma_server)
    second = QA(data_dir=tmp_path / "second" / "index", chroma_url=chroma_server)
    first.ingest(folder(tmp_path / "first", "alpha.txt", ALPHA))
    second.ingest(folder(tmp_path / "second", "beta.txt", BETA))
    assert first.store.collection.name != second.store.collection.name
    for qa, own in ((first, "alpha.txt"), (second, "beta.txt")):
        passages = qa.retrieve("reactor steam library maps", k=5, retrieval="dense")
        assert [p.chunk.source for p in passages] == [own]
        assert qa.store.collection.count() == 1


def test_a_data_dir_reopened_later_finds_its_own_collection(chroma_server: str, tmp_path: Path) -> None:
    QA(data_dir=tmp_path / "index", chroma_url=chroma_server).ingest(folder(tmp_path, "alpha.txt", ALPHA))
    reopened = QA(data_dir=tmp_path / "index", chroma_url=chroma_server)
    passages = reopened.retrieve("When was the reactor commissioned?", k=1, retrieval="dense")
    assert passages[0].chunk.source == "alpha.txt"


def test_an_unreachable_server_is_a_config_error_saying_how_to_start_one(tmp_path: Path) -> None:
    with socket_on_loopback() as port:  # bound but not listening: nothing answers there
        url = f"http://127.0.0.1:{port}"
        with pytest.raises(ConfigError) as caught:
            QA(data_dir=tmp_path / "index", chroma_url=url).ingest(folder(tmp_path, "alpha.txt", ALPHA))
    message = str(caught.value)
    assert "QA_CHROMA_URL" in message and url in message
    assert f"chroma run --path DIR --port {port}" in message


def test_a_malformed_url_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="QA_CHROMA_URL.*'127.0.0.1:8000'"):
        QA(data_dir=tmp_path / "index", chroma_url="127.0.0.1:8000").ingest(folder(tmp_path, "alpha.txt", ALPHA))


def test_an_embedded_index_is_refused_in_server_mode_and_still_opens_embedded(
    chroma_server: str, tmp_path: Path
) -> None:
    docs = folder(tmp_path, "alpha.txt", ALPHA)
    QA(data_dir=tmp_path / "index", chroma_url=None).ingest(docs)
    with pytest.raises(ConfigError, match="embedded Chroma.*unset QA_CHROMA_URL"):
        QA(data_dir=tmp_path / "index", chroma_url=chroma_server).ask("When was the reactor commissioned?")
    assert QA(data_dir=tmp_path / "index", chroma_url=None).ask("When was the reactor commissioned?").citations


def test_a_server_index_is_refused_in_embedded_mode(chroma_server: str, tmp_path: Path) -> None:
    QA(data_dir=tmp_path / "index", chroma_url=chroma_server).ingest(folder(tmp_path, "alpha.txt", ALPHA))
    with pytest.raises(ConfigError, match=f"Chroma server at {chroma_server}.*set QA_CHROMA_URL"):
        QA(data_dir=tmp_path / "index", chroma_url=None).ask("When was the reactor commissioned?")
    assert not (tmp_path / "index" / "chroma").exists()


def test_an_index_from_before_the_mode_was_recorded_counts_as_embedded(chroma_server: str, tmp_path: Path) -> None:
    docs = folder(tmp_path, "alpha.txt", ALPHA)
    QA(data_dir=tmp_path / "index", chroma_url=None).ingest(docs)
    with sqlite3.connect(tmp_path / "index" / "local.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key LIKE 'chroma%'")
    with pytest.raises(ConfigError, match="embedded Chroma"):
        QA(data_dir=tmp_path / "index", chroma_url=chroma_server).ask("When was the reactor commissioned?")
    assert QA(data_dir=tmp_path / "index", chroma_url=None).ask("When was the reactor commissioned?").citations


def test_a_server_without_the_indexs_collection_is_a_clear_error(chroma_server: str, tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index", chroma_url=chroma_server)
    qa.ingest(folder(tmp_path, "alpha.txt", ALPHA))
    server_client(chroma_server).delete_collection(qa.store.collection.name)
    with pytest.raises(ConfigError, match=f"no collection {qa.store.collection.name}.*point QA_CHROMA_URL"):
        QA(data_dir=tmp_path / "index", chroma_url=chroma_server).ask("When was the reactor commissioned?")
