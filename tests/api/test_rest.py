"""The REST routes over plain HTTP (httpx), with login off: ask, sources, upload, removal, errors, docs, the UI."""

from __future__ import annotations

import httpx
import pytest
from api_servers import QUESTION, Server
from gradio_client import Client

from qa.request import MAX_QUESTION_CHARS


def http(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60, trust_env=False)


def test_ask_returns_the_object_qa_ask_json_prints(open_server: Server) -> None:
    response = http(open_server).post("/v1/ask", json={"question": QUESTION, "k": 3, "mode": "extractive"})
    assert response.status_code == 200
    assert response.json() == open_server.qa.ask(QUESTION, k=3, mode="extractive").to_dict()
    body = response.json()
    assert body["kind"] == "answered" and 0 < body["confidence"] <= 1
    assert body["answer_span"]["text"] == "April 4" and body["citations"][0]["answer_text"] == "April 4"


def test_health_answers_once_the_worker_is_ready(open_server: Server) -> None:
    response = http(open_server).get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_sources_lists_what_is_indexed_with_chunk_counts(open_server: Server) -> None:
    listed = http(open_server).get("/v1/sources").json()["sources"]
    assert {s["source"]: s["chunks"] for s in listed} == open_server.qa.sources()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "x" * (MAX_QUESTION_CHARS + 1)}, "question"),
        ({"question": QUESTION, "k": 0}, "k"),
        ({"question": QUESTION, "k": "five"}, "k"),
        ({"question": QUESTION, "retrieval": "fuzzy"}, "retrieval"),
        ({"question": QUESTION, "mode": "poetry"}, "mode"),
        ({"k": 3}, "question"),
        ({"question": QUESTION, "colour": "red"}, "colour"),
    ],
)
def test_a_wrong_field_is_400_with_the_field_named(open_server: Server, body: dict[str, object], field: str) -> None:
    response = http(open_server).post("/v1/ask", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == field and error["message"].startswith(field) and error["type"] == "invalid_request_error"


def test_an_unknown_source_is_404(open_server: Server) -> None:
    client = http(open_server)
    assert client.post("/v1/ask", json={"question": QUESTION, "sources": ["nope.txt"]}).status_code == 404
    response = client.delete("/v1/documents/nope.txt")
    assert response.status_code == 404 and "nope.txt" in response.json()["error"]["message"]
    assert client.get("/v1/nothing-here").status_code == 404


def test_an_uploaded_document_is_answered_from_and_removed(open_server: Server) -> None:
    client = http(open_server)
    text = b"The Marlowe lighthouse was repainted red and white in 1987 by the harbour trust."
    added = client.post("/v1/documents", files={"file": ("lighthouse.txt", text, "text/plain")})
    assert added.status_code == 201 and added.json()["source"] == "lighthouse.txt" and added.json()["chunks"] == 1
    answer = client.post("/v1/ask", json={"question": "When was the Marlowe lighthouse repainted?"}).json()
    assert answer["citations"][0]["source"] == "lighthouse.txt" and "1987" in answer["answer"]
    removed = client.delete("/v1/documents/lighthouse.txt")
    assert removed.status_code == 200 and removed.json() == {
        "source": "lighthouse.txt",
        "status": "removed",
        "chunks": 1,
        "collection": None,
    }
    assert "lighthouse.txt" not in open_server.qa.sources()
    assert not (open_server.qa.settings.data_dir / "uploads" / "lighthouse.txt").exists()


def test_an_upload_over_the_limit_is_413_and_leaves_nothing(open_server: Server) -> None:
    client = http(open_server)  # the server's limit: 0.05 MB
    for size in (60_000, 400_000):  # over the limit; over the whole request's limit
        response = client.post("/v1/documents", files={"file": ("big.txt", b"word " * (size // 5), "text/plain")})
        assert response.status_code == 413, size
        assert response.json()["error"]["type"] == "request_too_large"
    assert "big.txt" not in open_server.qa.sources()
    assert not (open_server.qa.settings.data_dir / "uploads" / "big.txt").exists()


@pytest.mark.parametrize("name", ["notes.exe", "../../etc/passwd.txt", ".hidden.txt"])
def test_an_upload_with_a_bad_name_or_type_is_400_naming_the_file(open_server: Server, name: str) -> None:
    response = http(open_server).post("/v1/documents", files={"file": (name, b"some text", "text/plain")})
    assert response.status_code == 400 and response.json()["error"]["param"] == "file"


def test_the_openapi_docs_describe_every_route(open_server: Server) -> None:
    client = http(open_server)
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/chat/completions", "/v1/models", "/v1/ask", "/v1/sources", "/v1/documents", "/healthz"):
        assert path in paths
    assert "/v1/documents/{source}" in paths
    assert client.get("/docs").status_code == 200


def test_the_chat_ui_is_served_on_the_same_port(open_server: Server) -> None:
    page = http(open_server).get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    result = Client(f"{open_server.url}/", verbose=False).predict(QUESTION, 5, "extractive", api_name="/ask")
    assert result == open_server.qa.ask(QUESTION, k=5, mode="extractive").to_dict()
