"""Login sessions that survive a restart: a signed, expiring token in a cookie, checked on every request.

    tokens = SessionTokens(settings, lifetime=12 * 3600)   # or a data directory
    token = tokens.issue("alice")          # after a correct password: the cookie's value
    tokens.name(token)                      # "alice" while the signature holds and it has not expired or been ended
    tokens.end_all("alice")                 # log out: every session of alice issued until now ends

A token is `<payload>.<signature>`: the payload (base64url JSON: name, issued, expires) signed with
HMAC-SHA256 under a key derived from the server key (`access.server_key`), so nothing but the key is stored
for a session and every process of the same data directory accepts it. Log-outs are kept in
`sessions-ended.json` beside the key (name -> time), so a logged-out token stays dead after a restart.

In the shared mode (`QA_DATABASE_URL`; `SessionTokens(settings, ...)`) the key and the log-outs are in the
database (`server_secrets`, `sessions_ended`), so a token issued by one app server is accepted by all, and a
log-out on one ends the sessions on all (the servers' clocks must agree, as for expiry). Whether the account
still exists is the caller's check (`access.login.Authenticator.user`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from access.database import Database
from access.private_file import locked, replace
from access.server_key import database_key, derive, file_key
from qa.settings import Settings

COOKIE = "qa_session"
ENDED_FILE = "sessions-ended.json"


class LogOuts(Protocol):
    """When each name last logged out: `EndedFile` (a data directory's) or `EndedTable` (the shared database's)."""

    def ended(self) -> dict[str, float]:
        """Every name that logged out, with when it last did."""

    def ended_at(self, name: str) -> float | None:
        """When `name` last logged out, or None."""

    def end(self, name: str, at: float) -> None:
        """Record that `name` logged out at `at` (wall-clock seconds)."""


class SessionTokens:
    """Issues and checks the signed session tokens of one data directory, or of every app server of a shared
    database."""

    def __init__(self, where: Settings | Path, lifetime: float, clock: Callable[[], float] = time.time) -> None:
        """Sign with the key of `where` and keep log-outs beside it: settings (the shared database when
        `database_url` is set, else their data directory), or a data directory. A token lasts `lifetime`
        seconds; `clock` is wall-clock seconds."""
        self.lifetime = lifetime
        self.clock = clock
        if isinstance(where, Settings) and where.database_url:
            db = Database(where.database_url)
            self._key = derive(database_key(db), "sessions")
            self.log_outs: LogOuts = EndedTable(db)
        else:
            data_dir = where if isinstance(where, Path) else where.data_dir
            self._key = derive(file_key(data_dir), "sessions")
            self.log_outs = EndedFile(data_dir / ENDED_FILE)

    def issue(self, name: str) -> str:
        """A new token for `name`, valid for `lifetime` seconds from now."""
        now = self.clock()
        claims = {"u": name, "i": now, "e": now + self.lifetime, "n": secrets.token_hex(4)}
        payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def name(self, token: str | None) -> str | None:
        """The name a valid token was issued to; None when it is missing, forged, expired or logged out."""
        claims = self._claims(token) if token else None
        if claims is None:
            return None
        name, issued, expires = claims.get("u"), claims.get("i"), claims.get("e")
        if not isinstance(name, str) or not isinstance(issued, int | float) or not isinstance(expires, int | float):
            return None
        if self.clock() >= expires:
            return None
        ended = self.log_outs.ended_at(name)
        return None if ended is not None and issued <= ended else name

    def end_all(self, name: str) -> None:
        """End every session of `name` issued until now (log out), also in the other processes."""
        self.log_outs.end(name, self.clock())

    def ended(self) -> dict[str, float]:
        """When each name last logged out."""
        return self.log_outs.ended()

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).hexdigest()

    def _claims(self, token: str) -> dict[str, object] | None:
        payload, _, signature = token.partition(".")
        if not (payload.isascii() and signature.isascii()) or not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError):
            return None
        return claims if isinstance(claims, dict) else None


class EndedFile:
    """Log-outs in a JSON file of the data directory (name -> time), read again whenever it changes."""

    def __init__(self, path: Path) -> None:
        """Store the path; it is made by the first log-out."""
        self.path = path
        self._ended: tuple[float, dict[str, float]] = (-1.0, {})  # (file mtime, name -> time) as last read

    def ended(self) -> dict[str, float]:
        """Every name that logged out, with when it last did (read again whenever the file changes)."""
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if mtime != self._ended[0]:
            self._ended = (mtime, self._read())
        return self._ended[1]

    def ended_at(self, name: str) -> float | None:
        """When `name` last logged out, or None."""
        return self.ended().get(name)

    def end(self, name: str, at: float) -> None:
        """Record that `name` logged out at `at`: the file replaced under its lock."""
        with locked(self.path):
            ended = self._read()
            ended[name] = at
            replace(self.path, json.dumps(ended, indent=1, sort_keys=True) + "\n")

    def _read(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return {k: float(v) for k, v in data.items() if isinstance(v, int | float)} if isinstance(data, dict) else {}


class EndedTable:
    """Log-outs in the shared database's `sessions_ended` table (name, at), read at every check."""

    def __init__(self, db: Database) -> None:
        """Use `db` (connected on first use)."""
        self.db = db

    def ended(self) -> dict[str, float]:
        """Every name that logged out, with when it last did."""
        return {name: float(at) for name, at in self.db.rows("SELECT name, at FROM sessions_ended")}

    def ended_at(self, name: str) -> float | None:
        """When `name` last logged out, or None."""
        rows = self.db.rows("SELECT at FROM sessions_ended WHERE name = %s", (name,))
        return float(rows[0][0]) if rows else None

    def end(self, name: str, at: float) -> None:
        """Record that `name` logged out at `at` (a later log-out on a server whose clock is behind keeps the
        later time)."""
        self.db.rows(
            "INSERT INTO sessions_ended (name, at) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET at = GREATEST(sessions_ended.at, EXCLUDED.at)",
            (name, at),
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
