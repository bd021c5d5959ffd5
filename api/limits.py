"""Request bodies of the API are bounded: an upload by the upload limit, anything else by 1 MiB.

A body declared larger (`Content-Length`) is refused before a byte of it is read; one sent without a length
is counted as it arrives and refused once it passes the limit. Either way the answer is the API's JSON 413.
The chat UI's own requests are left to Gradio, which applies the same upload limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import ApiError, error_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
JSON_LIMIT = 1024 * 1024  # bytes of a JSON request body; a question is at most 2,000 characters


class BodyLimit:
    """ASGI middleware: 413 for a body over `upload` bytes on `upload_path`, or over 1 MiB on the rest of `/v1/`."""

    def __init__(self, app: ASGIApp, upload: int, upload_path: str = "/v1/documents") -> None:
        """Wrap `app`."""
        self.app = app
        self.upload = upload
        self.upload_path = upload_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting `receive`, or refuse it."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        limit = self.upload if path == self.upload_path else JSON_LIMIT
        too_large = ApiError(413, f"the request body is larger than the limit of {limit:,} bytes")
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            await error_response(413, too_large.message)(scope, receive, send)
            return
        total, started = 0, False

        async def counted() -> Message:
            nonlocal total
            message = await receive()
            total += len(message.get("body", b""))
            if total > limit:
                raise too_large
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except ApiError as err:
            if started or err is not too_large:
                raise
            await error_response(413, err.message)(scope, receive, send)
