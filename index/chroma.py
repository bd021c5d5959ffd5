"""This data directory's Chroma collection: the connection, the mode guard and the collection's name.

Chroma runs embedded (`PersistentClient` in `data_dir/chroma`, collection "chunks") or as a server
(`HttpClient` to `chroma_url`). On a server each data directory owns a collection of its own, named
once and recorded in the SQLite index's meta together with the mode, so data directories sharing a
server never see each other's chunks and an index is never opened against the place where its
vectors are not. Nothing outside `index/` talks to Chroma.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from index.local import LocalIndex, SideIndex

COLLECTION = "chunks"  # the embedded collection; server collections are named per data directory
_PAGE = 5000  # ids fetched per request when reading the whole collection
ChromaCollection = chromadb.Collection  # the raw collection, for modules that must not import chromadb
Hit = tuple[str, float]  # (chunk id, cosine similarity)


class StoreConfigError(Exception):
    """Chroma cannot be opened as configured; the message says what to do."""


def _server_address(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of a Chroma server URL such as http://127.0.0.1:8000."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or parts.path not in ("", "/"):
        raise StoreConfigError(f"QA_CHROMA_URL: {url!r} is not a Chroma server URL like http://127.0.0.1:8000")
    ssl = parts.scheme == "https"
    return parts.hostname, port or (443 if ssl else 80), ssl


def connect(data_dir: Path, chroma_url: str | None) -> ClientAPI:
    """The Chroma client: a server's `HttpClient` when `chroma_url` is set, else embedded in `data_dir/chroma`.

    Raises:
        StoreConfigError: the URL is malformed or no Chroma server answers there.
    """
    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url is None:
        return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)
    host, port, ssl = _server_address(chroma_url)
    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
    except Exception as err:  # the client raises ValueError, httpx errors, ...: all mean "not reachable"
        raise StoreConfigError(
            f"no Chroma server answers at {chroma_url} (QA_CHROMA_URL): start one with "
            f"`chroma run --path DIR --port {port}`, or unset QA_CHROMA_URL to keep the index in {data_dir} "
            f"({type(err).__name__}: {err})"
        ) from err


def _place(mode: str, data_dir: Path, url: str | None) -> str:
    return f"the Chroma server at {url}" if mode == "server" else f"embedded Chroma in {data_dir / 'chroma'}"


def _check_mode(data_dir: Path, local: SideIndex, chroma_url: str | None, recorded: str | None) -> None:
    """Refuse to open an index whose vectors live in the other mode's Chroma."""
    mode = "server" if chroma_url else "embedded"
    if recorded not in (None, mode):
        fix = "set QA_CHROMA_URL to that server" if recorded == "server" else "unset QA_CHROMA_URL"
        raise StoreConfigError(
            f"the index in {data_dir} keeps its vectors in {_place(recorded, data_dir, local.get_meta('chroma_url'))}, "
            f"but this run uses {_place(mode, data_dir, chroma_url)}: {fix}, "
            "or ingest into a new data directory (QA_DATA_DIR)"
        )


def _collection_name(data_dir: Path, local: SideIndex, chroma_url: str | None) -> str:
    """This data directory's collection: "chunks" embedded, a name of its own on a server (recorded once)."""
    recorded = local.claim_meta("chroma_mode", "server" if chroma_url else "embedded")
    _check_mode(data_dir, local, chroma_url, recorded)  # another process may have claimed the other mode
    if chroma_url is None:
        return COLLECTION
    local.claim_meta("chroma_url", chroma_url)  # the server it was built on, named in messages
    return local.claim_meta("chroma_collection", f"qa-{uuid4().hex[:12]}")


