"""Who a chat request acts for: the logged-in `User`, or, with login off, an admin (a one-person deployment).

Every handler asks `Sessions.user(request)` first and passes the answer to the engine, which applies the
one permission check (`access.permissions`). A session whose account was removed since it logged in is refused.
A login is a signed, expiring token in a cookie (`access.sessions`), and answers are signed for their user
(`sign`, so that a vote is recorded only on an answer this server gave to that user); both keys come from
the server key (`access.server_key`: the data directory's, or in the shared mode the database's), so sessions
and votes on earlier answers survive a restart, and every app server of a shared database accepts them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from access.feedback import feedback_fields
from access.login import Authenticator
from access.permissions import ADMIN, PermissionDeniedError, User
from access.server_key import derived_key
from access.sessions import COOKIE, SessionTokens
from qa.settings import Settings
from qa.types import Answer

GONE = "your account no longer exists or your session has ended: log in again"


class Sessions:
    """Maps a Gradio request's login name to a `User` (`authenticator` None: login is off, everyone is ADMIN)."""

    def __init__(self, authenticator: Authenticator | None, settings: Settings) -> None:
        """Look logged-in names up with `authenticator`; keys and session lifetime from `settings`."""
        self.authenticator = authenticator
        self._key = derived_key(settings, "answers")
        self.tokens = SessionTokens(settings, settings.accounts.session_hours * 3600)

    def login_name(self, cookies: dict[str, str]) -> str | None:
        """The name whose valid session cookie is in `cookies`, if that account still exists; else None."""
        name = self.tokens.name(cookies.get(COOKIE)) if self.authenticator else None
        return name if name and self.authenticator and self.authenticator.user(name) else None

    def request_user(self, request: Any) -> str | None:
        """`login_name` of a Starlette request (Gradio's `auth_dependency`)."""
        return self.login_name(request.cookies)

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

    def account(self, name: str) -> User:
        """The user called `name` now (work queued for them, such as an upload): with login off, an admin.

        Raises:
            PermissionDeniedError: login is on and the account no longer exists.
        """
        return self.named(name) if self.login else ADMIN

    def sign(self, answer: Answer, user: User) -> str:
        """A signature saying this server gave `answer` to `user` (what feedback records is what is signed)."""
        payload = json.dumps([user.name, feedback_fields(answer)], sort_keys=True, ensure_ascii=False)
        return hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def given(self, answer: Answer, user: User, signature: object) -> bool:
        """Whether `signature` is `sign(answer, user)`: the answer was given to this user by this server."""
        return isinstance(signature, str) and hmac.compare_digest(signature, self.sign(answer, user))
