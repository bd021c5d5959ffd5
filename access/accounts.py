"""Login accounts: users, their groups and admin flag, with argon2 password hashes, never a password.

`accounts_store(settings)` picks where they live. By default, one JSON file (`DATA_DIR/users.json`, or
`QA_ACCOUNTS__FILE`), replaced atomically with mode 0600 on every change (`AccountsFile`):

    {"version": 1, "users": {"alice": {"password_hash": "$argon2id$v=19$...", "groups": ["hr"], "admin": false}}}

In the shared mode (`QA_DATABASE_URL`), the `users` table of that database, the same for every app server
(`AccountsTable`). Either way login is on once the store exists, even with no users in it: the file or the table
is made by the first `qa users add`. `qa users` edits them (the CLI acts as an admin); `access.login` reads them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from argon2 import PasswordHasher

from access import private_file
from access.database import USERS, Database
from access.permissions import User
from qa.errors import ConfigError, QAError
from qa.settings import Settings

log = logging.getLogger(__name__)

FILE_VERSION = 1
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # longer ones are refused at login without being hashed


class AccountError(QAError):
    """A user or group name, or a password, is not acceptable; the message says why."""


@dataclass(frozen=True)
class Credentials:
    """A user with its password hash, as the login reads it."""

    user: User
    password_hash: str


class Accounts(Protocol):
    """Where the users live: `AccountsFile` (a data directory's) or `AccountsTable` (the shared database's)."""

    @property
    def where(self) -> str:
        """The store as messages name it: the file's path, or the database's table."""

    @property
    def turn_off(self) -> str:
        """What an administrator does to turn login off again."""

    def exists(self) -> bool:
        """Whether login is on: the store was made (by the first `add`), even if no users are left in it."""

    def users(self) -> list[User]:
        """Every user, by name."""

    def lookup(self, name: str) -> Credentials | None:
        """The user called `name` (any case) with its hash, or None."""

    def require(self, name: str) -> User:
        """The user called `name`. Raises AccountError when there is none."""

    def add(self, name: str, password: str, groups: Iterable[str] = (), admin: bool = False) -> User:
        """Add a user. Raises AccountError for a bad name or password, or a user that exists."""

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password hash."""

    def set_groups(self, name: str, groups: Iterable[str]) -> User:
        """Replace a user's groups."""

    def set_admin(self, name: str, admin: bool) -> User:
        """Grant or revoke a user's admin flag."""

    def remove(self, name: str) -> None:
        """Remove a user; the store stays (with no users, nobody can log in)."""


def users_file(settings: Settings) -> Path:
    """Where the accounts live without a shared database: `accounts.file`, or `users.json` in the data directory."""
    return settings.accounts.file or settings.data_dir / "users.json"


def accounts_store(settings: Settings, hasher: PasswordHasher | None = None) -> Accounts:
    """The accounts of `settings`: the shared database's users table when `database_url` is set, else the users
    file. `hasher` hashes new passwords (default: argon2id's RFC 9106 profile).

    Raises:
        ConfigError: `accounts.file` is set in the shared mode, where the accounts are in the database.
    """
    if not settings.database_url:
        return AccountsFile(users_file(settings), hasher)
    if settings.accounts.file is not None:
        raise ConfigError(
            "accounts.file (QA_ACCOUNTS__FILE) names a users file, but with database_url (QA_DATABASE_URL) the "
            "accounts are in the database, shared by every app server: unset accounts.file"
        )
    return AccountsTable(Database(settings.database_url), hasher)


def check_name(name: str, what: str = "user name") -> str:
    """`name` stripped and lower-cased (names are case-insensitive).

    Raises:
        AccountError: it is empty, too long or has other characters than letters, digits and `. _ @ -`.
    """
    clean = name.strip().lower()
    if not NAME_PATTERN.fullmatch(clean):
        raise AccountError(f"{what} {name!r}: use 1-64 letters, digits and . _ @ - (starting with a letter or digit)")
    return clean


def parse_groups(text: str) -> frozenset[str]:
    """Comma-separated group names ("hr,finance"; "" for none), checked like user names."""
    return frozenset(check_name(part, "group name") for part in text.split(",") if part.strip())


