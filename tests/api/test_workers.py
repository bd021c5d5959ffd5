"""`qa serve` with several worker processes over one data directory, the chat UI in one process behind them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_servers import QUESTION, START_SECONDS, free_port, wait_for_health
from gradio_client import Client
from ui_driver import stop

from qa import QA
from qa.settings import available_cores, load_settings


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.fixture(scope="module")
def workers_server(
    seeded_qa: QA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`qa serve --workers 2` in its own process over a copy of the seeded index."""
    data = tmp_path_factory.mktemp("workers") / "index"
    shutil.copytree(seeded_qa.settings.data_dir, data)
    port = free_port()
    log = (data.parent / "server.log").open("wb")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "cli.main", "--data-dir", str(data), "serve"]
    command += ["--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, START_SECONDS)
        yield url, server
    finally:
        stop(server)
        log.close()


def fresh(url: str) -> httpx.Client:
    """A client that opens a new connection per request, so that requests spread over the workers."""
    return httpx.Client(base_url=url, timeout=60, trust_env=False, headers={"Connection": "close"})


def test_the_default_is_one_worker_per_core() -> None:
    assert load_settings().serve.workers == available_cores() >= 1
    assert load_settings(serve={"workers": 3}).serve.workers == 3


def test_workers_answer_and_see_each_others_writes(workers_server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, server = workers_server
    assert len(children(server.pid)) >= 3  # two workers and the UI's process (and uvicorn's own helpers)
    client = fresh(url)
    assert all(client.post("/v1/ask", json={"question": QUESTION}).json()["citations"] for _ in range(6))
    text = b"The Marlowe lighthouse was repainted red and white in 1987 by the harbour trust."
    assert client.post("/v1/documents", files={"file": ("lighthouse.txt", text)}).status_code == 201
    for _ in range(6):  # whichever worker answers, dense and keyword search see the new document
        for retrieval in ("dense", "keyword"):
            body = {"question": "When was the Marlowe lighthouse repainted?", "retrieval": retrieval}
            assert client.post("/v1/ask", json=body).json()["citations"][0]["source"] == "lighthouse.txt"
    assert client.delete("/v1/documents/lighthouse.txt").status_code == 200
    assert all("lighthouse.txt" not in client.get("/v1/sources").text for _ in range(6))


def test_the_chat_ui_is_served_through_the_workers(workers_server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = workers_server
    page = fresh(url).get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    gradio = Client(f"{url}/", verbose=False)  # its queue's event stream passes through a worker to the UI process
    for _ in range(3):
        assert "April 4" in gradio.predict(QUESTION, 5, "extractive", api_name="/ask")["answer"]
