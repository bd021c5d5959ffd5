"""The chat's login and log-out, as ASGI middleware in front of the Gradio app (login on only).

- `GET /login`: a small page of its own (no script), saying why the person is there: logged out, session
  ended, or first visit. `POST /login` (form fields `username`, `password`) checks them (`access.login`):
  a correct password sets the signed session cookie (`access.sessions`) and goes to the chat; a wrong one,
  or a locked account, shows the page again with what happened (a locked account: for how long).
  Clients that do not ask for HTML get JSON: `{"success": true}`, or `{"detail": message}` with 400
  (wrong), or 423 and `Retry-After` (the account is locked).
- `GET /logout`: ends every session of the user (also after a restart, and in the other processes) and
  goes back to the login page.
- `GET /` without a valid session goes to the login page; Gradio itself refuses every other request
  without one (`auth_dependency`), so a session that ends while a page is open is refused, not ignored.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from access.login import Authenticator
from access.sessions import COOKIE
from ui.render import escape_text
from ui.routes import route_path
from ui.session import Sessions

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_FIELD = 4096  # a name or password longer than this is refused before anything is checked
REASONS = {
    "out": "You have logged out.",
    "ended": "Your session has ended (it lasts {hours:g} hours, or you logged out elsewhere): log in again.",
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Ask the documents</title>
<style>
:root {{ color-scheme: light dark; --bg: #f6f8fa; --card: #ffffff; --text: #1f2328; --muted: #57606a;
  --edge: #8c959f; --button: #0550ae; --button-text: #ffffff; --alert: #82071e; --alert-bg: #ffebe9;
  --info: #0a3069; --info-bg: #ddf4ff; }}
@media (prefers-color-scheme: dark) {{ :root {{ --bg: #0d1117; --card: #161b22; --text: #e6edf3;
  --muted: #a5afbb; --edge: #6e7681; --button: #79c0ff; --button-text: #0d1117; --alert: #ffc1bd;
  --alert-bg: #3d1418; --info: #cae8ff; --info-bg: #0c2d6b; }} }}
body {{ margin: 0; font-family: system-ui, sans-serif; background: var(--bg); color: var(--text); }}
main {{ max-width: 22rem; margin: 10vh auto; padding: 1.5rem; background: var(--card);
  border: 1px solid var(--edge); border-radius: 10px; }}
h1 {{ font-size: 1.3rem; margin: 0 0 1rem; }}
label {{ display: block; margin: .8rem 0 .3rem; font-weight: 600; }}
input {{ box-sizing: border-box; width: 100%; padding: .55rem; font-size: 1rem; color: var(--text);
  background: var(--card); border: 1px solid var(--edge); border-radius: 6px; }}
button {{ margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; font-weight: 600; border: 0;
  border-radius: 6px; background: var(--button); color: var(--button-text); cursor: pointer; }}
.message {{ padding: .6rem .8rem; border-radius: 6px; margin-bottom: .8rem; }}
.alert {{ color: var(--alert); background: var(--alert-bg); }}
.info {{ color: var(--info); background: var(--info-bg); }}
</style></head>
<body><main>
<h1>Ask the documents</h1>
{message}
<form method="post" action="login">
<label for="username">Name</label>
<input id="username" name="username" autocomplete="username" required value="{name}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
</main></body></html>
"""


def login_page(message: str = "", kind: str = "info", name: str = "", status: int = 200) -> HTMLResponse:
    """The login page, with `message` shown as an alert (`kind` "alert") or a note ("info")."""
    shown = ""
    if message:
        role = "alert" if kind == "alert" else "status"
        shown = f'<p class="message {kind}" role="{role}" id="login-message">{escape_text(message)}</p>'
    html = PAGE.format(message=shown, name=escape_text(name))
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    return HTMLResponse(html, status_code=status, headers=headers)


class LoginPage:
    """Serves the login page and log-out, and sends a browser without a session to the login page."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, sessions: Sessions) -> None:
        """Wrap `app` (the Gradio app); check logins with `authenticator`, keep them in `sessions`."""
        self.app, self.authenticator, self.sessions = app, authenticator, sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the login routes; pass every other request on."""
        path = route_path(scope).rstrip("/") if scope["type"] == "http" else None
        if path == "/login":
            response = await self.login(Request(scope, receive))
        elif path == "/logout":
            response = self.logout(Request(scope))
        elif path == "" and scope["method"] == "GET" and self.sessions.login_name(Request(scope).cookies) is None:
            response = self.to_login(Request(scope))
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    async def login(self, request: Request) -> Response:
        """The page (GET), or a login attempt (POST)."""
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.method != "POST":
            reason = REASONS.get(request.query_params.get("reason", ""), "")
            return login_page(reason.format(hours=self.sessions.tokens.lifetime / 3600))
        form = await request.form(max_files=0, max_fields=10)
        name, password = form.get("username"), form.get("password")
        if not isinstance(name, str) or not isinstance(password, str) or not name.strip():
            return _refused(wants_html, "Enter your name and password.", 400, "")
        if len(name) > MAX_FIELD or len(password) > MAX_FIELD:
            return _refused(wants_html, "The name or password is too long.", 400, "")
        result = await self.authenticator.login(name, password)
        if result.user is None:
            if result.locked_for:
                retry = {"Retry-After": str(math.ceil(result.locked_for))}
                return _refused(wants_html, result.message, 423, name, retry)
            return _refused(wants_html, result.message, 400, name)
        response: Response = RedirectResponse("./", 303) if wants_html else JSONResponse({"success": True})
        response.set_cookie(
            COOKIE,
            self.sessions.tokens.issue(result.user.name),
            max_age=int(self.sessions.tokens.lifetime),
            path=_root(request),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    def logout(self, request: Request) -> Response:
        """End the user's sessions and go to the login page, saying so."""
        name = self.sessions.login_name(request.cookies)
        if name is not None:
            self.sessions.tokens.end_all(name)
        response = RedirectResponse(_login_url(request, "out"), 303)
        response.delete_cookie(COOKIE, path=_root(request))
        return response

    def to_login(self, request: Request) -> Response:
        """To the login page, saying the session ended when the browser had one."""
        return RedirectResponse(_login_url(request, "ended" if COOKIE in request.cookies else ""), 303)


def _refused(html: bool, message: str, status: int, name: str, headers: dict[str, str] | None = None) -> Response:
    if html:
        response: Response = login_page(message, "alert", name, status)
    else:
        response = JSONResponse({"detail": message}, status_code=status)
    response.headers.update(headers or {})
    return response


def _root(request: Request) -> str:
    """The path the chat is served at ("/" unless mounted elsewhere), where the cookie applies."""
    return str(request.scope.get("root_path") or "").rstrip("/") + "/"


def _login_url(request: Request, reason: str) -> str:
    query = f"?{urlencode({'reason': reason})}" if reason else ""
    return str(URL(_root(request) + "login" + query))
