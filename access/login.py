"""The one login check the chat UI and an HTTP API share: accounts, the throttle, and a log of every failure.

    authenticator = build_authenticator(settings)     # None: no accounts and no dev users, so login is off
    result = authenticator.check("alice", password, address="10.0.0.5")
    result.user, result.message                       # a User or None; what to tell the person

A locked account is told it is locked and for how long (its password is not checked); an address that
sent many wrong passwords is slowed down (`accounts.address_pause_seconds` before each check), never
refused, so a correct password of another account from the same address always gets in. Wrap the web
app in `ClientAddressMiddleware` to make each request's client address visible to `login`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from access.accounts import MAX_PASSWORD, Accounts, Credentials, accounts_store, check_name
from access.permissions import User
from access.throttle import LoginThrottle, Strike
from qa.errors import ConfigError, QAError
from qa.settings import Settings

log = logging.getLogger(__name__)

client_address: ContextVar[str | None] = ContextVar("qa_client_address", default=None)

DEV_WARNING = (
    "DEVELOPMENT SETTING IN USE: accounts.dev_plaintext_users (QA_ACCOUNTS__DEV_PLAINTEXT_USERS) holds "
    "plain-text passwords for %s. Never use it on a shared or production server: unset it and add users "
    "with `qa users add NAME` (argon2 hashes in the users file)."
)


class UserDirectory(Protocol):
    """Where users and their password hashes are looked up."""

    def lookup(self, name: str) -> Credentials | None: ...


class DevUsers:
    """DEVELOPMENT ONLY: 'user:password,...' logins from a setting, hashed in memory when read."""

    def __init__(self, text: str, hasher: PasswordHasher) -> None:
        """Parse and hash the entries. Raises ConfigError for an entry without a password."""
        self._records: dict[str, Credentials] = {}
        for entry in (part.strip() for part in text.split(",")):
            name, sep, password = entry.partition(":")
            if not entry:
                continue
            if not (sep and password):
                raise ConfigError(
                    f"accounts.dev_plaintext_users: expected 'user:password', got {name!r} without a password"
                )
            try:
                user = User(check_name(name))
            except QAError as err:
                raise ConfigError(f"accounts.dev_plaintext_users: {err}") from err
            self._records[user.name] = Credentials(user, hasher.hash(password))

    def names(self) -> list[str]:
        """The user names, sorted."""
        return sorted(self._records)

    def lookup(self, name: str) -> Credentials | None:
        """The user called `name` with its hash, or None."""
        return self._records.get(name)


WRONG = "Incorrect name or password."


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to: the user, or why not (`locked_for`: the account's lockout, in seconds)."""

    user: User | None
    locked_for: float = 0.0

    @property
    def message(self) -> str:
        """What to tell the person: nothing when they are in."""
        if self.user is not None:
            return ""
        if self.locked_for > 0:
            return (
                f"This account is locked for {_duration(self.locked_for)} after repeated failed logins; "
                "the password was not checked. Try again then, or ask an administrator."
            )
        return WRONG


