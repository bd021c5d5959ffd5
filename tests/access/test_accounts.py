"""Accounts: argon2 hashes in a private file or the shared database, `qa users`, throttled and logged logins,
no plain-text passwords. Tests taking `people_db` run in both modes (see conftest.py)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import stat
from collections.abc import Coroutine, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from argon2 import PasswordHasher
from people import rows, settings_of

from access.accounts import AccountError, Accounts, AccountsFile, accounts_store, users_file
from access.login import Authenticator, ClientAddressMiddleware, build_authenticator, client_address
from access.permissions import User
from access.throttle import LoginThrottle
from cli.main import main
from qa.errors import ConfigError
from qa.settings import Settings, load_settings

T = TypeVar("T")

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # real argon2id, cheap parameters
PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path, people_db: str | None) -> Settings:
    """An app server's settings, in the local mode (users file) and in the shared mode (users table)."""
    return settings_of(tmp_path / "qa", people_db)


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    """Settings of the local mode only, for what is about the users file itself."""
    return load_settings(data_dir=tmp_path / "qa")


@pytest.fixture
def accounts(settings: Settings) -> Accounts:
    store = accounts_store(settings, FAST)
    store.add("alice", PASSWORD, groups=["hr"], admin=True)
    store.add("bob", "bobs password")
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(settings: Settings, accounts: AccountsFile, clock: Clock) -> Authenticator:
    authenticator = build_authenticator(settings, FAST, clock)
    assert authenticator is not None
    return authenticator


def fail(auth: Authenticator, times: int, name: str = "alice", address: str | None = "10.0.0.5") -> None:
    for _ in range(times):
        assert auth.authenticate(name, "wrong password", address) is None


# hashing and the file


def test_a_password_verifies_against_its_hash_and_a_wrong_one_does_not(accounts: Accounts) -> None:
    record = accounts.lookup("alice")
    assert record is not None and record.password_hash.startswith("$argon2id$")
    assert FAST.verify(record.password_hash, PASSWORD)
    with pytest.raises(Exception, match="does not match"):
        FAST.verify(record.password_hash, "not the password")


def test_the_users_file_holds_hashes_never_a_password_and_only_its_owner_reads_it(local_settings: Settings) -> None:
    accounts = AccountsFile(users_file(local_settings), FAST)
    accounts.add("alice", PASSWORD, groups=["hr"], admin=True)
    accounts.add("bob", "bobs password")
    text = accounts.path.read_text(encoding="utf-8")
    assert PASSWORD not in text and "bobs password" not in text
    assert json.loads(text)["users"]["alice"] == {
        "password_hash": accounts.lookup("alice").password_hash,  # type: ignore[union-attr]
        "groups": ["hr"],
        "admin": True,
    }
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600
    assert [p.name for p in accounts.path.parent.iterdir() if p.name.endswith(".tmp")] == []  # replaced atomically


def test_the_users_table_holds_hashes_never_a_password_and_refuses_any_other(tmp_path: Path, database_url: str) -> None:
    accounts = accounts_store(settings_of(tmp_path, database_url), FAST)
    accounts.add("alice", PASSWORD, groups=["hr"], admin=True)
    accounts.add("bob", "bobs password")
    stored = rows(database_url, "SELECT name, password_hash, groups, admin FROM users ORDER BY name")
    assert stored[0] == ("alice", accounts.lookup("alice").password_hash, ["hr"], True)  # type: ignore[union-attr]
    assert PASSWORD not in str(stored) and "bobs password" not in str(stored)
    with pytest.raises(Exception, match="users_password_hash_check"):
        rows(database_url, "INSERT INTO users (name, password_hash) VALUES ('carol', 's3cret')")


def test_users_groups_and_admin_flag_are_kept_and_changed(settings: Settings, accounts: Accounts) -> None:
    assert accounts.users() == [User("alice", frozenset({"hr"}), True), User("bob")]
    accounts.set_groups("Bob", ["finance", "HR"])
    accounts.set_admin("alice", False)
    reread = accounts_store(settings, FAST)  # another process
    assert reread.users() == [User("alice", frozenset({"hr"}), False), User("bob", frozenset({"finance", "hr"}))]