def check_new_password(password: str) -> None:
    """Raises AccountError when `password` is too short or too long to be set."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters; nothing changed")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is longer than {MAX_PASSWORD} characters; nothing changed")


class AccountsFile:
    """The users file: read again whenever it changes on disk, edited under a lock, replaced atomically."""

    def __init__(self, path: Path, hasher: PasswordHasher | None = None) -> None:
        """Store the path; nothing is read until first use. `hasher` defaults to argon2id's RFC 9106 profile."""
        self.path = path
        self.hasher = hasher or PasswordHasher()
        self._cache: tuple[tuple[int, int, int], dict[str, Credentials]] | None = None

    def __repr__(self) -> str:
        return f"AccountsFile({str(self.path)!r})"

    @property
    def where(self) -> str:
        """The file's path."""
        return str(self.path)

    @property
    def turn_off(self) -> str:
        """Deleting the file turns login off."""
        return f"delete {self.path}"

    def exists(self) -> bool:
        """Whether the file exists (then login is on, even with no users in it)."""
        return self.path.is_file()

    def users(self) -> list[User]:
        """Every user, by name."""
        return [record.user for _, record in sorted(self._read().items())]

    def lookup(self, name: str) -> Credentials | None:
        """The user called `name` (any case) with its hash, or None."""
        return self._read().get(name.strip().lower())

    def require(self, name: str) -> User:
        """The user called `name`. Raises AccountError when there is none."""
        return self._existing(self._read(), name).user

    def add(self, name: str, password: str, groups: Iterable[str] = (), admin: bool = False) -> User:
        """Add a user. Raises AccountError for a bad name or password, or a user that exists."""
        name = check_name(name)
        check_new_password(password)
        user = User(name, frozenset(check_name(g, "group name") for g in groups), admin)
        record = Credentials(user, self.hasher.hash(password))
        with self._edit() as records:
            if name in records:
                raise AccountError(f"user {name!r} exists; change the password with `qa users passwd {name}`")
            records[name] = record
        return user

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password hash (with the current argon2 parameters)."""
        check_new_password(password)
        password_hash = self.hasher.hash(password)
        with self._edit() as records:
            record = self._existing(records, name)
            records[record.user.name] = Credentials(record.user, password_hash)

    def set_groups(self, name: str, groups: Iterable[str]) -> User:
        """Replace a user's groups."""
        clean = frozenset(check_name(g, "group name") for g in groups)
        return self._update(name, lambda user: User(user.name, clean, user.admin))

    def set_admin(self, name: str, admin: bool) -> User:
        """Grant or revoke a user's admin flag."""
        return self._update(name, lambda user: User(user.name, user.groups, admin))

    def remove(self, name: str) -> None:
        """Remove a user; the file stays (with no users, nobody can log in)."""
        with self._edit() as records:
            del records[self._existing(records, name).user.name]

    def _update(self, name: str, change: Callable[[User], User]) -> User:
        with self._edit() as records:
            record = self._existing(records, name)
            user = change(record.user)
            records[user.name] = Credentials(user, record.password_hash)
        return user

    def _existing(self, records: dict[str, Credentials], name: str) -> Credentials:
        record = records.get(name.strip().lower())
        if record is None:
            raise AccountError(f"no user {name!r} in {self.path}; `qa users list` shows them")
        return record

    def _read(self) -> dict[str, Credentials]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise ConfigError(f"{self.path}: cannot read the users file ({err.strerror})") from err
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._cache is None or self._cache[0] != key:
            if stat.st_mode & 0o077:
                log.warning("%s can be read by other system users: run `chmod 600 %s`", self.path, self.path)
            self._cache = (key, self._parse())
        return self._cache[1]

    def _parse(self) -> dict[str, Credentials]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ConfigError(
                f"{self.path} is not a users file of password hashes ({err}); a file of 'user:password' "
                "lines is no longer accepted: add each user with `qa users add NAME`"
            ) from err
        entries = data.get("users") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise ConfigError(f"{self.path}: no 'users' object; is it a users file written by `qa users`?")
        try:
            return {check_name(name): _credentials(self.path, name, entry) for name, entry in entries.items()}
        except AccountError as err:
            raise ConfigError(f"{self.path}: {err}") from err

    @contextmanager
    def _edit(self) -> Iterator[dict[str, Credentials]]:
        """The records to change in place, read and written back under an exclusive lock."""
        with private_file.locked(self.path):
            records = dict(self._read())
            yield records
            self._write(records)

    def _write(self, records: dict[str, Credentials]) -> None:
        users = {
            name: {"password_hash": r.password_hash, "groups": sorted(r.user.groups), "admin": r.user.admin}
            for name, r in sorted(records.items())
        }
        text = json.dumps({"version": FILE_VERSION, "users": users}, indent=2, ensure_ascii=False) + "\n"
        private_file.replace(self.path, text)
        self._cache = None


