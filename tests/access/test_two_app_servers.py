"""The shared mode (issue 23): two app servers, each with its own data directory, share one database, and with it
the users, API keys, votes, log-outs and the secret sessions and answers are signed with."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from people import settings_of

from access.accounts import accounts_store
from access.api_keys import keys_store
from access.feedback import feedback_log
from access.login import build_authenticator
from access.permissions import User
from access.server_key import KEY_FILE, derived_key
from access.sessions import ENDED_FILE, SessionTokens
from qa.settings import Settings
from qa.types import Answer

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def servers(tmp_path: Path, database_url: str) -> tuple[Settings, Settings]:
    """Two app servers on different machines: their own data directories, the same database."""
    return settings_of(tmp_path / "one", database_url), settings_of(tmp_path / "two", database_url)


def test_users_added_on_one_server_log_in_on_the_other_and_login_turns_on_for_both(
    servers: tuple[Settings, Settings],
) -> None:
    one, two = servers
    assert build_authenticator(one, FAST) is None and build_authenticator(two, FAST) is None
    accounts_store(one, FAST).add("alice", "alice password", groups=["hr"])
    auth = build_authenticator(two, FAST)
    assert auth is not None and auth.authenticate("alice", "alice password") == User("alice", frozenset({"hr"}))
    accounts_store(two, FAST).set_admin("alice", True)
    assert accounts_store(one, FAST).require("alice").admin
    accounts_store(one, FAST).remove("alice")
    assert auth.user("alice") is None and build_authenticator(one, FAST) is not None  # empty: login stays on


def test_a_key_made_on_one_server_works_on_the_other_until_revoked_there(servers: tuple[Settings, Settings]) -> None:
    one, two = servers
    record, token = keys_store(one).create("alice", "laptop")
    assert keys_store(two).verify(token) == record and keys_store(two).keys("alice") == [record]
    keys_store(two).revoke(record.id)
    assert keys_store(one).verify(token) is None


def test_votes_on_both_servers_are_exported_from_either(servers: tuple[Settings, Settings]) -> None:
    one, two = servers
    feedback_log(one).record(Answer("Who rings the bells?", "Nobody.", ()), liked=False, user="alice")
    feedback_log(two).record(Answer("When is lunch?", "At noon.", ()), liked=False, user="bob")
    feedback_log(two).record(Answer("Where is HR?", "Floor 2.", ()), liked=True, user="bob")
    exported = [q["question"] for q in feedback_log(one).export()]
    assert exported == ["Who rings the bells?", "When is lunch?"] == [q["question"] for q in feedback_log(two).export()]


def test_a_session_issued_by_one_server_is_accepted_by_the_other_and_a_log_out_on_either_ends_it(
    servers: tuple[Settings, Settings],
) -> None:
    one, two = servers
    assert derived_key(one, "answers") == derived_key(two, "answers")  # votes on answers the other server gave
    clock = [1_800_000_000.0]  # wall-clock seconds, the same on both machines
    first, second = (SessionTokens(s, lifetime=3600, clock=lambda: clock[0]) for s in servers)
    token = first.issue("alice")
    assert second.name(token) == "alice"
    clock[0] += 1
    second.end_all("alice")
    assert first.name(token) is None and second.name(token) is None
    clock[0] += 1
    assert second.name(first.issue("alice")) == "alice"  # logging in again works
    for settings in servers:  # nothing of it in the data directories
        assert not (settings.data_dir / KEY_FILE).exists() and not (settings.data_dir / ENDED_FILE).exists()
