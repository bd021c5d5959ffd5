"""Optional login from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import QA, QAError
from ui.app import login, parse_users


def test_users_are_read_as_user_password_pairs() -> None:
    assert parse_users(["alice:s3cret", " # staff", "", "bob:pa:ss"]) == [("alice", "s3cret"), ("bob", "pa:ss")]


def test_an_entry_without_password_is_a_clear_error() -> None:
    with pytest.raises(QAError, match="alice"):
        parse_users(["alice"])


def test_login_is_off_by_default_and_on_with_env_or_file(tmp_path: Path) -> None:
    assert login(QA(data_dir=tmp_path)) is None
    users = tmp_path / "users.txt"
    users.write_text("carol:pw1\n")
    qa = QA(data_dir=tmp_path, ui={"users": "alice:pw2", "users_file": users})
    assert login(qa) == [("alice", "pw2"), ("carol", "pw1")]
