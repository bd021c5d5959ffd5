"""The Chroma collection and the local keyword/sentence index, written together.

`ChunkStore` is the LangChain `VectorStore` handed to the indexing API: every
add and delete goes to Chroma (chunk vectors) and to `LocalIndex` (keyword index
and sentence vectors) alike, so the two never drift apart.

Chroma runs embedded (`PersistentClient` in `data_dir/chroma`, collection "chunks")
or as a server (`HttpClient` to `chroma_url`). On a server each data directory owns a
collection of its own, named once and recorded in the local index's meta together
with the mode, so data directories sharing a server never see each other's chunks
and an index is never opened against the place where its vectors are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from index.embedder import SentenceTransformerEmbedder
from index.local import LocalIndex, SentenceVector
from index.sentences import split_sentences
from index.types import Chunk

COLLECTION = "chunks"  # the embedded collection; server collections are named per data directory
INDEX_FORMAT = 4  # bump when what is stored per chunk changes (2: sentence vectors; 3: page headings; 4: page run-ons)


def chunk_to_document(chunk: Chunk) -> LCDocument:
    """LangChain Document for a chunk; `page` is left out when None (Chroma stores no nulls)."""
    metadata: dict[str, Any] = {"source": chunk.source, "title": chunk.title, "start": chunk.start, "end": chunk.end}
    if chunk.page is not None:
        metadata["page"] = chunk.page
    if chunk.context:
        metadata["context"] = chunk.context
    return LCDocument(page_content=chunk.text, metadata=metadata, id=chunk.id)


def document_to_chunk(doc: LCDocument) -> Chunk:
    """Inverse of `chunk_to_document`."""
    meta = doc.metadata
    return Chunk(
        source=meta["source"],
        title=meta["title"],
        text=doc.page_content,
        start=int(meta["start"]),
        end=int(meta["end"]),
        page=int(meta["page"]) if "page" in meta else None,
        context=str(meta.get("context", "")),
    )


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


def _check_mode(data_dir: Path, local: LocalIndex, chroma_url: str | None, recorded: str | None) -> None:
    """Refuse to open an index whose vectors live in the other mode's Chroma."""
    mode = "server" if chroma_url else "embedded"
    if recorded not in (None, mode):
        fix = "set QA_CHROMA_URL to that server" if recorded == "server" else "unset QA_CHROMA_URL"
        raise StoreConfigError(
            f"the index in {data_dir} keeps its vectors in {_place(recorded, data_dir, local.get_meta('chroma_url'))}, "
            f"but this run uses {_place(mode, data_dir, chroma_url)}: {fix}, "
            "or ingest into a new data directory (QA_DATA_DIR)"
        )


def _collection_name(data_dir: Path, local: LocalIndex, chroma_url: str | None) -> str:
    """This data directory's collection: "chunks" embedded, a name of its own on a server (recorded once)."""
    recorded = local.claim_meta("chroma_mode", "server" if chroma_url else "embedded")
    _check_mode(data_dir, local, chroma_url, recorded)  # another process may have claimed the other mode
    if chroma_url is None:
        return COLLECTION
    local.claim_meta("chroma_url", chroma_url)  # the server it was built on, named in messages
    return local.claim_meta("chroma_collection", f"qa-{uuid4().hex[:12]}")


def open_chroma(data_dir: Path, embedder: Embeddings, local: LocalIndex, chroma_url: str | None = None) -> Chroma:
    """This data directory's Chroma collection (embedded, or on the server at `chroma_url`), cosine space.

    The mode is checked before connecting (an embedded client would create its directory) and
    recorded after (an unreachable server leaves a new data directory free to run embedded).

    Raises:
        StoreConfigError: no server answers, the index was built in the other mode, or the
            server lacks the collection holding this index's vectors.
    """
    had_index = (data_dir / "chroma").exists() or not local.is_empty()  # indexes older than the record: embedded
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


