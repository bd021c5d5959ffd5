"""Signed, expiring sessions and the server key they are signed with (issue 22, item 3), kept in the data
directory or, in the shared mode, in the database (issue 23)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from people import rows, settings_of

from access.server_key import KEY_FILE, derived_key, server_key
from access.sessions import SessionTokens
from qa.errors import ConfigError
from qa.settings import Settings


class Clock:
    """Wall-clock seconds that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_key_is_made_once_mode_0600_and_read_back_by_every_later_process(tmp_path: Path) -> None:
    key = server_key(tmp_path)
    assert len(key) == 32 and server_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert derived_key(tmp_path, "sessions") != derived_key(tmp_path, "answers")
    (tmp_path / KEY_FILE).chmod(0o644)
    assert server_key(tmp_path) == key and stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_a_file_that_is_not_a_key_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("hello\n")
    with pytest.raises(ConfigError, match=r"server\.key: not a server key"):
        server_key(tmp_path)


@pytest.fixture
def settings(tmp_path: Path, people_db: str | None) -> Settings:
    return settings_of(tmp_path / "qa", people_db)


def test_the_shared_key_is_made_once_in_a_table_only_its_role_may_read(tmp_path: Path, database_url: str) -> None:
    settings = settings_of(tmp_path / "a", database_url)
    key = server_key(settings)
    assert len(key) == 32 and server_key(settings_of(tmp_path / "b", database_url)) == key
    assert derived_key(settings, "sessions") != derived_key(settings, "answers")
    assert not (tmp_path / "a" / KEY_FILE).exists() and not (tmp_path / "b" / KEY_FILE).exists()
    [(owner, public)] = rows(
        database_url,
        "SELECT tableowner = current_user, has_table_privilege('public', 'server_secrets', 'SELECT') "
        "FROM pg_tables WHERE tablename = 'server_secrets'",
    )
    assert owner is True and public is False
    assert rows(
        database_url,
        "SELECT DISTINCT grantee FROM information_schema.role_table_grants WHERE table_name = 'server_secrets'",
    ) == [(rows(database_url, "SELECT current_user")[0][0],)]


def test_a_row_that_is_not_a_key_is_refused_naming_it(tmp_path: Path, database_url: str) -> None:
    rows(database_url, "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    rows(database_url, "INSERT INTO server_secrets VALUES ('server', 'hello')")
    with pytest.raises(ConfigError, match=r"server_secrets table .*: not a server key"):
        server_key(settings_of(tmp_path, database_url))


def test_a_session_survives_a_restart_and_ends_when_it_expires(settings: Settings) -> None:
    clock = Clock()
    token = SessionTokens(settings, lifetime=3600, clock=clock).issue("alice")
    restarted = SessionTokens(settings, lifetime=3600, clock=clock)  # a new process over the same data directory
    assert restarted.name(token) == "alice"
    clock.now += 3599
    assert restarted.name(token) == "alice"
    clock.now += 1
    assert restarted.name(token) is None


def test_a_forged_or_foreign_token_names_nobody(tmp_path: Path, settings: Settings) -> None:
    tokens = SessionTokens(settings, lifetime=3600)
    token = tokens.issue("alice")
    payload, signature = token.split(".")
    bob = SessionTokens(settings, lifetime=3600).issue("bob").split(".")[0]
    assert tokens.name(f"{bob}.{signature}") is None  # alice's signature on bob's claims
    assert tokens.name(f"{payload}.{'0' * 64}") is None
    assert tokens.name(f"{payload}.é") is None and tokens.name("") is None and tokens.name(None) is None
    assert SessionTokens(tmp_path / "b", lifetime=3600).name(token) is None  # another server's key


def test_logging_out_ends_every_earlier_session_of_that_user_also_after_a_restart(settings: Settings) -> None:
    clock = Clock()
    tokens = SessionTokens(settings, lifetime=3600, clock=clock)
    phone, laptop, bobs = tokens.issue("alice"), tokens.issue("alice"), tokens.issue("bob")
    clock.now += 1
    tokens.end_all("alice")
    restarted = SessionTokens(settings, lifetime=3600, clock=clock)
    assert restarted.name(phone) is None and restarted.name(laptop) is None
    assert restarted.name(bobs) == "bob"
    clock.now += 1
    assert restarted.name(restarted.issue("alice")) == "alice"  # logging in again works
