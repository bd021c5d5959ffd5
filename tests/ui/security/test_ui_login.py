"""Logins to the chat's real server (issue 15): throttled per account and address, and logged.

A server of its own (the throttle is per process, and every test client comes from 127.0.0.1, so the
address it locks would lock the other tests out).
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser
from ui_client import served

from qa import QA

PASSWORD = "alice-s3cret-pass"


def test_twenty_wrong_passwords_lock_the_account_which_is_told_so_and_other_accounts_still_get_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = {
        "dev_plaintext_users": f"alice:{PASSWORD},bob:bob-s3cret-pass",
        "lockout_seconds": 600,
        "address_pause_seconds": 0.2,
    }
    qa = QA(data_dir=tmp_path / "index", accounts=accounts)
    logs = caplog.at_level(logging.INFO, "access.login")
    with served(qa) as url, httpx.Client(base_url=url, timeout=60) as http, logs:
        wrong = [http.post("login", data={"username": "alice", "password": f"guess-{n:02}"}) for n in range(20)]
        right = http.post("login", data={"username": "alice", "password": PASSWORD})
        other_account = http.post("login", data={"username": "bob", "password": "bob-s3cret-pass"})
        other_wrong = http.post("login", data={"username": "bob", "password": "not-it"})
    assert [r.status_code for r in wrong] == [400] * 5 + [423] * 15
    assert wrong[0].json()["detail"] == "Incorrect name or password."
    # locked: the right password does not lift it, nor is it checked, and the person is told so and for how long
    assert right.status_code == 423 and int(right.headers["retry-after"]) > 590
    assert right.json()["detail"].startswith("This account is locked for 10 min")
    # the address is locked too, but that only slows it down: bob's right password gets in, a wrong one does not
    assert other_account.status_code == 200 and other_wrong.status_code == 400
    messages = [r.getMessage() for r in caplog.records if r.name == "access.login"]
    failed = [m for m in messages if m.startswith("login failed for account 'alice'")]
    refused = [m for m in messages if m.startswith("login refused for account 'alice'")]
    assert len(failed) == 5 and len(refused) == 16  # five checked, then every further try refused unchecked
    assert all("127.0.0.1" in m for m in failed + refused)  # the address the middleware saw
    assert "locked for 600 s" in failed[-1]
    assert any(m.startswith("login for account 'bob' from 127.0.0.1 slowed") for m in messages)
    assert any(m.startswith("login failed for account 'bob'") for m in messages)  # every refusal stays logged
    assert not any("guess-" in m or PASSWORD in m for m in messages)  # never a password in the log


def test_the_login_page_tells_a_locked_account_it_is_locked_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    accounts = {"dev_plaintext_users": f"alice:{PASSWORD}", "lockout_seconds": 600, "max_failures": 2}
    qa = QA(data_dir=tmp_path / "index", accounts=accounts)
    with served(qa) as url:
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(url)
            for password in ("guess-1", "guess-2", PASSWORD):
                page.fill("#username", "alice")
                page.fill("#password", password)
                page.click("button[type=submit]")
                page.locator("#login-message").wait_for()
            message = page.locator("#login-message").inner_text()
            assert "This account is locked for 10 min" in message and "Incorrect" not in message
            assert page.input_value("#username") == "alice"  # kept for the next try
        finally:
            context.close()
