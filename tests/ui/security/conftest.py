"""A real chat server with login (alice and bob), and pages of it in the session's headless Chromium.

The server runs in this process on a free loopback port over a fresh index of `seeds/`; tests add and
remove documents of their own, so they do not depend on each other's order. Every test runs twice: over
an index in a data directory, and in the shared mode (a PostgreSQL database and the Chroma server).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from ui_client import UIClient, served

from qa import QA

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
PASSWORDS = {"alice": "alice-s3cret-pass", "bob": "bob-s3cret-pass"}


@pytest.fixture(scope="session", params=["files", "shared"])
def login_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, QA]]:
    """The chat with login on (development users alice and bob, seeds in the public default collection)."""
    users = ",".join(f"{name}:{password}" for name, password in PASSWORDS.items())
    data_dir = tmp_path_factory.mktemp("secure") / "index"
    with ExitStack() as stack:
        shared = {}
        if request.param == "shared":
            from pg_cluster import fresh_database

            database = stack.enter_context(fresh_database(request.getfixturevalue("postgres_server")))
            shared = {"database_url": database, "chroma_url": request.getfixturevalue("chroma_server")}
        qa = QA(data_dir=data_dir, accounts={"dev_plaintext_users": users}, **shared)
        qa.ingest(SEEDS)
        with served(qa) as url:
            yield url, qa


@pytest.fixture
def client(login_app: tuple[str, QA]) -> Iterator[Callable[[str | None], UIClient]]:
    """`client(name)`: a new HTTP session logged in as `name` (None: anonymous); closed after the test."""
    opened: list[UIClient] = []

    def make(name: str | None) -> UIClient:
        session = UIClient(login_app[0])
        opened.append(session)
        if name is not None:
            assert session.login(name, PASSWORDS[name]).status_code == 200
        return session

    yield make
    for session in opened:
        session.close()


@pytest.fixture
def logged_in(browser: Browser, login_app: tuple[str, QA]) -> Iterator[Callable[[str], Page]]:
    """`logged_in(name)`: a page of the chat in a browser context of its own, after logging in as `name`."""
    contexts: list[BrowserContext] = []

    def open_as(name: str) -> Page:
        context = browser.new_context(viewport={"width": 1300, "height": 950}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.goto(login_app[0])
        page.fill("#username", name)
        page.fill("#password", PASSWORDS[name])
        page.keyboard.press("Enter")
        page.wait_for_selector("#question textarea", timeout=120_000)
        return page

    yield open_as
    for context in contexts:
        context.close()
