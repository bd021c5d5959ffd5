"""API keys: bearer tokens for the HTTP API, each acting as one user, stored only as hashes.

A key is shown once, when it is made (`qa keys add alice`), and looks like `qa_1f2e3d4c_<43 random characters>`:
the 8 hex digits are its id (`qa keys list`, `qa keys revoke ID`), the rest 256 random bits. The keys file
(`api-keys.json` beside the users file) holds the SHA-256 of each key, never the key: a key has too much
entropy to be guessed from its hash, so a fast hash is enough, and checking one costs microseconds.

    {"version": 1, "keys": {"1f2e3d4c": {"user": "alice", "label": "laptop", "created": "2025-...", "sha256": "..."}}}

A key carries no permissions of its own: the API looks its user up in the accounts on every request, so a
change of groups or admin flag applies at once, and a removed user's keys stop working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from access import private_file
from access.accounts import AccountError, users_file
from qa.errors import ConfigError
from qa.settings import Settings

FILE_VERSION = 1
TOKEN = re.compile(r"qa_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class ApiKey:
    """One key as stored: its id, the user it acts as, a label, when it was made, and its SHA-256."""

    id: str
    user: str
    label: str
    created: str
    sha256: str


def keys_file(settings: Settings) -> Path:
    """Where the API keys live: `api-keys.json` beside the users file."""
    return users_file(settings).with_name("api-keys.json")


def digest(token: str) -> str:
    """The SHA-256 of a key, as stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


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
        if len(label) > 200 or not label.isprintable():
            raise AccountError("the label must be printable and at most 200 characters")
        with self._edit() as keys:
            key_id = secrets.token_hex(4)
            while key_id in keys:
                key_id = secrets.token_hex(4)
            token = f"qa_{key_id}_{secrets.token_urlsafe(32)}"
            created = datetime.now(UTC).isoformat(timespec="seconds")
            keys[key_id] = record = ApiKey(key_id, user, label, created, digest(token))
        return record, token

    def revoke(self, key_id: str) -> ApiKey:
        """Delete a key by its id (or the whole key). Raises AccountError when there is none."""
        match = TOKEN.fullmatch(key_id.strip())
        key_id = match.group(1) if match else key_id.strip().lower()
        with self._edit() as keys:
            record = keys.pop(key_id, None)
            if record is None:
                raise AccountError(f"no API key {key_id!r} in {self.path}; `qa keys list` shows them")
        return record

    def verify(self, token: str) -> ApiKey | None:
        """The key `token` is, or None; the hash is compared in constant time."""
        match = TOKEN.fullmatch(token)
        record = self._read().get(match.group(1)) if match else None
        if record is None or not hmac.compare_digest(record.sha256, digest(token)):
            return None
        return record

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
