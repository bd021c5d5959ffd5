"""Strict request bodies over plain HTTP (a real server, login off): wrong types, nulls, bad JSON are 400.

No coercion: "5", 5.0 and true are not integers, "yes" and 1 are not booleans, and an explicit null is
refused for a field that has a default (leave the field out instead). Every error names the field in
`param` and starts its message with it; a body that is not JSON says where it breaks.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_servers import QUESTION, Server

ROUTES = {
    "/v1/ask": {"question": QUESTION, "mode": "extractive"},
    "/v1/chat/completions": {"model": "extractive", "messages": [{"role": "user", "content": QUESTION}]},
}
BOTH = [
    ("k", "5", "k: must be an integer"),
    ("k", 5.0, "k: must be an integer"),
    ("k", True, "k: must be an integer"),
    ("k", None, "k: must be an integer, not null"),
    ("sources", None, "sources: must be an array, not null"),
    ("sources", "memo.txt", "sources: must be an array"),
    ("sources", [1], "sources[0]: must be a string"),
    ("retrieval", None, "retrieval: must be a string, not null"),
]
ASK = [
    ("question", None, "question: must be a string, not null"),
    ("question", 42, "question: must be a string"),
    ("mode", None, "mode: must be a string, not null"),
    ("mode", 1, "mode: must be a string"),
    ("history", None, "history: must be an array, not null"),
    ("history", "earlier", "history: must be an array"),
    ("foo", 1, "foo: is not a field of this request"),
]
CHAT = [
    ("stream", "yes", "stream: must be true or false"),
    ("stream", 1, "stream: must be true or false"),
    ("stream", None, "stream: must be true or false, not null"),
    ("n", None, "n: must be an integer, not null"),
    ("n", "1", "n: must be an integer"),
    ("model", None, "model: must be a string, not null"),
    ("messages", "hello", "messages: must be an array"),
]
CASES = [(route, *case) for route in ROUTES for case in BOTH] + [
    *(("/v1/ask", *case) for case in ASK),
    *(("/v1/chat/completions", *case) for case in CHAT),
]


def http(server: Server) -> httpx.Client:
    """A plain HTTP client for `server` (no proxy from the environment)."""
    return httpx.Client(base_url=server.url, timeout=60, trust_env=False)


def assert_400(response: httpx.Response, param: str | None, fragment: str) -> str:
    """Assert an invalid_request_error naming `param` whose message holds `fragment`; return the message."""
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert fragment in error["message"], error
    return str(error["message"])


@pytest.mark.parametrize(("route", "field", "value", "fragment"), CASES)
def test_a_wrong_type_or_a_null_is_400_naming_the_field(
    open_server: Server, route: str, field: str, value: object, fragment: str
) -> None:
    param = fragment.split(":")[0]  # the field, or the item at fault ("sources[0]")
    body = {**ROUTES[route], field: value}
    message = assert_400(http(open_server).post(route, json=body), param, fragment)
    assert message.startswith(f"{param}: ")


@pytest.mark.parametrize(("route", "field"), [("/v1/ask", "question"), ("/v1/chat/completions", "messages")])
def test_a_missing_field_is_400_saying_it_is_required(open_server: Server, route: str, field: str) -> None:
    body = {name: value for name, value in ROUTES[route].items() if name != field}
    assert_400(http(open_server).post(route, json=body), field, f"{field}: is required")


@pytest.mark.parametrize("route", ROUTES)
def test_valid_requests_still_answer(open_server: Server, route: str) -> None:
    client = http(open_server)
    extras = {"temperature": 0.2, "top_p": 1} if route == "/v1/chat/completions" else {}
    response = client.post(route, json={**ROUTES[route], "k": 3, "retrieval": "hybrid", **extras})
    assert response.status_code == 200, response.text
    if route == "/v1/ask":
        assert response.json()["citations"]
        return
    assert "April 4" in response.json()["choices"][0]["message"]["content"]
    unstreamed = client.post(route, json={**ROUTES[route], "k": 3, "stream": False})
    assert unstreamed.status_code == 200 and unstreamed.headers["content-type"].startswith("application/json")
    streamed = client.post(route, json={**ROUTES[route], "k": 3, "stream": True})
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    assert streamed.text.rstrip().endswith("data: [DONE]")


@pytest.mark.parametrize("route", ROUTES)
def test_a_body_that_is_not_json_says_where_it_breaks(open_server: Server, route: str) -> None:
    client = http(open_server)
    headers = {"content-type": "application/json"}
    broken = client.post(route, content='{"question": "x" "k": 3}', headers=headers)
    message = assert_400(broken, None, "the request body is not valid JSON: ")
    assert message.endswith("Expecting ',' delimiter at line 1, column 18 (character 17)")
    on_line_3 = client.post(route, content='{\n  "question": "x"\n  "k": 3\n}', headers=headers)
    assert_400(on_line_3, None, "at line 3, column 3 (character 22)")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("content", "kind"), [("[1]", "an array"), ('"x"', "a string"), ("3", "an integer")])
def test_a_body_that_is_json_but_not_an_object_is_400(open_server: Server, route: str, content: str, kind: str) -> None:
    response = http(open_server).post(route, content=content, headers={"content-type": "application/json"})
    assert_400(response, None, f"the request body must be a JSON object, not {kind}")


def test_the_openapi_docs_show_the_strict_types_without_null(open_server: Server) -> None:
    schemas: dict[str, Any] = http(open_server).get("/openapi.json").json()["components"]["schemas"]
    for model, field, kind in (
        ("AskRequest", "k", "integer"),
        ("AskRequest", "mode", "string"),
        ("ChatRequest", "n", "integer"),
        ("ChatRequest", "sources", "array"),
    ):
        described = schemas[model]["properties"][field]
        assert described["type"] == kind and "default" not in described, (model, field, described)
        assert field not in schemas[model].get("required", []) and "null" not in json.dumps(described)
