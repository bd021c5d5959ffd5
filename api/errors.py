"""Errors of the HTTP API: every one is JSON in OpenAI's shape, with the status its cause calls for.

    {"error": {"message": "k: must be a whole number from 1 to 50, got 0", "type": "invalid_request_error",
               "param": "k", "code": null}}

`param` names the field at fault: the engine's messages start with it ("k: ..."), and a request body that
does not parse names the path to the field ("messages[0].content: must be a string or an array, not 5").
A body that is not JSON, or not a JSON object, has no field at fault: its `param` is null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from access.permissions import PermissionDeniedError
from qa.errors import (
    ConfigError,
    IndexMissingError,
    IngestError,
    QAError,
    SourceNotFoundError,
    UploadRefusedError,
    UploadTooLargeError,
)

# the most specific class first; anything else the engine raises on purpose is the caller's mistake
STATUS: tuple[tuple[type[QAError], int], ...] = (
    (PermissionDeniedError, 403),
    (SourceNotFoundError, 404),
    (UploadTooLargeError, 413),
    (UploadRefusedError, 400),
    (IndexMissingError, 409),
    (IngestError, 409),  # another write holds the index past writer_wait
    (ConfigError, 500),
    (QAError, 400),
)
TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
}
FIELD = re.compile(r"([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)*): ")
# pydantic's error types -> what the field must be (the types the JSON of a request body can have)
EXPECTED = {
    "int_type": "an integer",
    "bool_type": "true or false",
    "string_type": "a string",
    "float_type": "a number",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
# what pydantic puts after a field in `loc` for each member of a union ("str", "list[TextPart]", "TextPart")
UNION_MEMBER = re.compile(r"[A-Z]|[\w-]+\[|(?:str|int|float|bool|list|dict|none)$")


class ApiError(Exception):
    """An error the API answers with `status`, naming `param` when one field is at fault."""

    def __init__(
        self, status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Say what went wrong, and what to do."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.headers = headers


def error_response(
    status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error body, OpenAI's shape."""
    kind = TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return JSONResponse(body, status_code=status, headers=headers)


def from_engine(err: QAError, param: str | None = None) -> JSONResponse:
    """An engine error as a response; `param` from the message's leading field name unless given."""
    status = next(code for kind, code in STATUS if isinstance(err, kind))
    message = str(err)
    if param is None and (match := FIELD.match(message)):
        param = match.group(1)
    return error_response(status, message, param)


def field_parts(location: Sequence[int | str]) -> tuple[int | str, ...]:
    """The field names and list indexes of an error's `loc`: without "body", nor the union members' names."""
    parts = tuple(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return tuple(p for i, p in enumerate(parts) if not (i and isinstance(p, str) and UNION_MEMBER.match(p)))


def field_path(location: Sequence[int | str]) -> str:
    """("body", "messages", 0, "content") -> "messages[0].content"."""
    path = ""
    for part in field_parts(location):
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def json_kind(value: object) -> str:
    """A value as a message shows it: a scalar as its JSON ("5", 5.0, true, null), else what it is."""
    if value is not None and not isinstance(value, bool | int | float | str):
        return _a(value)
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."


def not_json(body: object, position: int, reason: str) -> str:
    """Where a request body stops being JSON: "... at line 1, column 18 (character 17)"."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else str(body or "")
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return f"the request body is not valid JSON: {reason} at line {line}, column {column} (character {position})"


def invalid_body(errors: Sequence[Any], body: object) -> tuple[str, str | None]:
    """The message and `param` of a request that FastAPI could not read or validate: its first error.

    Each member of a union adds an error at the field or deeper; the deepest is the member that came
    closest, and when none got past the field, the message lists what each would have taken.
    """
    first = errors[0]
    kind, location = first.get("type"), tuple(first.get("loc", ()))
    if kind == "json_invalid":
        position = location[-1] if location and isinstance(location[-1], int) else 0
        return not_json(body, position, first.get("ctx", {}).get("error", "JSON decode error")), None
    parts = field_parts(location)
    if not parts and kind in EXPECTED:
        value = first.get("input")
        if isinstance(value, bytes | bytearray):
            return "the request body must be a JSON object, sent with content-type: application/json", None
        return f"the request body must be a JSON object, not {_a(value)}", None
    if not parts and kind == "missing":
        return "the request body is required: a JSON object", None
    related = [e for e in errors if field_parts(e.get("loc", ()))[: len(parts)] == parts]
    deepest = max(related, key=lambda e: len(field_parts(e.get("loc", ()))))
    if len(field_parts(deepest.get("loc", ()))) > len(parts):
        return invalid_body([deepest], body)
    path = field_path(location) or "body"
    expected = list(dict.fromkeys(EXPECTED[e["type"]] for e in related if e.get("type") in EXPECTED))
    if expected:
        return f"{path}: must be {' or '.join(expected)}, not {json_kind(first.get('input'))}", path
    return f"{path}: {_plain(first)}", path


def _a(value: object) -> str:
    """A JSON value's kind, with its article: "an array", "a string", "an integer", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds = ((dict, "an object"), (list, "an array"), (str, "a string"), (int, "an integer"), (float, "a number"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "a value of another kind")


def _plain(error: Any) -> str:
    """What is wrong with a field, for the pydantic errors that are not about its type."""
    kind, context = error.get("type"), error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request"
    if kind == "literal_error":
        return f"must be {context.get('expected')}, not {json_kind(error.get('input'))}"
    if kind == "too_short" and context.get("min_length") == 1:
        return "must not be empty"
    message = str(error.get("msg", "is not valid"))
    return message[:1].lower() + message[1:]


def install(app: FastAPI) -> None:
    """Answer every error of `app` as JSON: engine errors, `ApiError`, bad request bodies, HTTP errors."""

    async def engine(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, QAError)
        return from_engine(err)

    async def api(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, ApiError)
        return error_response(err.status, err.message, err.param, err.headers)

    async def invalid(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, RequestValidationError)
        message, param = invalid_body(err.errors(), err.body)
        return error_response(400, message, param)

    async def http(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, HTTPException)
        status = err.status_code
        message = "the request body is too large" if status == 413 else str(err.detail)
        return error_response(status, message, headers=dict(err.headers or {}))

    app.add_exception_handler(QAError, engine)
    app.add_exception_handler(ApiError, api)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)
