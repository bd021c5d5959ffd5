"""Login sessions that survive a restart: a signed, expiring token in a cookie, checked on every request.

    tokens = SessionTokens(data_dir, lifetime=12 * 3600)
    token = tokens.issue("alice")          # after a correct password: the cookie's value
    tokens.name(token)                      # "alice" while the signature holds and it has not expired or been ended
    tokens.end_all("alice")                 # log out: every session of alice issued until now ends

A token is `<payload>.<signature>`: the payload (base64url JSON: name, issued, expires) signed with
HMAC-SHA256 under a key derived from the data directory's server key (`access.server_key`), so nothing
but the key is stored for a session and every process of the same data directory accepts it. Log-outs are
kept in `sessions-ended.json` beside the key (name -> time), so a logged-out token stays dead after a
restart. Whether the account still exists is the caller's check (`access.login.Authenticator.user`).
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

from access.private_file import locked, replace
from access.server_key import derived_key

COOKIE = "qa_session"
ENDED_FILE = "sessions-ended.json"


class SessionTokens:
    """Issues and checks the signed session tokens of one data directory."""

    def __init__(self, data_dir: Path, lifetime: float, clock: Callable[[], float] = time.time) -> None:
        """Sign with the key of `data_dir`; a token lasts `lifetime` seconds; `clock` is wall-clock seconds."""
        self.lifetime = lifetime
        self.clock = clock
        self._key = derived_key(data_dir, "sessions")
        self._ended_path = data_dir / ENDED_FILE
        self._ended: tuple[float, dict[str, float]] = (-1.0, {})  # (file mtime, name -> time) as last read

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
        if self.clock() >= expires or issued <= self.ended().get(name, float("-inf")):
            return None
        return name

    def end_all(self, name: str) -> None:
        """End every session of `name` issued until now (log out), also in the other processes."""
        with locked(self._ended_path):
            ended = self._read_ended()
            ended[name] = self.clock()
            replace(self._ended_path, json.dumps(ended, indent=1, sort_keys=True) + "\n")

    def ended(self) -> dict[str, float]:
        """When each name last logged out (read again whenever the file changes)."""
        try:
            mtime = self._ended_path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if mtime != self._ended[0]:
            self._ended = (mtime, self._read_ended())
        return self._ended[1]

    def _read_ended(self) -> dict[str, float]:
        try:
            data = json.loads(self._ended_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return {k: float(v) for k, v in data.items() if isinstance(v, int | float)} if isinstance(data, dict) else {}

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
