"""The HTTP server: the API (OpenAI-compatible and REST) with the chat UI on the same port.

    create_app(qa)          # the ASGI app over one engine: API routes, their docs at /docs, the UI at /
    app_from_env()          # the same, built in each worker process from QA_* settings (`qa serve`)

Each worker process holds one `QA` over the shared data directory: questions run concurrently in every
worker, and writes (uploads, removals) take the index's one writer lock, as the CLI's do.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio
from fastapi import FastAPI

from api import errors, openai_routes, rest
from api.auth import Gatekeeper
from api.limits import BodyLimit
from api.ui_proxy import UIProxy
from qa.service import QA
from qa.settings import load_settings

UI_SOCKET_ENV = "QASERVE_UI_SOCKET"  # set by `qa serve` for its workers when the UI runs in a process of its own
DESCRIPTION = """Cited answers from your documents.

* **OpenAI-compatible**: `POST /v1/chat/completions` (streamed or not) and `GET /v1/models` (the answer
  modes). The reply's `content` is the answer with its `[n]` markers; its `citations` and `passages` ride
  along on the message, and on the last streamed chunk.
* **REST**: `POST /v1/ask` (the object `qa ask --json` prints), `GET /v1/sources`, `POST /v1/documents`,
  `DELETE /v1/documents/{source}`.
* **Keys**: once accounts exist (`qa users add`), every `/v1` request needs `Authorization: Bearer <key>`
  (`qa keys add NAME`) and acts with that user's permissions. With login off no key is needed.
"""


def create_app(qa: QA, ui: Literal["mount", "none"] | UIProxy = "mount") -> FastAPI:
    """The ASGI app over `qa`: API routes, errors as JSON, and the chat UI at / (`ui`: mounted here,
    forwarded to the UI process, or none)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(warm_up, qa)  # /healthz answers once this worker can answer
        yield

    app = FastAPI(title="qa", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.qa = qa
    app.state.gatekeeper = Gatekeeper(qa.settings)
    errors.install(app)
    app.add_middleware(BodyLimit, upload=rest.upload_limit(qa) + rest.MULTIPART_SLACK)
    app.include_router(openai_routes.router)
    app.include_router(rest.router)
    app.include_router(rest.health)
    if isinstance(ui, UIProxy):
        app.mount("/", ui)
    elif ui == "mount":
        from ui.app import mount

        mount(app, qa, "/")
    return app


def warm_up(qa: QA) -> None:
    """Load the model and open the index, so that the first question is answered as fast as any."""
    qa.embedder.warm_up()
    qa.sources()


def app_from_env() -> FastAPI:
    """The app of one `qa serve` worker: settings from `QA_*`, the UI mounted here or forwarded."""
    settings = load_settings()
    socket_path = os.environ.get(UI_SOCKET_ENV)
    ui: Literal["mount", "none"] | UIProxy = "mount" if settings.serve.ui else "none"
    return create_app(QA(settings=settings), UIProxy(socket_path) if socket_path else ui)


def ui_app_from_env() -> FastAPI:
    """The app of the UI process: the chat alone, with the engine of its own (`qa serve` with workers)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    from ui.app import mount

    qa = QA(settings=load_settings())
    warm_up(qa)
    mount(app, qa, "/")
    return app
