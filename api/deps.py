"""What every route is handed: the process's engine, and the user the request acts as."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from access.permissions import User
from api.auth import Gatekeeper
from qa.service import QA

bearer = HTTPBearer(auto_error=False, description="An API key from `qa keys add NAME` (only when accounts exist)")


def engine(request: Request) -> QA:
    """The `QA` of this worker process."""
    qa: QA = request.app.state.qa
    return qa


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    """The user of the request's API key (401/429 when refused); an admin while login is off."""
    gatekeeper: Gatekeeper = request.app.state.gatekeeper
    header = f"Bearer {credentials.credentials}" if credentials else request.headers.get("authorization")
    return gatekeeper.user(header, request.client.host if request.client else None)


Engine = Annotated[QA, Depends(engine)]
Caller = Annotated[User, Depends(caller)]