def open_chroma(data_dir: Path, embedder: Embeddings, local: SideIndex, chroma_url: str | None = None) -> Chroma:
    """This data directory's Chroma collection (embedded, or on the server at `chroma_url`), cosine space.

    The mode is checked before connecting (an embedded client would create its directory) and
    recorded after (an unreachable server leaves a new data directory free to run embedded).

    Raises:
        StoreConfigError: no server answers, the index was built in the other mode, or the
            server lacks the collection holding this index's vectors.
    """
    # an index older than the mode's record is embedded; a shared-mode database records its mode from the start
    embedded_folder = (data_dir / "chroma").exists() and isinstance(local, LocalIndex)
    had_index = embedded_folder or not local.is_empty()
    _check_mode(data_dir, local, chroma_url, local.get_meta("chroma_mode") or ("embedded" if had_index else None))
    client = connect(data_dir, chroma_url)
    name = _collection_name(data_dir, local, chroma_url)
    try:
        return Chroma(
            collection_name=name,
            embedding_function=embedder,
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
            create_collection_if_not_exists=chroma_url is None or local.is_empty(),
        )
    except NotFoundError as err:
        raise StoreConfigError(
            f"the Chroma server at {chroma_url} has no collection {name}, which holds the vectors of the index "
            f"in {data_dir} (built on {local.get_meta('chroma_url')}): point QA_CHROMA_URL at that server, "
            "or ingest into a new data directory (QA_DATA_DIR)"
        ) from err


def chroma_collection(chroma: Chroma) -> chromadb.Collection:
    """The raw collection behind a LangChain Chroma store, for writes with precomputed vectors."""
    collection: chromadb.Collection = chroma._collection
    return collection


def nearest(collection: chromadb.Collection, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[Hit]:
    """The `n` nearest chunks that pass Chroma's `where` filter, as (id, cosine similarity)."""
    got = collection.query(query_embeddings=[vector], n_results=n, where=where, include=["distances"])
    distances = got["distances"] or [[]]
    return [(str(i), 1.0 - float(d)) for i, d in zip(got["ids"][0], distances[0], strict=True)]


def vectors_where(collection: chromadb.Collection, where: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """The ids and embeddings of every chunk that passes `where`."""
    got = collection.get(where=where, include=["embeddings"])
    embeddings = got["embeddings"]
    return [str(i) for i in got["ids"]], list(embeddings) if embeddings is not None else []


def collection_sources(collection: chromadb.Collection) -> Iterator[tuple[str, str]]:
    """(id, source) of every chunk in the collection, read a page at a time."""
    offset = 0
    while True:
        page = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
        for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
            yield chunk_id, str((meta or {}).get("source", ""))
        if len(page["ids"]) < _PAGE:
            return
        offset += _PAGE


def set_missing_metadata(collection: chromadb.Collection, key: str, value: str) -> int:
    """Give every chunk that lacks metadata `key` the value `value` (no re-embedding); returns how many."""
    updated, offset = 0, 0
    while True:
        page = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
        metadatas = [dict(m or {}) for m in page["metadatas"] or []]
        missing = [(i, m) for i, m in zip(page["ids"], metadatas, strict=True) if key not in m]
        if missing:
            collection.update(ids=[i for i, _ in missing], metadatas=[{**m, key: value} for _, m in missing])
            updated += len(missing)
        if len(page["ids"]) < _PAGE:
            return updated
        offset += _PAGE


class EmbeddedReopener:
    """Opens a data directory's embedded Chroma afresh, so that it loads what other processes wrote.

    Each open is a new Chroma system for the same folder (the shared one is dropped from chromadb's cache,
    not stopped: another store of this process may still use it, and it goes when nothing does).
    """

    def __init__(self, data_dir: Path, embedder: Embeddings, local: SideIndex) -> None:
        """Reopen the embedded Chroma of `data_dir`."""
        self.data_dir = data_dir
        self.embedder = embedder
        self.local = local

    def __call__(self) -> Chroma:
        """A new client and collection over the same folder."""
        from chromadb.api.shared_system_client import SharedSystemClient

        identifier = str(self.data_dir / "chroma")
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)
        return open_chroma(self.data_dir, self.embedder, self.local, None)
