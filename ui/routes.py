"""The chat's own HTTP edge, as ASGI middleware inside the Gradio app (so it sees Gradio's logins).

- `GET /document/<source>`: the file behind an indexed source, streamed as a download to a session whose
  user may read it (`access.library.document_file`); anything else is 404, as for a source that does not exist.
- Gradio's file routes (`/gradio_api/file=...`, `/gradio_api/proxy=...`) answer 404: no document is ever
  served from Gradio's cache, and the server fetches no URL named in a request (Gradio would).
- A JSON request whose data names a file by URL (a `FileData` path such as `http://...`, `//host/x` or
  `data:...`), or a `FileData` outside Gradio's upload folder, is refused (400) before Gradio reads it,
  so Gradio never downloads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from gradio.utils import get_upload_folder
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from qa.errors import QAError
from qa.service import QA
from ui.document_info import document_file
from ui.session import Sessions

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DOCUMENT_ROUTE = "/document/"
MAX_JSON_BYTES = 16 * 1024 * 1024  # a chat kept in the browser (50 answers with their passages) is far less
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|[/\\]{2})", re.IGNORECASE)  # a scheme, or a network path


def document_url(source: str) -> str:
    """The link (relative to the chat page) that downloads `source` through `DocumentRoute`."""
    return "document/" + quote(source, safe="")


def route_path(scope: Scope) -> str:
    """The request's path inside the app it reached (without the path the app is mounted at)."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


class DocumentRoute:
    """Serves `GET /document/<source>` to users who may read the source; passes everything else on."""

    def __init__(self, app: ASGIApp, qa: QA, sessions: Sessions) -> None:
        """Wrap `app` (the Gradio app); files come from `qa`, users from `sessions`."""
        self.app, self.qa, self.sessions = app, qa, sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a document request, or pass the request on."""
        path = route_path(scope) if scope["type"] == "http" else ""
        if not path.startswith(DOCUMENT_ROUTE):
            await self.app(scope, receive, send)
            return
        response = await self.respond(Request(scope), path[len(DOCUMENT_ROUTE) :])
        await response(scope, receive, send)

    async def respond(self, request: Request, source: str) -> Response:
        """The file as an attachment (never rendered in the page), or 401/404/405."""
        if request.method not in ("GET", "HEAD"):
            return Response("only GET", status_code=405, headers={"Allow": "GET, HEAD"})
        try:
            user = self.sessions.named(self.sessions.login_name(request.cookies))
        except QAError:
            return Response("log in first", status_code=401)
        path = await anyio.to_thread.run_sync(document_file, self.qa, source, user)
        if path is None:
            return Response("no such document", status_code=404)
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
        return FileResponse(path, media_type="application/octet-stream", filename=path.name, headers=headers)


class RequestGuard:
    """Closes Gradio's file routes and refuses request data that names a file by URL or outside the uploads."""

    def __init__(self, app: ASGIApp, upload_folder: str | None = None) -> None:
        """Wrap `app`; `upload_folder` is where Gradio keeps uploads (default: Gradio's)."""
        self.app = app
        self.upload_folder = Path(upload_folder or get_upload_folder()).resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what names files or URLs; pass everything else on unchanged."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if "/file=" in path or "/proxy=" in path:
            await Response("not found: documents are downloaded from /document/<source>", 404)(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if scope["method"] != "POST" or not headers.get(b"content-type", b"").startswith(b"application/json"):
            await self.app(scope, receive, send)
            return
        body = await _read(receive, MAX_JSON_BYTES)
        problem = "the request is too large" if body is None else self.refusal(body)
        if problem:
            await JSONResponse({"error": problem}, status_code=400 if body is not None else 413)(scope, receive, send)
            return
        await self.app(scope, _replay(body or b"", receive), send)

    def refusal(self, body: bytes) -> str | None:
        """Why a JSON body is refused (a file named by URL, or outside the upload folder), or None."""
        try:
            data = json.loads(body)
        except ValueError:
            return None  # not ours to judge: Gradio answers it
        for item in _dicts(data):
            path = item.get("path")
            if not isinstance(path, str):
                continue
            if _URL.match(path.strip()):
                return "files are uploaded, never named by URL: the server fetches nothing named in a request"
            meta = item.get("meta")
            if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData" and not self._uploaded(path):
                return "that file was not uploaded here"
        return None

    def _uploaded(self, path: str) -> bool:
        try:
            return Path(path).resolve().is_relative_to(self.upload_folder)
        except (OSError, ValueError):
            return False


def _dicts(data: Any) -> list[dict[str, Any]]:
    """Every dict inside `data` (JSON), depth first."""
    found, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it is longer than `limit`."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = bool(message.get("more_body", False))
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` first, then what the client sends (its disconnect)."""
    sent = False

    async def replayed() -> MutableMapping[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
