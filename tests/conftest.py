"""Shared fixtures: the real bundled MiniLM (loaded once), real Chroma in temporary directories."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before sentence_transformers is imported
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402

from qa import QA  # noqa: E402
from qa.settings import bundled_model_path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that reaches beyond loopback, naming the address."""
    if request.node.get_closest_marker("llm"):
        return
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family != socket.AF_UNIX and host not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"test tried to reach {address!r}; mark it @pytest.mark.llm if intended")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The bundled model directory; a missing model is a packaging bug, so fail loudly."""
    path = bundled_model_path()
    assert (path / "tokenizer.json").is_file(), f"bundled model missing at {path}"
    return path


@pytest.fixture
def qa(tmp_path: Path) -> QA:
    """A QA engine over an empty index of its own."""
    return QA(data_dir=tmp_path / "index")


@pytest.fixture(scope="session")
def seeded_qa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QA]:
    """One engine with `seeds/` ingested, shared by read-only tests."""
    engine = QA(data_dir=tmp_path_factory.mktemp("seeded") / "index")
    engine.ingest(SEEDS)
    yield engine


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """An empty documents folder."""
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def copy_seeds(target: Path) -> None:
    """Copy the seed documents (not the question set) into `target`."""
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, target / path.name)
