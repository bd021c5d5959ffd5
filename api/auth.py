"""Who is calling: an API key, as the user it acts for; or, with login off, what the chat UI does then.

With no accounts (login off, the default), no key is needed and every request acts as the UI's does:
as an admin of the data directory, so keep the server on loopback. Once the accounts exist (the users file,
or in the shared mode the database's users table, made by `qa users add`), every request to `/v1/...`
needs `Authorization: Bearer <key>` (see `qa keys`): 401 without one or with a wrong one, and 429 for a
wrong key once its client address has sent too many (the login throttle's rules).
A valid key is always accepted: one client guessing never locks out the others behind the same address.
"""

from __future__ import annotations

import logging
import math
import threading

from access.accounts import accounts_store
from access.api_keys import keys_store
from access.login import Authenticator, build_authenticator
from access.permissions import ADMIN, User
from access.throttle import LoginThrottle
from api.errors import ApiError
from qa.settings import Settings

log = logging.getLogger("qa.api")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="qa"'}


class Gatekeeper:
    """Turns a request's `Authorization` header into the `User` it acts as, or refuses it."""

    def __init__(self, settings: Settings) -> None:
        """Read accounts and keys as `settings` say (login on once the accounts exist)."""
        self.settings = settings
        self.keys = keys_store(settings)
        self.accounts = accounts_store(settings)
        accounts = settings.accounts
        self.throttle = LoginThrottle(accounts.max_failures, accounts.lockout_seconds, accounts.max_lockout_seconds)
        self._lock = threading.Lock()
        self._login: tuple[bool, Authenticator | None] | None = None

    def authenticator(self) -> Authenticator | None:
        """The accounts, or None while login is off; built again when the accounts appear or go."""
        exists = self.accounts.exists()
        with self._lock:
            if self._login is None or self._login[0] != exists:
                self._login = (exists, build_authenticator(self.settings, store=self.accounts))
            return self._login[1]

    def user(self, authorization: str | None, address: str | None) -> User:
        """The user the request acts as.

        Raises:
            ApiError: 401 (no key, or not a valid one) or 429 (this address sent too many wrong keys).
        """
        authenticator = self.authenticator()
        if authenticator is None:
            return ADMIN
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            message = "an API key is required: send 'Authorization: Bearer <key>' (`qa keys add NAME` makes one)"
            raise ApiError(401, message, headers=CHALLENGE)
        key = self.keys.verify(token.strip())
        user = authenticator.user(key.user) if key else None
        if user is not None:
            return user  # a valid key is never refused, whatever other keys this address sent
        account = f"api key from {address}"  # wrong keys are counted per address: a key names no account
        lock = self.throttle.locked(account, address)
        if lock is not None:
            seconds = math.ceil(lock.seconds)
            log.warning(
                "API request with an invalid key from %s refused: the address is locked for %d s",
                address or "an unknown address",
                seconds,
            )
            raise ApiError(
                429,
                f"too many wrong API keys from this address: try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
        self.throttle.failed(account, address)
        log.warning("API request with an invalid key from %s", address or "an unknown address")
        raise ApiError(401, "the API key is not valid (revoked, or its user was removed)", headers=CHALLENGE)