def test_bad_names_short_passwords_and_duplicates_are_refused(accounts: Accounts) -> None:
    with pytest.raises(AccountError, match="letters, digits"):
        accounts.add("alice smith", PASSWORD)
    with pytest.raises(AccountError, match="too short"):
        accounts.add("carol", "short")
    with pytest.raises(AccountError, match="exists"):
        accounts.add("ALICE", PASSWORD)
    with pytest.raises(AccountError, match="no user 'dave'"):
        accounts.remove("dave")
    with pytest.raises(AccountError, match="no user 'dave'"):
        accounts.set_admin("dave", True)
    assert [user.name for user in accounts.users()] == ["alice", "bob"]


def test_a_file_entry_with_a_plain_password_is_refused(local_settings: Settings) -> None:
    path = users_file(local_settings)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "users": {"alice": {"password": "s3cret", "groups": []}}}))
    with pytest.raises(ConfigError, match="no argon2 password hash .*qa users passwd alice"):
        build_authenticator(local_settings, FAST)


def test_an_old_file_of_user_password_lines_is_refused_with_how_to_migrate(tmp_path: Path) -> None:
    old = tmp_path / "users.txt"
    old.write_text("alice:s3cret\n")
    settings = load_settings(data_dir=tmp_path / "qa", accounts={"file": old})
    with pytest.raises(ConfigError, match="qa users add"):
        build_authenticator(settings, FAST)


# login


def test_login_is_off_without_accounts_and_on_once_they_exist_even_empty(settings: Settings) -> None:
    assert build_authenticator(settings, FAST) is None
    store = accounts_store(settings, FAST)
    assert not store.exists() and store.users() == [] and store.lookup("alice") is None
    assert build_authenticator(settings, FAST) is None  # reading made nothing
    store.add("alice", PASSWORD)
    store.remove("alice")
    assert store.exists()
    auth = build_authenticator(settings, FAST)
    assert auth is not None and auth.authenticate("alice", PASSWORD) is None


def test_the_shared_mode_refuses_a_users_file_setting(tmp_path: Path, database_url: str) -> None:
    settings = settings_of(tmp_path, database_url, accounts={"file": tmp_path / "users.json"})
    with pytest.raises(ConfigError, match="unset accounts.file"):
        build_authenticator(settings, FAST)


def test_the_right_password_logs_in_and_a_wrong_one_or_unknown_user_does_not(auth: Authenticator) -> None:
    assert auth.authenticate("Alice ", PASSWORD, "10.0.0.5") == User("alice", frozenset({"hr"}), True)
    assert auth.authenticate("alice", "wrong password", "10.0.0.5") is None
    assert auth.authenticate("mallory", PASSWORD, "10.0.0.5") is None
    assert auth.user("bob") == User("bob")


def test_a_running_login_sees_users_removed_and_added_by_qa_users(auth: Authenticator, settings: Settings) -> None:
    assert auth.authenticate("bob", "bobs password") is not None
    other_process = accounts_store(settings, FAST)
    other_process.remove("bob")
    other_process.add("carol", "carols password")
    assert auth.authenticate("bob", "bobs password") is None
    assert auth.authenticate("carol", "carols password") == User("carol")


# throttle


def test_after_five_failures_the_account_is_locked_even_for_the_right_password(
    auth: Authenticator, clock: Clock
) -> None:
    fail(auth, 4)
    assert auth.authenticate("alice", PASSWORD, "10.0.0.5") is not None  # four failures: not locked yet
    fail(auth, 5, address="10.0.0.6")
    assert auth.authenticate("alice", PASSWORD, "10.0.0.7") is None  # locked for every address
    clock.now += 1.9
    assert auth.authenticate("alice", PASSWORD, "10.0.0.7") is None
    clock.now += 0.2  # the first lockout (2 s) is over
    assert auth.authenticate("alice", PASSWORD, "10.0.0.7") is not None
    assert auth.authenticate("bob", "bobs password", "10.0.0.7") is not None


def test_the_lockout_doubles_with_each_further_failure_up_to_the_limit(clock: Clock) -> None:
    throttle = LoginThrottle(max_failures=5, base_delay=2, max_delay=60, clock=clock)
    delays = []
    for _ in range(12):
        strike = throttle.failed("alice", None)
        delays.append(strike.lock.seconds if strike.lock else 0)
    assert delays == [0, 0, 0, 0, 2, 4, 8, 16, 32, 60, 60, 60]
    clock.now += 59
    assert throttle.locked("alice", None) is not None
    clock.now += 1 + 900 + 1  # the lockout ended, then 15 minutes without a failure: forgotten
    assert throttle.failed("alice", None).account_failures == 1


