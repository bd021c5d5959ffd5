"""Who may read and change which collection: the one permission check on every path into the index.

Retrieval, answering, listing, removal, file download and feedback all ask here. Reading a
collection: an admin, its owner, anyone when it is public, and the members of its groups when it
is shared with groups. Changing it (ingesting into it, removing its documents): an admin or its
owner. The default collection has no owner, so only admins change it.

The CLI and the Python API act as `ADMIN` on their own data directory unless told otherwise; the
UI and the HTTP API pass the user who logged in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from index.manifest import VISIBILITIES, Collection
from qa.errors import QAError

COLLECTION_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
PRIVATE_SUFFIX = "-private"


class PermissionDeniedError(QAError):
    """The user may not do this to this collection; the message names both."""


@dataclass(frozen=True)
class User:
    """Who asks: a name, the groups it belongs to, and whether it administers every collection."""

    name: str
    groups: frozenset[str] = frozenset()
    admin: bool = False


ADMIN = User("admin", admin=True)


def may_read(user: User, collection: Collection) -> bool:
    """Whether `user` may read the documents of `collection`."""
    return (
        user.admin
        or collection.visibility == "public"
        or (bool(collection.owner) and collection.owner == user.name)
        or (collection.visibility == "groups" and bool(collection.groups & user.groups))
    )


def may_change(user: User, collection: Collection) -> bool:
    """Whether `user` may add documents to `collection` or remove them from it."""
    return user.admin or (bool(collection.owner) and collection.owner == user.name)


def readable(user: User, collections: Mapping[str, Collection]) -> frozenset[str] | None:
    """The names of the collections `user` may read; None for all of them (an admin: no filter at all)."""
    if user.admin:
        return None
    return frozenset(name for name, collection in collections.items() if may_read(user, collection))


def require_change(user: User, collection: Collection) -> None:
    """Raise `PermissionDeniedError` unless `user` may change `collection`."""
    if not may_change(user, collection):
        raise PermissionDeniedError(
            f"{user.name} may not change the collection {collection.name}: only its owner or an admin may"
        )


def check_collection(name: object, visibility: object = "private") -> tuple[str, str]:
    """A valid collection name and visibility, or `QAError` naming the field."""
    if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
        raise QAError(f"collection: {name!r} is not a collection name (1-64 of a-z, 0-9, '_', '.', '-')")
    if visibility not in VISIBILITIES:
        raise QAError(f"visibility: must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    return name, str(visibility)


def private_collection(user: User) -> str:
    """The name of `user`'s own private collection: `alice-private`, or a hashed form for unusual names."""
    candidate = f"{user.name}{PRIVATE_SUFFIX}"
    if COLLECTION_NAME.fullmatch(candidate):
        return candidate
    digest = hashlib.sha256(user.name.encode("utf-8")).hexdigest()[:8]
    kept = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_.-") else "-" for ch in user.name.lower())
    return f"{kept.lstrip('_.-')[:40] or 'user'}-{digest}{PRIVATE_SUFFIX}"
