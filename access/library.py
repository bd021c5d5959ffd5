"""Collections and the documents in them, as one user may see and change them (see `access.permissions`).

A source the user may not read is answered exactly as a source that does not exist, so that names
of other people's documents do not leak through error messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from access.permissions import User, check_collection, may_read, readable, require_change
from index.manifest import DEFAULT_COLLECTION, Collection, DocumentRecord, Visibility
from index.store import ChunkStore
from qa.errors import QAError, SourceNotFoundError

UPLOADS = "uploads"  # the data directory's folder of files uploaded through the chat or the HTTP API


class Library:
    """Permission-checked reads and changes of the index's collections and their sources."""

    def __init__(self, store: ChunkStore) -> None:
        """Read collections and sources from `store`."""
        self.store = store

    def readable(self, user: User) -> frozenset[str] | None:
        """The collections `user` may read (None: all, for an admin)."""
        return readable(user, self.store.local.collections())

    def collections(self, user: User) -> list[Collection]:
        """The collections `user` may read, by name."""
        return [c for c in self.store.local.collections().values() if may_read(user, c)]

    def sources(self, user: User) -> dict[str, int]:
        """The sources `user` may read, with their chunk counts, in source order."""
        return self.store.chunk_counts(self.readable(user))

    def create(
        self,
        name: str,
        user: User,
        owner: str | None = None,
        visibility: Visibility = "private",
        groups: Iterable[str] = (),
    ) -> Collection:
        """Create a collection owned by `owner` (default: `user`), or change one `user` may change.

        Raises:
            QAError: a bad name or visibility.
            PermissionDeniedError: the collection exists and `user` may not change it, or `user` (not an
                admin) names another owner.
        """
        name, _ = check_collection(name, visibility)
        existing = self.store.local.collections().get(name)
        if existing is not None:
            require_change(user, existing)
        owner = user.name if owner is None else owner
        if owner != user.name and not user.admin:
            require_change(user, Collection(name, owner, visibility))
        collection = Collection(name, owner, visibility, frozenset(groups))
        self.store.local.put_collection(collection)
        return collection

    def writable(self, name: str, user: User) -> Collection:
        """The collection `name`, if `user` may change it (`QAError` if there is none)."""
        check_collection(name)
        collection = self.store.local.collections().get(name)
        if collection is None:
            raise QAError(f"collection: there is no collection {name!r}; create it first (`qa collections create`)")
        require_change(user, collection)
        return collection

    def collection_of(self, source: str, user: User) -> Collection:
        """The collection holding `source`, if `user` may read it (else `SourceNotFoundError`)."""
        collections = self.store.local.collections()
        record = self.store.local.document(source)
        name = record.collection if record else self.store.source_collections().get(source)
        collection = collections.get(name or "")
        if collection is None or not may_read(user, collection):
            raise SourceNotFoundError(f"{source!r} is not indexed; `qa sources` lists what is")
        return collection

    def removable(self, source: str, user: User, uploads: Path) -> Path | None:
        """Check that `user` may remove `source`; returns its kept copy if it was uploaded into `uploads`."""
        require_change(user, self.collection_of(source, user))
        record = self.store.local.document(source)
        if record is None or not Path(record.root).resolve().is_relative_to(uploads.resolve()):
            return None
        return _file_of(record)

    def ensure(self, name: str, user: User, visibility: Visibility = "private") -> Collection:
        """The collection `name`, created for `user` with `visibility` if there is none (never changed)."""
        existing = self.store.local.collections().get(check_collection(name, visibility)[0])
        return existing if existing is not None else self.create(name, user, visibility=visibility)

    def document_file(self, source: str, user: User) -> Path:
        """The file `source` was read from, if `user` may read it and it is still there."""
        self.collection_of(source, user)
        record = self.store.local.document(source)
        if record is None:
            raise SourceNotFoundError(f"{source!r} is not indexed; `qa sources` lists what is")
        path = _file_of(record)
        if not path.is_file():
            raise SourceNotFoundError(f"{source!r}: its file is no longer at {path}")
        return path


def _file_of(record: DocumentRecord) -> Path:
    """Where the file of a manifest entry was read from."""
    prefix = "" if record.collection == DEFAULT_COLLECTION else f"{record.collection}/"
    return Path(record.root, record.source.removeprefix(prefix))
