"""The chat UI behind several API workers: one process serves it, and every worker passes its requests on.

Gradio keeps its queue, sessions and logins in the memory of one process, so a page whose requests land
on different workers breaks (its event stream is "not found"). With more than one worker, `qa serve` runs
the UI in one process of its own on a Unix socket in a private folder (`ui_server`), and each API worker
forwards whatever is not the API to it (`UIProxy`), streaming both ways, with the client's address in
`X-Forwarded-For` (trusted there: only this user's processes can reach the socket). With one worker the
UI is mounted in the worker itself and none of this runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import httpx

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


class UIProxy:
    """An ASGI app that forwards HTTP requests to the UI process's Unix socket."""

    def __init__(self, socket_path: str) -> None:
        """Forward to the server listening on `socket_path`; the connection pool opens on first use."""
        self.socket_path = socket_path
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """One pooled client per worker (created in the worker's event loop)."""
        if self._client is None:
            transport = httpx.AsyncHTTPTransport(uds=self.socket_path)
            self._client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(None, connect=10))
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward one request and stream the answer back."""
        if scope["type"] != "http":  # Gradio's chat needs no websocket
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1003})
            return
        try:
            upstream = await self.client.send(self._request(scope, receive), stream=True)
        except httpx.TransportError:
            body = b"the chat UI is not running (see the server's log)"
            await send({"type": "http.response.start", "status": 502, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            headers = [(k, v) for k, v in upstream.headers.raw if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": upstream.status_code, "headers": headers})
            async for data in upstream.aiter_raw():
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await upstream.aclose()

    def _request(self, scope: Scope, receive: Receive) -> httpx.Request:
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = httpx.URL("http://ui" + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else ""))
        client = scope.get("client")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP | {b"x-forwarded-for"}]
        if client:
            headers.append((b"x-forwarded-for", str(client[0]).encode()))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
        has_body = any(k.lower() in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])
        content = _body(receive) if has_body else None
        return self.client.build_request(scope["method"], url, headers=headers, content=content)


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise asyncio.CancelledError("the client went away")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
