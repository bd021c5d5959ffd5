"""Logins to the chat's real server (issue 15): throttled per account and address, and logged.

A server of its own (the throttle is per process, and every test client comes from 127.0.0.1, so the
address it locks would lock the other tests out).
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from ui_client import served

from qa import QA

PASSWORD = "alice-s3cret-pass"


def test_twenty_wrong_passwords_in_a_row_are_refused_after_five_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = {"dev_plaintext_users": f"alice:{PASSWORD},bob:bob-s3cret-pass", "lockout_seconds": 600}
    qa = QA(data_dir=tmp_path / "index", accounts=accounts)
    logs = caplog.at_level(logging.INFO, "access.login")
    with served(qa) as url, httpx.Client(base_url=url, timeout=60) as http, logs:
        wrong = [http.post("login", data={"username": "alice", "password": f"guess-{n:02}"}) for n in range(20)]
        right = http.post("login", data={"username": "alice", "password": PASSWORD})
        other_account = http.post("login", data={"username": "bob", "password": "bob-s3cret-pass"})
    assert [r.status_code for r in wrong] == [400] * 20
    assert right.status_code == 400  # locked: the right password does not lift it, nor is it checked
    assert other_account.status_code == 400  # the address is locked too (a password spray from one place)
    messages = [r.getMessage() for r in caplog.records if r.name == "access.login"]
    failed = [m for m in messages if m.startswith("login failed for account 'alice'")]
    refused = [m for m in messages if m.startswith("login refused for account 'alice'")]
    assert len(failed) == 5 and len(refused) == 16  # five checked, then every further try refused unchecked
    assert all("127.0.0.1" in m for m in failed + refused)  # the address the middleware saw
    assert "locked for 600 s" in failed[-1]
    assert not any("guess-" in m or PASSWORD in m for m in messages)  # never a password in the log
