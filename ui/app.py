"""The staff chat: Gradio Blocks over one `QA` engine.

`build_ui(qa)` returns the Blocks; `launch(qa, ...)` serves it, and `mount(app, qa)` serves it inside
another ASGI app, with the theme, queue and login from settings (`access.login`: accounts with hashed
passwords, failed logins throttled per account and address; `ui/login_page.py`: the login page and the
signed sessions that survive a restart), the app's own document route and the
guard on Gradio's file routes (`ui/routes.py`). Handlers only translate between Gradio and `QA`, as
the session's user (`ui/session.py`): the chat's in `ui/chat.py`, the document viewer's in
`ui/viewer.py`, the Documents tab's in `ui/documents.py` (uploads in `ui/uploads.py`); rendering is
in `ui/render.py`, styles and the page script in `ui/theme.py`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from access.login import Authenticator, ClientAddressMiddleware, build_authenticator  # noqa: E402
from qa.service import QA  # noqa: E402
from ui.login_page import LoginPage  # noqa: E402
from ui.page import api_ask, build_ui  # noqa: E402
from ui.routes import DocumentRoute, RequestGuard  # noqa: E402
from ui.session import Sessions  # noqa: E402
from ui.theme import CSS, JS  # noqa: E402

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["api_ask", "build_ui", "launch", "mount"]


def launch(qa: QA, host: str | None = None, port: int | None = None, block: bool = True) -> gr.Blocks:
    """Serve the UI: warm engine, queue with a concurrency limit, upload size limit, optional login."""
    ui = qa.settings.ui
    qa.embedder.warm_up()
    authenticator = build_authenticator(qa.settings)
    demo = queued(qa, authenticator)
    demo.launch(
        server_name=host or ui.host,
        server_port=port or ui.port,
        prevent_thread_lock=not block,
        quiet=not block,
        **options(qa, authenticator),
    )
    return demo


def mount(app: FastAPI, qa: QA, path: str = "/") -> FastAPI:
    """Serve the UI inside another ASGI app at `path` (`qa serve`), as `launch` would serve it."""
    authenticator = build_authenticator(qa.settings)
    mounted: FastAPI = gr.mount_gradio_app(app, queued(qa, authenticator), path, **options(qa, authenticator))
    return mounted


def queued(qa: QA, authenticator: Authenticator | None = None) -> gr.Blocks:
    """The UI with its queue: `ui.concurrency` questions at a time, 100 waiting at most."""
    ui = build_ui(qa, authenticator)
    demo: gr.Blocks = ui.queue(default_concurrency_limit=qa.settings.ui.concurrency, max_size=100)
    return demo


def options(qa: QA, authenticator: Authenticator | None) -> dict[str, Any]:
    """What serving the UI takes besides the Blocks: login (`ui.login_page`; Gradio asks `auth_dependency`
    who each request's session is), the middleware (client address, login page, file guard, document
    route), the upload limit, theme, styles, script, footer."""
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    sessions = Sessions(authenticator, qa.settings)
    middleware = [
        Middleware(ClientAddressMiddleware),  # the login throttle counts failures per client address
        Middleware(RequestGuard),
        Middleware(DocumentRoute, qa=qa, sessions=sessions),
    ]
    if authenticator is not None:  # our login page and signed sessions, in place of Gradio's
        middleware.insert(1, Middleware(LoginPage, authenticator=authenticator, sessions=sessions))
    return {
        "auth_dependency": sessions.request_user if authenticator else None,
        "app_kwargs": {"middleware": middleware},
        "blocked_paths": [str(qa.settings.data_dir.resolve())],  # never served from Gradio's file route
        "max_file_size": int(qa.settings.ui.max_upload_mb * 1024 * 1024),  # bytes: "0.5mb" is not understood
        "theme": theme,
        "css": CSS,
        "js": JS,
        "footer_links": ["api"],
    }