def test_five_failures_from_one_address_slow_that_address_down_but_never_refuse_a_right_password(
    auth: Authenticator,
) -> None:
    pauses: list[float] = []
    auth.sleep = pauses.append
    for name in ["carol", "dave", "erin", "frank", "bob"]:  # a password spray: one guess per account
        fail(auth, 1, name=name, address="203.0.113.9")
    assert pauses == []
    fail(auth, 1, name="gina", address="203.0.113.9")  # the spray goes on: each guess waits first
    assert pauses == [auth.address_pause]
    result = auth.check("alice", PASSWORD, "203.0.113.9")  # a colleague behind the same NAT address
    assert result.user is not None and result.message == "" and len(pauses) == 2
    assert auth.authenticate("alice", PASSWORD, "10.0.0.5") is not None and len(pauses) == 2  # elsewhere: no wait


def test_a_success_clears_the_accounts_failures_but_not_the_addresses(auth: Authenticator) -> None:
    pauses: list[float] = []
    auth.sleep = pauses.append
    fail(auth, 4, name="bob", address="203.0.113.9")
    assert auth.authenticate("alice", PASSWORD, "203.0.113.9") is not None  # the attacker's own account
    fail(auth, 1, name="bob", address="203.0.113.9")
    assert auth.throttle.address_lock("203.0.113.9") is not None  # the success did not reset the address
    assert auth.authenticate("alice", PASSWORD, "203.0.113.9") is not None and pauses  # slowed, not refused


def test_a_locked_account_is_told_it_is_locked_and_for_how_long(auth: Authenticator, clock: Clock) -> None:
    fail(auth, 5)
    result = auth.check("alice", PASSWORD, "10.0.0.6")
    assert result.user is None and result.locked_for == pytest.approx(2.0)
    assert result.message.startswith("This account is locked for 2 s after repeated failed logins")
    assert (
        auth.check("alice", "wrong password").message == "This account is locked for 2 s after repeated "
        "failed logins; the password was not checked. Try again then, or ask an administrator."
    )
    clock.now += 2
    assert auth.check("alice", PASSWORD).user is not None


def test_failures_and_refusals_are_logged_with_account_and_address_never_the_password(
    auth: Authenticator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="access.login")
    for _ in range(5):
        auth.authenticate("alice", "hunter2-guess", "198.51.100.7")
    auth.authenticate("mallory", "hunter2-guess", "198.51.100.8")
    auth.authenticate("alice", PASSWORD, "198.51.100.9")
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "login failed for account 'alice' from 198.51.100.7 (1 failures for the account, 1 from the address)"
        in (messages[0])
    )
    assert "the account is now locked for 2 s" in messages[4]
    assert "unknown account 'mallory' from 198.51.100.8" in messages[5]
    assert "login refused for account 'alice' from 198.51.100.9: the account is locked" in messages[6]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert not any("hunter2" in m or PASSWORD in m for m in messages)


def run_in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in a thread of its own: a browser test's loop may be running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_gradio_style_login_reads_the_address_the_middleware_saw(auth: Authenticator) -> None:
    seen: list[str | None] = []

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        seen.append(client_address.get())
        for _ in range(5):
            await auth.login("alice", "wrong password")

    scope = {"type": "http", "client": ("192.0.2.44", 51000)}
    run_in_own_loop(ClientAddressMiddleware(app)(scope, None, None))  # type: ignore[arg-type]
    assert seen == ["192.0.2.44"] and client_address.get() is None
    assert auth.throttle.address_lock("192.0.2.44") is not None  # that address is locked (slowed down)
    assert auth.throttle.account_lock("bob") is None
    assert run_in_own_loop(auth.login("bob", "bobs password")).user is not None  # no address: only accounts count


# plain text only in the development setting


def test_dev_plaintext_users_log_in_with_a_loud_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(data_dir=tmp_path / "qa", accounts={"dev_plaintext_users": "alice:pa:ss,bob:pw"})
    with caplog.at_level(logging.WARNING, logger="access.login"):
        auth = build_authenticator(settings, FAST)
    assert auth is not None and auth.authenticate("alice", "pa:ss") == User("alice")
    (warning,) = [r for r in caplog.records if "DEVELOPMENT" in r.getMessage()]
    assert "plain-text passwords for 'alice', 'bob'" in warning.getMessage()
    assert "pa:ss" not in warning.getMessage() and "qa users add" in warning.getMessage()