class Authenticator:
    """Checks a name and password against the users, unless the throttle has locked the account."""

    def __init__(
        self,
        directories: Sequence[UserDirectory],
        throttle: LoginThrottle,
        hasher: PasswordHasher | None = None,
        address_pause: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Look users up in `directories`, first match wins; `hasher` verifies (any argon2 hash verifies);
        an attempt from a locked address waits `address_pause` seconds (at most the lock's rest)."""
        self.directories = tuple(directories)
        self.throttle = throttle
        self.hasher = hasher or PasswordHasher()
        self.address_pause = address_pause
        self.sleep = sleep

    def check(self, username: str, password: str, address: str | None = None) -> LoginResult:
        """The user when the password is right and the account is not locked; else why not.

        Every failure and every refusal is logged at WARNING with the account and the address (never the
        password); a success at INFO.
        """
        name = username.strip().lower()[:128]
        where = _printable(address) if address else "an unknown address"
        lock = self.throttle.account_lock(name)
        if lock is not None:
            log.warning(
                "login refused for account %r from %s: the account is locked for %d more seconds after "
                "repeated failures",
                name,
                where,
                math.ceil(lock.seconds),
            )
            return LoginResult(None, lock.seconds)
        if (slowed := self.throttle.address_lock(address)) is not None:
            pause = min(self.address_pause, slowed.seconds)
            log.warning("login for account %r from %s slowed by %.1f s: the address is locked", name, where, pause)
            self.sleep(pause)
        record = self._lookup(name)
        if record is not None and self._verify(record.password_hash, password):
            self.throttle.succeeded(name)
            log.info("login: %r from %s", name, where)
            return LoginResult(record.user)
        if record is None:
            self._verify(self._dummy_hash, password)  # the same time as a wrong password: names stay secret
        self._log_failure(name, where, record is not None, self.throttle.failed(name, address))
        return LoginResult(None)

    def authenticate(self, username: str, password: str, address: str | None = None) -> User | None:
        """The user of `check`, or None."""
        return self.check(username, password, address).user

    def user(self, name: str) -> User | None:
        """The user called `name` (from a session that logged in earlier), or None if it was removed."""
        record = self._lookup(name.strip().lower())
        return record.user if record else None

    async def login(self, username: str, password: str) -> LoginResult:
        """`check` from a request: the address is the one `ClientAddressMiddleware` saw; the hash is checked
        (and a slowed address waits) off the event loop."""
        address = client_address.get()
        return await asyncio.to_thread(self.check, username, password, address)

    def _lookup(self, name: str) -> Credentials | None:
        for directory in self.directories:
            if (record := directory.lookup(name)) is not None:
                return record
        return None

    def _verify(self, password_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD:
            return False
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash(secrets.token_urlsafe(16))

    def _log_failure(self, name: str, where: str, known: bool, strike: Strike) -> None:
        lock = strike.lock
        # (now + 600) - now can be 600.0000001 on a large monotonic clock: not a 601 s lockout
        locked = f"; the {lock.kind} is now locked for {math.ceil(lock.seconds - 1e-6)} s" if lock else ""
        log.warning(
            "login failed for %s %r from %s (%d failures for the account, %d from the address)%s",
            "account" if known else "unknown account",
            name,
            where,
            strike.account_failures,
            strike.address_failures,
            locked,
        )


def build_authenticator(
    settings: Settings,
    hasher: PasswordHasher | None = None,
    clock: Callable[[], float] = time.monotonic,
    store: Accounts | None = None,
) -> Authenticator | None:
    """The login of `settings`, or None when there are no accounts and no development users (login off).

    The accounts are `store`, by default `accounts_store(settings)`: the users file, or in the shared mode the
    database's users table. Once it exists (made by `qa users add`), login is on, even with no users in it.

    Raises:
        ConfigError: `accounts.file` names a missing file, the file is not a users file of hashes, a
            development user is also in the accounts, or the shared database cannot be reached.
    """
    accounts = settings.accounts
    hasher = hasher or PasswordHasher()
    directories: list[UserDirectory] = []
    store = store or accounts_store(settings, hasher)
    exists = store.exists()
    if accounts.file is not None and not exists:
        raise ConfigError(
            f"accounts.file (QA_ACCOUNTS__FILE): {store.where} does not exist; `qa users add NAME` makes it"
        )
    if exists:
        directories.append(store)
    if accounts.dev_plaintext_users:
        dev = DevUsers(accounts.dev_plaintext_users, hasher)
        log.warning(DEV_WARNING, ", ".join(repr(name) for name in dev.names()) or "no users")
        both = sorted({user.name for user in store.users()} & set(dev.names()))
        if both:
            raise ConfigError(f"user {both[0]!r} is in {store.where} and in accounts.dev_plaintext_users; keep one")
        directories.append(dev)
    else:
        store.users()  # a broken file fails now, not at the first login
    if not directories:
        return None
    throttle = LoginThrottle(accounts.max_failures, accounts.lockout_seconds, accounts.max_lockout_seconds, clock=clock)
    return Authenticator(directories, throttle, hasher, address_pause=accounts.address_pause_seconds)


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class ClientAddressMiddleware:
    """ASGI middleware: sets `client_address` to the request's client host for everything below it.

    Behind a reverse proxy the host is the proxy's unless the server trusts its X-Forwarded-For
    (uvicorn: `FORWARDED_ALLOW_IPS`, 127.0.0.1 by default).
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        """Run `app` with the client's host in `client_address`."""
        client = scope.get("client") if scope.get("type") == "http" else None
        token = client_address.set(str(client[0]) if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            client_address.reset(token)


def _duration(seconds: float) -> str:
    """12 s, 5 min, 1 h 5 min: a lockout's rest, rounded up."""
    whole = math.ceil(seconds - 1e-6)
    if whole < 60:
        return f"{whole} s"
    minutes = math.ceil(whole / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min".removesuffix(" 0 min")


def _printable(text: str) -> str:
    """`text` safe for one log line: printable characters only, at most 64."""
    return "".join(ch if ch.isprintable() else "?" for ch in text[:64])