class ChunkStore(VectorStore):
    """Chroma for chunk vectors plus LocalIndex for keywords and sentence vectors."""

    def __init__(self, chroma: Chroma, local: LocalIndex, embedder: SentenceTransformerEmbedder) -> None:
        """Wrap an open Chroma collection and local index."""
        self.chroma = chroma
        self.collection = chroma_collection(chroma)
        self.local = local
        self.embedder = embedder

    @property
    def embeddings(self) -> Embeddings:
        """The embedding model (LangChain interface)."""
        return self.embedder

    def add_documents(self, documents: list[LCDocument], **kwargs: Any) -> list[str]:
        """Embed chunks and their sentences in one pass; store vectors in Chroma, the rest locally."""
        ids = list(kwargs.get("ids") or [doc.id for doc in documents])
        chunks = [document_to_chunk(doc) for doc in documents]
        spans = [split_sentences(c.text) for c in chunks]
        # the page heading is read before the text (in the same pass); sentence spans are shifted past it
        shifts = [len(c.indexed_text) - len(c.text) for c in chunks]
        shifted = [[(s + d, e + d) for s, e in chunk_spans] for chunk_spans, d in zip(spans, shifts, strict=True)]
        vectors, sentence_vectors = self.embedder.encode_chunks([c.indexed_text for c in chunks], shifted)
        # Texts live in the local index only: Chroma would also index them for full-text search, two
        # thirds of its write time, and nothing reads them there (`similarity_search` maps ids to chunks).
        self.collection.upsert(ids=ids, embeddings=vectors, metadatas=[doc.metadata for doc in documents])
        sentences = [
            [SentenceVector(c.start + s, c.start + e, v) for (s, e), v in zip(chunk_spans, vecs, strict=True)]
            for c, chunk_spans, vecs in zip(chunks, spans, sentence_vectors, strict=True)
        ]
        self.local.add(chunks, sentences)
        return ids

    def add_texts(
        self, texts: Iterable[str], metadatas: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> list[str]:
        """LangChain interface; chunks come in through `add_documents`."""
        docs = [LCDocument(page_content=t, metadata=m) for t, m in zip(texts, metadatas or [], strict=True)]
        return self.add_documents(docs, **kwargs)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        """Delete chunks from both stores."""
        if ids:
            self.chroma.delete(ids=ids)
            self.local.delete(ids)
        return True

    def dense_search(self, vector: np.ndarray, n: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Nearest chunks to a query vector: (id, cosine similarity), best first.

        Asks the collection for ids and distances only (LangChain's search would fetch every hit's
        text and metadata as well, which the local index already has).
        """
        where: Any = {"source": {"$in": list(sources)}} if sources else None
        got = self.collection.query(query_embeddings=[vector], n_results=n, where=where, include=["distances"])
        distances = got["distances"] or [[]]
        return [(str(i), 1.0 - float(d)) for i, d in zip(got["ids"][0], distances[0], strict=True)]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored chunk vectors by id."""
        if not ids:
            return {}
        got = self.chroma.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)}

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[LCDocument]:
        """LangChain interface: dense search by text; the texts come from the local index."""
        hits = self.dense_search(self.embedder.query_vector(query), k, kwargs.get("sources"))
        chunks = self.local.chunks([i for i, _ in hits])
        return [chunk_to_document(chunks[i]) for i, _ in hits if i in chunks]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: Any = None, **kwargs: Any) -> ChunkStore:
        """Not supported: build a ChunkStore with `open_store`."""
        raise TypeError("build a ChunkStore with index.store.open_store(data_dir, embedder)")


def open_store(data_dir: Path, embedder: SentenceTransformerEmbedder, chroma_url: str | None = None) -> ChunkStore:
    """Open (or create) the store under `data_dir`, its vectors embedded or on the server at `chroma_url`.

    Raises:
        StoreConfigError: see `open_chroma`.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    local = LocalIndex(data_dir / "local.sqlite")
    try:
        chroma = open_chroma(data_dir, embedder, local, chroma_url)
    except BaseException:
        local.close()
        raise
    return ChunkStore(chroma, local, embedder)
