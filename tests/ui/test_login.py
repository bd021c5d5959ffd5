"""Login from the accounts (`access.login`): off without accounts, on with a users file or development users."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from ui_driver import free_port

from access.accounts import AccountsFile, users_file
from access.login import build_authenticator
from access.permissions import ADMIN
from qa import QA
from ui.app import launch, options
from ui.session import Sessions


def test_login_is_off_without_accounts_and_the_ui_then_acts_as_an_admin(tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path)
    authenticator = build_authenticator(qa.settings)
    assert authenticator is None and options(qa, authenticator)["auth_dependency"] is None
    assert Sessions(authenticator, qa.settings).user(None) == ADMIN


def test_a_users_file_made_by_qa_users_turns_login_on(tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path)
    AccountsFile(users_file(qa.settings)).add("alice", "s3cret-pass", groups=["hr"])
    authenticator = build_authenticator(qa.settings)
    assert authenticator is not None
    assert options(qa, authenticator)["auth_dependency"] is not None  # our signed sessions, in place of Gradio's
    assert authenticator.authenticate("alice", "s3cret-pass") and not authenticator.authenticate("alice", "wrong-pass")
    alice = Sessions(authenticator, qa.settings).named("alice")
    assert alice.name == "alice" and alice.groups == {"hr"} and not alice.admin


def test_the_served_chat_asks_for_a_login_and_accepts_only_the_right_password(tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index", accounts={"dev_plaintext_users": "alice:s3cret-pass"})
    port = free_port()
    demo = launch(qa, "127.0.0.1", port, block=False)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/", timeout=60) as client:
            assert client.get("config").status_code == 401
            assert client.post("login", data={"username": "alice", "password": "wrong-pass"}).status_code == 400
            assert client.post("login", data={"username": "alice", "password": "s3cret-pass"}).status_code == 200
            assert client.get("config").status_code == 200
    finally:
        demo.close()


def test_the_gradio_client_logs_in_through_the_login_page_and_a_wrong_password_is_refused(tmp_path: Path) -> None:
    from gradio_client import Client

    qa = QA(data_dir=tmp_path / "index", accounts={"dev_plaintext_users": "alice:s3cret-pass"})
    qa.ingest(Path(__file__).resolve().parents[2] / "seeds")
    port = free_port()
    demo = launch(qa, "127.0.0.1", port, block=False)
    url = f"http://127.0.0.1:{port}/"
    try:
        client = Client(url, auth=("alice", "s3cret-pass"), verbose=False)
        result = client.predict("When did Haftar announce his offensive on Tripoli?", 3, "", api_name="/ask")
        assert "April 4" in result["answer"]
        with pytest.raises(Exception, match="(?i)could not login|incorrect"):
            Client(url, auth=("alice", "wrong-pass"), verbose=False)
    finally:
        demo.close()