def test_dev_plaintext_users_without_a_password_are_a_clear_error(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "qa", accounts={"dev_plaintext_users": "alice"})
    with pytest.raises(ConfigError, match="'alice' without a password"):
        build_authenticator(settings, FAST)


@pytest.mark.parametrize("field", ["users", "users_file"])
def test_the_old_plain_text_ui_settings_are_refused_with_how_to_migrate(field: str) -> None:
    with pytest.raises(ConfigError, match=rf"ui.{field} \(QA_UI__{field.upper()}\).*qa users add NAME"):
        load_settings(ui={field: "alice:s3cret"})


def test_qa_refuses_to_start_with_qa_ui_users_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_UI__USERS", "alice:s3cret")
    assert main(["--data-dir", str(tmp_path), "users", "list"]) == 2
    err = capsys.readouterr().err
    assert "QA_UI__USERS" in err and "qa users add" in err and "s3cret" not in err


# qa users


def users(
    data_dir: Path, *args: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch, mode: list[str] | None = None
) -> int:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--data-dir", str(data_dir), *(mode or []), "users", *args])


def test_qa_users_adds_lists_changes_and_removes_users(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_mode: list[str],
    people_db: str | None,
) -> None:
    data = tmp_path / "qa"
    assert users(data, "list", monkeypatch=monkeypatch, mode=cli_mode) == 0
    assert "login is off" in capsys.readouterr().out
    alice = ["add", "alice", "--groups", "hr,finance", "--password-stdin"]
    assert users(data, *alice, stdin=PASSWORD + "\n", monkeypatch=monkeypatch, mode=cli_mode) == 0
    bob = ["add", "bob", "--admin", "--password-stdin"]
    assert users(data, *bob, stdin="bobs password\n", monkeypatch=monkeypatch, mode=cli_mode) == 0
    assert users(data, "groups", "bob", "legal", monkeypatch=monkeypatch, mode=cli_mode) == 0
    assert users(data, "admin", "bob", "off", monkeypatch=monkeypatch, mode=cli_mode) == 0
    passwd = ["passwd", "alice", "--password-stdin"]
    assert users(data, *passwd, stdin="new password 2\n", monkeypatch=monkeypatch, mode=cli_mode) == 0
    capsys.readouterr()
    assert users(data, "list", monkeypatch=monkeypatch, mode=cli_mode) == 0
    listing = capsys.readouterr().out
    assert listing.splitlines() == ["alice         groups: finance, hr", "bob           groups: legal"]
    assert "argon2" not in listing
    auth = build_authenticator(settings_of(data, people_db), FAST)
    assert auth is not None
    assert auth.authenticate("alice", "new password 2") is not None and auth.authenticate("alice", PASSWORD) is None
    assert users(data, "remove", "bob", monkeypatch=monkeypatch, mode=cli_mode) == 0
    assert auth.user("bob") is None
    assert (data / "users.json").exists() is (people_db is None)  # in the shared mode, nothing in the data dir


def test_qa_users_asks_for_the_password_twice_at_a_prompt(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_mode: list[str],
    people_db: str | None,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    typed = iter([PASSWORD, "a typo in it"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert main(["--data-dir", str(tmp_path), *cli_mode, "users", "add", "alice"]) == 2
    assert "differ" in capsys.readouterr().err
    typed = iter([PASSWORD, PASSWORD])
    assert main(["--data-dir", str(tmp_path), *cli_mode, "users", "add", "alice"]) == 0
    assert accounts_store(settings_of(tmp_path, people_db)).lookup("alice") is not None


def test_qa_users_never_takes_a_password_from_the_command_line_nor_prompts_without_a_terminal(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_mode: list[str],
    people_db: str | None,
) -> None:
    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path), *cli_mode, "users", "add", "alice", "--password", PASSWORD])
    assert users(tmp_path, "add", "alice", stdin="", monkeypatch=monkeypatch, mode=cli_mode) == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert not accounts_store(settings_of(tmp_path, people_db)).exists()  # login still off


def test_qa_users_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert users(tmp_path, "add", "alice", "--password-stdin", stdin="short\n", monkeypatch=monkeypatch) == 2
    assert users(tmp_path, "remove", "ghost", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("qa: error: the password is too short")
    assert err[1].startswith("qa: error: no user 'ghost'")
