"""API keys: bearer tokens for the HTTP API, each acting as one user, stored only as hashes.

A key is shown once, when it is made (`qa keys add alice`), and looks like `qa_1f2e3d4c_<43 random characters>`:
the 8 hex digits are its id (`qa keys list`, `qa keys revoke ID`), the rest 256 random bits. The keys file
(`api-keys.json` beside the users file) holds the SHA-256 of each key, never the key: a key has too much
entropy to be guessed from its hash, so a fast hash is enough, and checking one costs microseconds.

    {"version": 1, "keys": {"1f2e3d4c": {"user": "alice", "label": "laptop", "created": "2025-...", "sha256": "..."}}}

A key carries no permissions of its own: the API looks its user up in the accounts on every request, so a
change of groups or admin flag applies at once, and a removed user's keys stop working.

In the shared mode (`QA_DATABASE_URL`) the same records are rows of the database's `api_keys` table
(`KeysTable`), so a key made on one app server works on all of them and a revoked one on none;
`keys_store(settings)` picks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from access import private_file
from access.accounts import AccountError, users_file
from access.database import Database
from qa.errors import ConfigError
from qa.settings import Settings

FILE_VERSION = 1
TOKEN = re.compile(r"qa_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
_FIELDS = "id, username, label, created, sha256"  # the api_keys table's columns, in ApiKey's order
_COLUMNS = f"SELECT {_FIELDS} FROM api_keys"


@dataclass(frozen=True)
class ApiKey:
    """One key as stored: its id, the user it acts as, a label, when it was made, and its SHA-256."""

    id: str
    user: str
    label: str
    created: str
    sha256: str


class Keys(Protocol):
    """Where the API keys live: `KeysFile` (a data directory's) or `KeysTable` (the shared database's)."""

    def keys(self, user: str | None = None) -> list[ApiKey]:
        """Every key (or `user`'s), oldest first."""

    def create(self, user: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key for `user`: its record, and the key itself (shown once, never stored)."""

    def revoke(self, key_id: str) -> ApiKey:
        """Delete a key by its id (or the whole key). Raises AccountError when there is none."""

    def verify(self, token: str) -> ApiKey | None:
        """The key `token` is, or None."""


def keys_file(settings: Settings) -> Path:
    """Where the API keys live without a shared database: `api-keys.json` beside the users file."""
    return users_file(settings).with_name("api-keys.json")


def keys_store(settings: Settings) -> Keys:
    """The API keys of `settings`: the shared database's `api_keys` table when `database_url` is set, else the
    keys file."""
    if settings.database_url:
        return KeysTable(Database(settings.database_url))
    return KeysFile(keys_file(settings))


def digest(token: str) -> str:
    """The SHA-256 of a key, as stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_label(label: str) -> None:
    """Raises AccountError for a label that is not printable or longer than 200 characters."""
    if len(label) > 200 or not label.isprintable():
        raise AccountError("the label must be printable and at most 200 characters")


def new_key(key_id: str, user: str, label: str) -> tuple[ApiKey, str]:
    """A key with id `key_id` for `user`: its record (made now), and the key itself."""
    token = f"qa_{key_id}_{secrets.token_urlsafe(32)}"
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return ApiKey(key_id, user, label, created, digest(token)), token


def key_id_of(text: str) -> str:
    """The id of a key given by its id or as the whole key."""
    match = TOKEN.fullmatch(text.strip())
    return match.group(1) if match else text.strip().lower()


def matching(record: ApiKey | None, token: str) -> ApiKey | None:
    """`record` if `token` is its key (the hashes compared in constant time), else None."""
    if record is None or not hmac.compare_digest(record.sha256, digest(token)):
        return None
    return record


class KeysFile:
    """The keys file: read again whenever it changes on disk, edited under a lock, replaced atomically (0600)."""

    def __init__(self, path: Path) -> None:
        """Store the path; nothing is read until first use."""
        self.path = path
        self._cache: tuple[tuple[int, int, int], dict[str, ApiKey]] | None = None

    def __repr__(self) -> str:
        return f"KeysFile({str(self.path)!r})"

    def keys(self, user: str | None = None) -> list[ApiKey]:
        """Every key (or `user`'s), oldest first."""
        return sorted((k for k in self._read().values() if user in (None, k.user)), key=lambda k: (k.created, k.id))

    def create(self, user: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key for `user`: its record, and the key itself (shown once, never stored)."""
        check_label(label)
        with self._edit() as keys:
            key_id = secrets.token_hex(4)
            while key_id in keys:
                key_id = secrets.token_hex(4)
            record, token = new_key(key_id, user, label)
            keys[key_id] = record
        return record, token

    def revoke(self, key_id: str) -> ApiKey:
        """Delete a key by its id (or the whole key). Raises AccountError when there is none."""
        key_id = key_id_of(key_id)
        with self._edit() as keys:
            record = keys.pop(key_id, None)
            if record is None:
                raise AccountError(f"no API key {key_id!r} in {self.path}; `qa keys list` shows them")
        return record

    def verify(self, token: str) -> ApiKey | None:
        """The key `token` is, or None; the hash is compared in constant time."""
        match = TOKEN.fullmatch(token)
        return matching(self._read().get(match.group(1)) if match else None, token)

    def _read(self) -> dict[str, ApiKey]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise ConfigError(f"{self.path}: cannot read the API keys ({err.strerror})") from err
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, self._parse())
        return self._cache[1]

    def _parse(self) -> dict[str, ApiKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {key_id: ApiKey(id=key_id, **entry) for key_id, entry in data["keys"].items()}
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise ConfigError(f"{self.path} is not an API keys file written by `qa keys` ({err})") from err

    @contextmanager
    def _edit(self) -> Iterator[dict[str, ApiKey]]:
        """The keys to change in place, read and written back under an exclusive lock."""
        with private_file.locked(self.path):
            keys = dict(self._read())
            yield keys
            self._write(keys)

    def _write(self, keys: dict[str, ApiKey]) -> None:
        entries = {k.id: {n: v for n, v in asdict(k).items() if n != "id"} for k in keys.values()}
        text = json.dumps({"version": FILE_VERSION, "keys": entries}, indent=2, ensure_ascii=False) + "\n"
        private_file.replace(self.path, text)
        self._cache = None


class KeysTable:
    """The `api_keys` table of the shared database: the same keys for every app server, read at every check."""

    def __init__(self, db: Database) -> None:
        """Use `db` (connected on first use)."""
        self.db = db

    def __repr__(self) -> str:
        return "KeysTable()"

    def keys(self, user: str | None = None) -> list[ApiKey]:
        """Every key (or `user`'s), oldest first."""
        if user is None:
            rows = self.db.rows(f"{_COLUMNS} ORDER BY created, id")
        else:
            rows = self.db.rows(f"{_COLUMNS} WHERE username = %s ORDER BY created, id", (user,))
        return [ApiKey(*row) for row in rows]

    def create(self, user: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key for `user`: its record, and the key itself (shown once, never stored)."""
        check_label(label)
        while True:
            record, token = new_key(secrets.token_hex(4), user, label)
            sql = "INSERT INTO api_keys VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING id"
            if self.db.rows(sql, astuple(record)):
                return record, token

    def revoke(self, key_id: str) -> ApiKey:
        """Delete a key by its id (or the whole key). Raises AccountError when there is none."""
        key_id = key_id_of(key_id)
        rows = self.db.rows(f"DELETE FROM api_keys WHERE id = %s RETURNING {_FIELDS}", (key_id,))
        if not rows:
            raise AccountError(f"no API key {key_id!r} in the shared database; `qa keys list` shows them")
        return ApiKey(*rows[0])

    def verify(self, token: str) -> ApiKey | None:
        """The key `token` is, or None; the hash is compared in constant time."""
        match = TOKEN.fullmatch(token)
        rows = self.db.rows(f"{_COLUMNS} WHERE id = %s", (match.group(1),)) if match else []
        return matching(ApiKey(*rows[0]) if rows else None, token)
