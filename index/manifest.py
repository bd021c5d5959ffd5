"""The manifest of ingested files and the collections they belong to, in the index's SQLite file.

Every file belongs to one collection. A collection has an owner and a visibility: "private" (its
owner alone), "groups" (its owner and the members of its groups) or "public" (everyone). Who may
read or change what is decided in `access.permissions`; this module only stores the facts. The
collection `DEFAULT_COLLECTION` is public, owned by no one (so only admins change it), and holds
everything ingested before collections existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from index.sqlite_file import SQLiteFile

DEFAULT_COLLECTION = "default"
Visibility = Literal["private", "groups", "public"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
MANIFEST_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, root TEXT NOT NULL, sha256 TEXT NOT NULL, title TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, visibility TEXT NOT NULL, groups TEXT NOT NULL DEFAULT '');
INSERT OR IGNORE INTO collections (name, owner, visibility) VALUES ('{DEFAULT_COLLECTION}', '', 'public');
"""
_DOCUMENT = "SELECT source, root, sha256, title, collection FROM documents"


@dataclass(frozen=True)
class DocumentRecord:
    """A file in the manifest: where it was ingested from, its content hash, and its collection."""

    source: str
    root: str
    sha256: str
    title: str
    collection: str = DEFAULT_COLLECTION


@dataclass(frozen=True)
class Collection:
    """A named set of documents with an owner (a user name; "" for none) and who else may read it."""

    name: str
    owner: str
    visibility: Visibility
    groups: frozenset[str] = frozenset()


class Manifest(SQLiteFile):
    """The `documents` and `collections` tables (and, through `SQLiteFile`, the meta table)."""

    def __init__(self, path: Path, schema: str = "") -> None:
        """Open (or create) the database at `path`, with the manifest's tables and `schema`."""
        super().__init__(path, MANIFEST_SCHEMA + schema)
        self._add_column("documents", "collection", f"TEXT NOT NULL DEFAULT '{DEFAULT_COLLECTION}'")

    def document(self, source: str) -> DocumentRecord | None:
        """The manifest entry of a source, if it was ingested."""
        with self._lock:
            found = self._db.execute(f"{_DOCUMENT} WHERE source = ?", (source,)).fetchone()
        return DocumentRecord(*found) if found else None

    def documents_under(self, root: str, collection: str) -> list[DocumentRecord]:
        """Manifest entries ingested from folder `root` into `collection`."""
        with self._lock:
            rows = self._db.execute(f"{_DOCUMENT} WHERE root = ? AND collection = ?", (root, collection))
            return [DocumentRecord(*r) for r in rows]

    def all_documents(self) -> list[DocumentRecord]:
        """Every manifest entry."""
        with self._lock:
            return [DocumentRecord(*r) for r in self._db.execute(_DOCUMENT)]

    def put_document(self, record: DocumentRecord) -> None:
        """Record (or update) a file in the manifest."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO documents (source, root, sha256, title, collection) VALUES (?,?,?,?,?)",
                (record.source, record.root, record.sha256, record.title, record.collection),
            )

    def delete_document(self, source: str) -> None:
        """Drop a file from the manifest."""
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE source = ?", (source,))

    def collections(self) -> dict[str, Collection]:
        """Every collection by name."""
        with self._lock:
            rows = self._db.execute("SELECT name, owner, visibility, groups FROM collections ORDER BY name")
            return {r[0]: Collection(r[0], r[1], r[2], frozenset(g for g in r[3].split(",") if g)) for r in rows}

    def put_collection(self, collection: Collection) -> None:
        """Create a collection, or change its owner, visibility or groups."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO collections (name, owner, visibility, groups) VALUES (?,?,?,?)",
                (collection.name, collection.owner, collection.visibility, ",".join(sorted(collection.groups))),
            )
