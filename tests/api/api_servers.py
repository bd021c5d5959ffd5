"""Helpers of the HTTP API tests: real servers on loopback (uvicorn in a thread) over real indexes.

- `open_server`: login off (no users file), the seeds indexed, the chat UI mounted, a fake LLM for mode "llm".
- `shared_server`: accounts alice and bob with API keys, each with a private collection, an hr collection
  shared with bob's group, and the public default collection.

Servers are started once per module and waited for through `/healthz`, never a fixed sleep.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from samples import write as write  # re-exported for the API tests

from access.permissions import User
from api.app import create_app
from qa import QA

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
START_SECONDS = 180
QUESTION = "When did Haftar announce his offensive on Tripoli?"
ALICE, BOB = User("alice"), User("bob", frozenset({"hr"}))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(url: str, seconds: float, alive: threading.Thread | None = None) -> None:
    """Return once `url/healthz` answers 200; fail after `seconds` or when the server's thread ends."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if alive is not None and not alive.is_alive():
            pytest.fail(f"the server at {url} stopped before answering /healthz")
        time.sleep(0.1)
    pytest.fail(f"no server answered {url}/healthz within {seconds:.0f} s")


@dataclass
class Server:
    """A running app: its base URL, the app (for its state) and its engine."""

    url: str
    app: FastAPI
    qa: QA


class ThreadedServer:
    """uvicorn serving an app in a thread of the test process."""

    running: list[ThreadedServer] = []

    def __init__(self, app: FastAPI) -> None:
        """Serve `app` on a free loopback port."""
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @classmethod
    def start(cls, qa: QA, ui: bool = False) -> Server:
        """Serve `qa` (with the chat UI mounted when `ui`) until the module ends."""
        app = create_app(qa, "mount" if ui else "none")
        server = cls(app)
        server.thread.start()
        url = f"http://127.0.0.1:{server.port}"
        wait_for_health(url, START_SECONDS, server.thread)
        cls.running.append(server)
        return Server(url, app, qa)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for it."""
        self.server.should_exit = True
        self.thread.join(30)


@dataclass
class Shared:
    """The server with accounts, and the keys of its users."""

    server: Server
    keys: dict[str, str]
