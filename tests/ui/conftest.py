"""Browser fixtures: one app over a fresh index of `seeds/` and a PDF, driven by Debian's Chromium (the session's
`browser`, from tests/conftest.py).

The app is started once for the UI tests on a free loopback port (real embedding model, real Chroma
in a temporary directory); tests that change the index add and remove documents of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from ui_driver import PDF_NAME, free_port, write_manual

from qa import QA
from ui.app import launch

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, QA]]:
    """The UI over a fresh index of seeds/ and a PDF manual, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("ui")
    manuals = root / "manuals"
    manuals.mkdir()
    write_manual(manuals / PDF_NAME)
    qa = QA(data_dir=root / "index")
    qa.ingest(SEEDS, manuals)
    port = free_port()
    demo = launch(qa, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/", qa
    demo.close()


@pytest.fixture
def open_page(browser: Browser, app: tuple[str, QA]) -> Iterator[Callable[..., Page]]:
    """Open the app in a new browser context (own storage) with options such as `color_scheme`; closed after."""
    contexts = []

    def opened(url: str | None = None, **options: Any) -> Page:
        context = browser.new_context(**{"viewport": {"width": 1300, "height": 950}, **options})
        contexts.append(context)
        page = context.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.requests.append(request.url))  # type: ignore[attr-defined]
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
        page.goto(url or app[0])
        page.wait_for_selector("#question textarea")
        return page

    yield opened
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """A fresh page on the app that records every request it makes and every dialog it opens."""
    return open_page()
