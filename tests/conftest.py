"""Shared fixtures: the real bundled MiniLM (loaded once), real Chroma in temporary directories.

Modules marked `chroma_backends` run every test that uses `chroma_url` (directly or through
`qa`, `seeded_qa`, ...) twice: against embedded Chroma and against a real Chroma server
(`QA_TEST_CHROMA_URL`, or one `chroma run` started here on loopback for the session).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before sentence_transformers is imported
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402

from qa import QA  # noqa: E402
from qa.settings import bundled_model_path  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SERVER_START_SECONDS = 30
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of modules that run against both Chroma back ends."""
    config.addinivalue_line("markers", "chroma_backends: run the module's index tests on embedded and server Chroma")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that drive Chromium run last, each whole: Playwright's sync API keeps its event loop running in the
    main thread from the first browser test to the end of the session, where pytest-asyncio's tests cannot then
    start one of their own."""
    with_browser = {getattr(item, "module", None) for item in items if "browser" in getattr(item, "fixturenames", ())}
    items.sort(key=lambda item: getattr(item, "module", None) in with_browser)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """In `chroma_backends` modules, run each test that touches Chroma once per back end."""
    if "chroma_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("chroma_backends"):
        # None is embedded: the same cache key as unmarked tests, so session engines are shared with them
        metafunc.parametrize("chroma_url", [None, "server"], ids=["embedded", "server"], indirect=True)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_heartbeat(url: str, seconds: float, server: subprocess.Popen[bytes] | None = None) -> None:
    """Return once the Chroma server at `url` answers its heartbeat; fail the session after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server is not None and server.poll() is not None:
            pytest.fail(f"`chroma run` exited with {server.returncode} before answering at {url}")
        if time.monotonic() > deadline:
            pytest.fail(f"no Chroma server answered at {url} within {seconds:.0f} s")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Chroma server on loopback: $QA_TEST_CHROMA_URL (CI starts one), else one started here."""
    url = os.environ.get("QA_TEST_CHROMA_URL")
    if url:
        wait_for_heartbeat(url, SERVER_START_SECONDS)
        yield url
        return
    root = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(root / "data")]
    with (root / "server.log").open("wb") as log:
        server = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    try:
        wait_for_heartbeat(url, SERVER_START_SECONDS, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def chroma_url(request: pytest.FixtureRequest) -> str | None:
    """The Chroma server's URL when this test runs against the server; None: embedded Chroma."""
    if getattr(request, "param", None) == "server":
        return str(request.getfixturevalue("chroma_server"))
    return None


@pytest.fixture(autouse=True)
def _chroma_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA_CHROMA_URL as the test's back end, so engines and CLI runs it builds itself use it too."""
    url = request.getfixturevalue("chroma_url") if "chroma_url" in request.fixturenames else None
    if url:
        monkeypatch.setenv("QA_CHROMA_URL", url)
    else:  # never a developer's own server
        monkeypatch.delenv("QA_CHROMA_URL", raising=False)


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
def postgres_server() -> Iterator[str]:
    """URL of a real PostgreSQL's `postgres` database on loopback: $QA_TEST_DATABASE_URL (CI starts a throwaway
    cluster), else one started here for the session (Debian's postgresql; see tests/pg_cluster.py)."""
    url = os.environ.get("QA_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from pg_cluster import start_cluster

    with start_cluster(free_port()) as started:
        yield started


@pytest.fixture
def database_url(postgres_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (dropped after it)."""
    from pg_cluster import fresh_database

    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The bundled model directory; a missing model is a packaging bug, so fail loudly."""
    path = bundled_model_path()
    assert (path / "tokenizer.json").is_file(), f"bundled model missing at {path}"
    return path


@pytest.fixture
def qa(tmp_path: Path, chroma_url: str | None) -> QA:
    """A QA engine over an empty index of its own."""
    return QA(data_dir=tmp_path / "index", chroma_url=chroma_url)


@pytest.fixture(scope="session")
def seeded_qa(tmp_path_factory: pytest.TempPathFactory, chroma_url: str | None) -> Iterator[QA]:
    """One engine with `seeds/` ingested, shared by read-only tests."""
    engine = QA(data_dir=tmp_path_factory.mktemp("seeded") / "index", chroma_url=chroma_url)
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless: one for the session (Playwright's sync API allows one at a time)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is required for the browser tests (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
