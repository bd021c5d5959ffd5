"""The Chroma collection and the local keyword/sentence index, written together.

`ChunkStore` is the LangChain `VectorStore` handed to the indexing API: every
add and delete goes to Chroma (chunk vectors) and to `LocalIndex` (keyword index
and sentence vectors) alike, so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from index.embedder import SentenceTransformerEmbedder
from index.local import LocalIndex, SentenceVector
from index.sentences import split_sentences
from index.types import Chunk

COLLECTION = "chunks"
INDEX_FORMAT = 2  # bump when what is stored per chunk changes (2: context-pooled sentence vectors)


def chunk_to_document(chunk: Chunk) -> LCDocument:
    """LangChain Document for a chunk; `page` is left out when None (Chroma stores no nulls)."""
    metadata: dict[str, Any] = {"source": chunk.source, "title": chunk.title, "start": chunk.start, "end": chunk.end}
    if chunk.page is not None:
        metadata["page"] = chunk.page
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
    )


def open_chroma(data_dir: Path, embedder: Embeddings) -> Chroma:
    """The embedded (PersistentClient) Chroma collection, cosine space, telemetry off."""
    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    return Chroma(
        collection_name=COLLECTION,
        embedding_function=embedder,
        client=client,
        collection_configuration={"hnsw": {"space": "cosine"}},
    )


def chroma_collection(chroma: Chroma) -> chromadb.Collection:
    """The raw collection behind a LangChain Chroma store, for writes with precomputed vectors."""
    collection: chromadb.Collection = chroma._client.get_collection(COLLECTION)
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
        vectors, sentence_vectors = self.embedder.encode_chunks([c.text for c in chunks], spans)
        self.collection.upsert(
            ids=ids,
            embeddings=vectors,
            documents=[doc.page_content for doc in documents],
            metadatas=[doc.metadata for doc in documents],
        )
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

        Asks the collection for ids and distances only: fetching documents would triple the time.
        """
        where: dict[str, Any] | None = {"source": {"$in": list(sources)}} if sources else None
        hits = self.chroma.similarity_search_by_vector_with_relevance_scores(vector.tolist(), k=n, filter=where)
        return [(str(doc.id), 1.0 - float(distance)) for doc, distance in hits]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored chunk vectors by id."""
        if not ids:
            return {}
        got = self.chroma.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)}

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[LCDocument]:
        """LangChain interface: dense search by text."""
        return self.chroma.similarity_search(query, k=k, **kwargs)

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: Any = None, **kwargs: Any) -> ChunkStore:
        """Not supported: build a ChunkStore with `open_store`."""
        raise TypeError("build a ChunkStore with index.store.open_store(data_dir, embedder)")


def open_store(data_dir: Path, embedder: SentenceTransformerEmbedder) -> ChunkStore:
    """Open (or create) the store under `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return ChunkStore(open_chroma(data_dir, embedder), LocalIndex(data_dir / "local.sqlite"), embedder)
