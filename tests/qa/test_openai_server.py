"""The OpenAI-compatible client path against a small HTTP server on loopback: wire format, timeout, 500."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qa import QA

QUESTION = "When did Haftar announce his offensive on Tripoli?"


class FakeOpenAIServer(ThreadingHTTPServer):
    """Speaks /v1/chat/completions (plain or streamed), or misbehaves as told."""

    reply = ""
    behaviour = "ok"  # "ok", "slow" or "error"
    requests: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: FakeOpenAIServer

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.server.behaviour == "error":
            self._send(500, "application/json", json.dumps({"error": {"message": "boom", "type": "server_error"}}))
        elif self.server.behaviour == "slow":
            time.sleep(3)
        elif body.get("stream"):
            self._stream(self.server.reply, body["model"])
        else:
            message = {"role": "assistant", "content": self.server.reply}
            self._send(200, "application/json", json.dumps(_completion(body["model"], message)))

    def _send(self, status: int, kind: str, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, reply: str, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        words = reply.split(" ")
        for i, word in enumerate(words):
            delta = {"role": "assistant", "content": word + (" " if i < len(words) - 1 else "")}
            chunk = {**_completion(model, None), "object": "chat.completion.chunk"}
            chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


def _completion(model: str, message: dict[str, str] | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    srv = FakeOpenAIServer(("127.0.0.1", 0), Handler)
    srv.requests = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def engine(seeded_qa: QA, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, timeout: float = 10) -> QA:
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-123")
    llm = {
        "provider": "openai",
        "model": "test-model",
        "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1",
        "api_key_env": "TEST_LLM_KEY",
        "timeout": timeout,
        "max_retries": 0,
    }
    return QA(settings=seeded_qa.settings.model_copy(update={"llm": seeded_qa.settings.llm.model_copy(update=llm)}))


def test_openai_wire_format_carries_model_key_and_numbered_passages(
    seeded_qa: QA, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = next(p.rank for p in seeded_qa.retrieve(QUESTION) if "April 4" in p.chunk.text)
    server.reply = f"Haftar announced the offensive on April 4 [{n}]."
    answer = engine(seeded_qa, server, monkeypatch).ask(QUESTION)
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test-123"
    assert request["body"]["model"] == "test-model"
    roles = [m["role"] for m in request["body"]["messages"]]
    assert roles == ["system", "user"]
    assert '<passage n="1" source="000_e92089c36fa5833b.txt">' in request["body"]["messages"][1]["content"]
    assert answer.mode == "llm" and answer.citations[0].marker == n and "April 4" in answer.citations[0].quote


def test_a_server_timeout_falls_back_with_a_notice(
    seeded_qa: QA, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.behaviour = "slow"
    started = time.monotonic()
    answer = engine(seeded_qa, server, monkeypatch, timeout=0.5).ask(QUESTION)
    assert time.monotonic() - started < 2.5
    assert answer.mode == "extractive-fallback"
    assert "Timeout" in answer.notice or "timed out" in answer.notice.lower()
    assert "April 4" in answer.text


def test_a_server_error_falls_back_with_a_notice(
    seeded_qa: QA, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.behaviour = "error"
    answer = engine(seeded_qa, server, monkeypatch).ask(QUESTION)
    assert answer.mode == "extractive-fallback"
    assert "500" in answer.notice or "InternalServerError" in answer.notice
