"""Errors of the HTTP API: every one is JSON in OpenAI's shape, with the status its cause calls for.

    {"error": {"message": "k: must be a whole number from 1 to 50, got 0", "type": "invalid_request_error",
               "param": "k", "code": null}}

`param` names the field at fault: the engine's messages start with it ("k: ..."), and a request body that
does not parse names the path to the field ("messages[0].content").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from access.permissions import PermissionDeniedError
from qa.errors import ConfigError, IndexMissingError, IngestError, QAError, SourceNotFoundError

# the most specific class first; anything else the engine raises on purpose is the caller's mistake
STATUS: tuple[tuple[type[QAError], int], ...] = (
    (PermissionDeniedError, 403),
    (SourceNotFoundError, 404),
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


def field_path(location: Sequence[int | str]) -> str:
    """("body", "messages", 0, "content") -> "messages[0].content"."""
    path = ""
    for part in location[1:] if location and location[0] in ("body", "query", "path", "header") else location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


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
        first = err.errors()[0]
        param = field_path(first.get("loc", ()))
        return error_response(400, f"{param or 'body'}: {first.get('msg', 'invalid')}", param or None)

    async def http(_: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, HTTPException)
        status = err.status_code
        message = "the request body is too large" if status == 413 else str(err.detail)
        return error_response(status, message, headers=dict(err.headers or {}))

    app.add_exception_handler(QAError, engine)
    app.add_exception_handler(ApiError, api)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)
