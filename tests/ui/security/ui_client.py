"""Driving the chat's server as a script or an attacker would: log in, upload, fire any event, ask.

`UIClient` speaks Gradio's HTTP protocol directly (POST /login, POST /gradio_api/upload, POST
/gradio_api/queue/join then the event stream of /gradio_api/queue/data), so a test can send what a
browser would not: another user's source to Remove, a collection it may not change, a file named by URL.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from qa import QA
from ui.app import launch

TIMEOUT = httpx.Timeout(180, connect=10)  # a bound for a busy machine, not an expected time


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(qa: QA) -> Iterator[str]:
    """The chat UI of `qa` on a free loopback port (login as its settings say); yields its URL."""
    port = free_port()
    demo = launch(qa, "127.0.0.1", port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def as_text(markup: object) -> str:
    """HTML shown by the page as the text a person reads."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(markup)))


class UIClient:
    """One browser-like session of the chat (its own cookies and Gradio session)."""

    def __init__(self, url: str) -> None:
        """A session on the app at `url`."""
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=TIMEOUT, follow_redirects=False)
        self.session_hash = secrets.token_hex(6)
        self._config: dict[str, Any] | None = None

    def close(self) -> None:
        """End the session."""
        self.http.close()

    def login(self, name: str, password: str) -> httpx.Response:
        """POST Gradio's login form."""
        return self.http.post("login", data={"username": name, "password": password})

    @property
    def config(self) -> dict[str, Any]:
        """The app's configuration: its components and events."""
        if self._config is None:
            response = self.http.get("config")
            response.raise_for_status()
            self._config = response.json()
        return self._config

    def event(self, elem_id: str, trigger: str) -> int:
        """The event (fn_index) that `trigger` ("click", "upload") of the component `elem_id` fires."""
        ids = [c["id"] for c in self.config["components"] if c.get("props", {}).get("elem_id") == elem_id]
        for number, dependency in enumerate(self.config["dependencies"]):
            if any(target[0] in ids and target[1] == trigger for target in dependency["targets"]):
                return int(dependency.get("id", number))
        raise AssertionError(f"no {trigger} event on #{elem_id}")

    def join(self, fn_index: int, data: list[Any]) -> httpx.Response:
        """POST one event to the queue (the response says whether it was accepted)."""
        body = {"data": data, "fn_index": fn_index, "session_hash": self.session_hash, "event_data": None}
        return self.http.post("gradio_api/queue/join", json=body)

    def run(self, elem_id: str, trigger: str, data: list[Any]) -> list[Any]:
        """Fire an event through the queue as the page would and return its outputs (AssertionError on an error)."""
        completed = self.completed(elem_id, trigger, data)
        assert completed.get("success"), completed
        return list(completed["output"]["data"])

    def completed(self, elem_id: str, trigger: str, data: list[Any]) -> dict[str, Any]:
        """Fire an event through the queue; the message that ends it (`success`, `output`: data or error)."""
        return self._completed(self.event(elem_id, trigger), data)

    def _completed(self, fn_index: int, data: list[Any]) -> dict[str, Any]:
        joined = self.join(fn_index, data)
        assert joined.status_code == 200, joined.text
        event_id = joined.json()["event_id"]
        with self.http.stream("GET", "gradio_api/queue/data", params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    return dict(message)
        raise AssertionError("the event stream ended before the event completed")

    def open_documents(self) -> list[Any]:
        """Open the Documents tab (its lists are read for this user); the table, choices and targets shown."""
        return self.run("documents-tab", "select", [[], None])

    def upload(self, path: Path) -> dict[str, Any]:
        """Upload a file to Gradio's upload route; its FileData as the page would send it."""
        with path.open("rb") as handle:
            response = self.http.post("gradio_api/upload", files={"files": (path.name, handle)})
        response.raise_for_status()
        [stored] = response.json()
        return {"path": stored, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def add_document(self, path: Path, collection: str | None) -> str:
        """Upload `path` on the Documents tab into `collection`; the status line the tab shows, as text."""
        return self.add_uploaded(self.upload(path), collection)

    def add_uploaded(self, uploaded: dict[str, Any], collection: str | None) -> str:
        """Index a file already sent to Gradio's upload route into `collection`; its status line once it is
        indexed or refused, as text (the uploads' timer is asked, as the page does, until it is finished)."""
        _, status, *_ = self.run("upload", "upload", [[uploaded], collection])
        name = str(uploaded.get("orig_name") or Path(str(uploaded["path"])).name)
        deadline = time.monotonic() + 300  # a bound, not an expected time
        while not (line := _finished_line(status, name)):
            assert time.monotonic() < deadline, f"{name} was not indexed nor refused in time: {as_text(status)}"
            status, *_ = self.run_dependency(self.timer_tick(), [])
        return as_text(line)

    def timer_tick(self) -> int:
        """The event the uploads' timer fires."""
        for number, dependency in enumerate(self.config["dependencies"]):
            if any(target[1] == "tick" for target in dependency["targets"]):
                return int(dependency.get("id", number))
        raise AssertionError("no timer on the page")

    def run_dependency(self, fn_index: int, data: list[Any]) -> list[Any]:
        """Fire the event `fn_index` through the queue; its outputs."""
        completed = self._completed(fn_index, data)
        assert completed.get("success"), completed
        return list(completed["output"]["data"])

    def remove_document(self, source: str) -> str:
        """Confirm the removal of `source` (as if it had been chosen in the list); the status shown, as text."""
        status, _ = self.run("remove-yes", "click", [source])
        return as_text(status)

    def ask(self, question: str, k: int = 5) -> dict[str, Any]:
        """The chat's `ask` API (`/gradio_api/call/ask`): the same object `qa ask --json` prints."""
        started = self.http.post("gradio_api/call/ask", json={"data": [question, k, ""]})
        started.raise_for_status()
        event_id = started.json()["event_id"]
        with self.http.stream("GET", f"gradio_api/call/ask/{event_id}") as stream:
            event = ""
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    assert event == "complete", line
                    return dict(json.loads(line[5:])[0])
        raise AssertionError("the ask stream ended without an answer")


def _finished_line(status: object, name: str) -> str | None:
    """The HTML of the newest upload line of `name` in the uploads' status once it is finished (or the refusal
    of the whole upload); None while it is unfinished."""
    if str(status or "").startswith('<p class="qa-rejected">'):
        return str(status)
    lines = [line for line in re.findall(r"<li[^>]*>.*?</li>", str(status or "")) if name in as_text(line)]
    return str(lines[-1]) if lines and "qa-job-finished" in lines[-1] else None


class Recorder(ThreadingHTTPServer):
    """A loopback HTTP server that records every request it receives (a stand-in for an attacker's site)."""

    def __init__(self) -> None:
        """Listen on a free loopback port."""
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.server.requests.append(self.path)
        body = b"fetched by the server"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass
