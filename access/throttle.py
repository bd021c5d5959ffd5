"""Failed logins slowed down per account and per address.

After `max_failures` failures an account (or a client address) is locked for `base_delay` seconds,
and each further failure doubles the lockout, up to `max_delay`. The two locks mean different things
to the login (`access.login`): while an account is locked no password of it is checked, so the right
password does not lift the lockout (and the person is told so, and for how long); while an address is
locked its attempts are only slowed down, never refused, so that one person guessing does not lock a whole
office behind one NAT address out. An account's failures are cleared by a successful login; an address's
are not (one valid account must not reset a password spray from the same address). Failures are
forgotten `forget_after` seconds after the last lockout ends.

The clock is injectable, so tests move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["account", "address"]


@dataclass(frozen=True)
class Lock:
    """A lockout in effect: which key is locked and for how many more seconds."""

    kind: Kind
    seconds: float


@dataclass(frozen=True)
class Strike:
    """What one failure left: the failure counts of the account and the address, and any lockout it began."""

    account_failures: int
    address_failures: int
    lock: Lock | None


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0  # the time of the last failure when not locked


class LoginThrottle:
    """Counts failed logins per account and per address, and says when either is locked."""

    def __init__(
        self,
        max_failures: int = 5,
        base_delay: float = 2.0,
        max_delay: float = 900.0,
        forget_after: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        """Configure; `clock` returns seconds (monotonic), `max_entries` bounds memory under a spray of names."""
        self.max_failures = max_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.clock = clock
        self.max_entries = max_entries
        self._failures: dict[tuple[Kind, str], _Failures] = {}
        self._mutex = threading.Lock()

    def locked(self, account: str, address: str | None) -> Lock | None:
        """The lockout of the account or the address (the longer), or None."""
        locks = [lock for kind, key in _keys(account, address) if (lock := self._lock(kind, key))]
        return max(locks, key=lambda lock: lock.seconds, default=None)

    def account_lock(self, account: str) -> Lock | None:
        """The account's lockout, or None: a password of it may be checked."""
        return self._lock("account", account)

    def address_lock(self, address: str | None) -> Lock | None:
        """The address's lockout, or None."""
        return self._lock("address", address) if address else None

    def _lock(self, kind: Kind, key: str) -> Lock | None:
        now = self.clock()
        with self._mutex:
            entry = self._failures.get((kind, key))
            return Lock(kind, entry.locked_until - now) if entry and entry.locked_until > now else None

    def failed(self, account: str, address: str | None) -> Strike:
        """Count a failed login against the account and the address."""
        now = self.clock()
        counts = {"account": 0, "address": 0}
        locks = []
        with self._mutex:
            self._prune(now)
            for kind, key in _keys(account, address):
                entry = self._failures.setdefault((kind, key), _Failures())
                if now - entry.locked_until > self.forget_after:
                    entry.count = 0
                entry.count += 1
                entry.locked_until = now + self.delay(entry.count)
                counts[kind] = entry.count
                if entry.locked_until > now:
                    locks.append(Lock(kind, entry.locked_until - now))
        return Strike(counts["account"], counts["address"], max(locks, key=lambda lock: lock.seconds, default=None))

    def succeeded(self, account: str) -> None:
        """Clear the account's failures after a successful login."""
        with self._mutex:
            self._failures.pop(("account", account), None)

    def delay(self, failures: int) -> float:
        """Seconds of lockout after `failures` failures in a row: 0 below the threshold, then doubling."""
        if failures < self.max_failures:
            return 0.0
        return float(min(self.max_delay, self.base_delay * 2 ** min(failures - self.max_failures, 64)))

    def _prune(self, now: float) -> None:
        """Forget old failures once there are too many entries; drop the stalest if that is not enough."""
        if len(self._failures) < self.max_entries:
            return
        stale = [key for key, entry in self._failures.items() if now - entry.locked_until > self.forget_after]
        for key in stale:
            del self._failures[key]
        if len(self._failures) >= self.max_entries:
            oldest = sorted(self._failures, key=lambda key: self._failures[key].locked_until)
            for key in oldest[: len(oldest) // 10 + 1]:
                del self._failures[key]


def _keys(account: str, address: str | None) -> list[tuple[Kind, str]]:
    keys: list[tuple[Kind, str]] = [("account", account)]
    return keys + [("address", address)] if address else keys
