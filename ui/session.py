"""Who a chat request acts for: the logged-in `User`, or, with login off, an admin (a one-person deployment).

Every handler asks `Sessions.user(request)` first and passes the answer to the engine, which applies the
one permission check (`access.permissions`). A session whose account was removed since it logged in is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from access.feedback import feedback_fields
from access.login import Authenticator
from access.permissions import ADMIN, PermissionDeniedError, User
from qa.types import Answer

GONE = "your account no longer exists or your session has ended: log in again"


class Sessions:
    """Maps a Gradio request's login name to a `User` (`authenticator` None: login is off, everyone is ADMIN)."""

    def __init__(self, authenticator: Authenticator | None) -> None:
        """Look logged-in names up with `authenticator`; answers are signed with a key of this process."""
        self.authenticator = authenticator
        self._key = secrets.token_bytes(32)

    @property
    def login(self) -> bool:
        """Whether login is on."""
        return self.authenticator is not None

    def user(self, request: Any) -> User:
        """The user a request acts for.

        Raises:
            PermissionDeniedError: login is on and the request's account is unknown (removed, or no login).
        """
        return self.named(getattr(request, "username", None) if request is not None else None)

    def named(self, name: str | None) -> User:
        """The user called `name` by a login session (None: no session); see `user`."""
        if self.authenticator is None:
            if name:  # served with a login of its own but no accounts: refuse rather than act as an admin
                raise PermissionDeniedError(GONE)
            return ADMIN
        found = self.authenticator.user(name) if name else None
        if found is None:
            raise PermissionDeniedError(GONE)
        return found

    def sign(self, answer: Answer, user: User) -> str:
        """A signature saying this server gave `answer` to `user` (what feedback records is what is signed)."""
        payload = json.dumps([user.name, feedback_fields(answer)], sort_keys=True, ensure_ascii=False)
        return hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def given(self, answer: Answer, user: User, signature: object) -> bool:
        """Whether `signature` is `sign(answer, user)`: the answer was given to this user by this server."""
        return isinstance(signature, str) and hmac.compare_digest(signature, self.sign(answer, user))


