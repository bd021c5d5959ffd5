"""The staff chat: Gradio Blocks over one `QA` engine.

`build_ui(qa)` returns the Blocks; `launch(qa, ...)` serves it with the theme, queue and login
from settings. Handlers only translate between Gradio and `QA`: the chat's in `ui/chat.py`, the
document viewer's in `ui/viewer.py`, the Documents tab's in `ui/documents.py`; rendering is in
`ui/render.py`, styles and the page script in `ui/theme.py`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home

import gradio as gr  # noqa: E402

from qa.errors import QAError  # noqa: E402
from qa.service import QA  # noqa: E402
from ui.page import api_ask, build_ui  # noqa: E402
from ui.theme import CSS, JS  # noqa: E402

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["api_ask", "build_ui", "launch", "login", "mount", "parse_users"]


def parse_users(lines: list[str]) -> list[tuple[str, str]]:
    """'user:password' entries (blank lines and # comments skipped) as (user, password) pairs."""
    users = []
    for line in (line.strip() for line in lines):
        if line and not line.startswith("#"):
            user, sep, password = line.partition(":")
            if not (sep and user and password):
                raise QAError(f"ui.users: expected 'user:password', got {user!r} without a password")
            users.append((user, password))
    return users


def login(qa: QA) -> list[tuple[str, str]] | None:
    """Users from settings (`ui.users`, comma-separated, and/or `ui.users_file`), or None: login off."""
    ui = qa.settings.ui
    lines = (ui.users or "").split(",")
    if ui.users_file is not None:
        try:
            lines += Path(ui.users_file).read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise QAError(f"ui.users_file: cannot read {ui.users_file} ({err.strerror})") from err
    return parse_users(lines) or None


def launch(qa: QA, host: str | None = None, port: int | None = None, block: bool = True) -> gr.Blocks:
    """Serve the UI: warm engine, queue with a concurrency limit, upload size limit, optional login."""
    ui = qa.settings.ui
    qa.embedder.warm_up()
    demo = queued(qa)
    demo.launch(
        server_name=host or ui.host,
        server_port=port or ui.port,
        prevent_thread_lock=not block,
        quiet=not block,
        **options(qa),
    )
    return demo


def mount(app: FastAPI, qa: QA, path: str = "/") -> FastAPI:
    """Serve the UI inside another ASGI app at `path` (`qa serve`), as `launch` would serve it."""
    mounted: FastAPI = gr.mount_gradio_app(app, queued(qa), path, **options(qa))
    return mounted


def queued(qa: QA) -> gr.Blocks:
    """The UI with its queue: `ui.concurrency` questions at a time, 100 waiting at most."""
    demo: gr.Blocks = build_ui(qa).queue(default_concurrency_limit=qa.settings.ui.concurrency, max_size=100)
    return demo


def options(qa: QA) -> dict[str, Any]:
    """What serving the UI takes besides the Blocks: login, the upload limit, theme, styles, script, footer."""
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    return {
        "auth": login(qa),
        "max_file_size": int(qa.settings.ui.max_upload_mb * 1024 * 1024),  # bytes: "0.5mb" is not understood
        "theme": theme,
        "css": CSS,
        "js": JS,
        "footer_links": ["api"],
    }