def _credentials(path: Path, name: str, entry: object) -> Credentials:
    """One entry of the file, refused unless it holds an argon2 hash (never a plain password)."""
    if not isinstance(entry, dict) or not str(entry.get("password_hash", "")).startswith("$argon2"):
        raise ConfigError(
            f"{path}: user {name!r} has no argon2 password hash (plain-text passwords are not accepted); "
            f"set one with `qa users passwd {name}`"
        )
    groups = entry.get("groups", [])
    if not isinstance(groups, list):
        raise ConfigError(f"{path}: the groups of user {name!r} are not a list")
    user = User(
        check_name(name), frozenset(check_name(str(g), "group name") for g in groups), entry.get("admin") is True
    )
    return Credentials(user, str(entry["password_hash"]))


class AccountsTable:
    """The users table of the shared database: every app server reads the same rows at every lookup.

    Like the users file, the table is made by the first `add` (`qa users add`), never by a reader, and login is
    on while it exists, even with no users left in it: removing the last user locks everyone out instead of
    opening the server to everyone. `DROP TABLE users` turns login off again. A hash that is not argon2 is
    refused by the table itself.
    """

    where = "the users table of the shared database"
    turn_off = "DROP TABLE users in the shared database"

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        """Use `db` (connected on first use); `hasher` defaults to argon2id's RFC 9106 profile."""
        self.db = db
        self.hasher = hasher or PasswordHasher()

    def __repr__(self) -> str:
        return "AccountsTable()"

    def exists(self) -> bool:
        """Whether the table exists (then login is on, even with no users in it)."""
        return bool(self.db.rows("SELECT to_regclass('users') IS NOT NULL")[0][0])

    def users(self) -> list[User]:
        """Every user, by name."""
        return [record.user for record in self._select("ORDER BY name")]

    def lookup(self, name: str) -> Credentials | None:
        """The user called `name` (any case) with its hash, or None."""
        found = self._select("WHERE name = %s", (name.strip().lower(),))
        return found[0] if found else None

    def require(self, name: str) -> User:
        """The user called `name`. Raises AccountError when there is none."""
        record = self.lookup(name)
        if record is None:
            raise self._missing(name)
        return record.user

    def add(self, name: str, password: str, groups: Iterable[str] = (), admin: bool = False) -> User:
        """Add a user (making the table: login is on from now). Raises AccountError for a bad name or password,
        or a user that exists."""
        name = check_name(name)
        check_new_password(password)
        user = User(name, frozenset(check_name(g, "group name") for g in groups), admin)
        password_hash = self.hasher.hash(password)
        with self.db.transaction(USERS) as db:
            added = db.execute(
                "INSERT INTO users (name, password_hash, groups, admin) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (name) DO NOTHING RETURNING name",
                (name, password_hash, sorted(user.groups), admin),
            ).fetchone()
            if added is None:
                raise AccountError(f"user {name!r} exists; change the password with `qa users passwd {name}`")
        return user

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password hash (with the current argon2 parameters)."""
        check_new_password(password)
        self._change(name, "SET password_hash = %s", self.hasher.hash(password))

    def set_groups(self, name: str, groups: Iterable[str]) -> User:
        """Replace a user's groups."""
        clean = sorted({check_name(g, "group name") for g in groups})
        return self._change(name, "SET groups = %s", clean).user

    def set_admin(self, name: str, admin: bool) -> User:
        """Grant or revoke a user's admin flag."""
        return self._change(name, "SET admin = %s", admin).user

    def remove(self, name: str) -> None:
        """Remove a user; the table stays (with no users, nobody can log in)."""
        sql = "DELETE FROM users WHERE name = %s RETURNING name"
        if not self.db.rows(sql, (name.strip().lower(),), missing_ok=True):
            raise self._missing(name)

    def _change(self, name: str, assignment: str, value: Any) -> Credentials:
        sql = f"UPDATE users {assignment} WHERE name = %s RETURNING name, password_hash, groups, admin"
        rows = self.db.rows(sql, (value, name.strip().lower()), missing_ok=True)
        if not rows:
            raise self._missing(name)
        return _record(rows[0])

    def _select(self, clause: str, params: tuple[Any, ...] = ()) -> list[Credentials]:
        rows = self.db.rows(f"SELECT name, password_hash, groups, admin FROM users {clause}", params, missing_ok=True)
        return [_record(row) for row in rows]

    def _missing(self, name: str) -> AccountError:
        return AccountError(f"no user {name!r} in {self.where}; `qa users list` shows them")


def _record(row: tuple[Any, ...]) -> Credentials:
    """A row of the users table (name, password_hash, groups, admin) as the login reads it."""
    name, password_hash, groups, admin = row
    return Credentials(User(name, frozenset(groups), bool(admin)), password_hash)
