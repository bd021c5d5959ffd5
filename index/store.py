"""The index's store: Chroma for chunk vectors, the SQLite index for everything else, written together.

`ChunkStore` is the LangChain `VectorStore` handed to the indexing API: every add and delete goes
to Chroma (chunk vectors, see `index.chroma`) and to `LocalIndex` (chunks, keyword index, sentence
vectors) alike, so the two never drift apart. For reading it implements `index.reader.IndexReader`,
the one interface that retrieval and answering use.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from index.chroma import EmbeddedReopener, StoreConfigError, chroma_collection, open_chroma, set_missing_metadata
from index.embedder import Embedder
from index.local import LocalIndex, SentenceVector, SideIndex
from index.manifest import DEFAULT_COLLECTION
from index.reader import Scope
from index.scoped import ScopedDenseSearch
from index.sentences import split_sentences
from index.types import Chunk

EMBEDDER = "embedder"  # index meta key: the identity of the model that made its vectors
COLLECTIONS = "collections"  # index meta key, set once every chunk in Chroma names its collection
INDEX_FORMAT = 4  # bump when what is stored per chunk changes (2: sentence vectors; 3: page headings; 4: page run-ons)


def chunk_to_document(chunk: Chunk) -> LCDocument:
    """LangChain Document for a chunk; `page` is left out when None (Chroma stores no nulls)."""
    metadata: dict[str, Any] = {
        "source": chunk.source,
        "title": chunk.title,
        "start": chunk.start,
        "end": chunk.end,
        "collection": chunk.collection,
    }
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
        collection=str(meta.get("collection", DEFAULT_COLLECTION)),
    )


class ChunkStore(VectorStore):
    """Chroma for chunk vectors plus LocalIndex for keywords and sentence vectors."""

    def __init__(
        self, chroma: Chroma, local: SideIndex, embedder: Embedder, reopen: Callable[[], Chroma] | None = None
    ) -> None:
        """Wrap an open Chroma collection and local index; `reopen` opens embedded Chroma again (see `fresh`)."""
        self.local = local
        self.embedder = embedder
        self._reopen = reopen
        self._seen = local.version()[0]
        self._use(chroma)

    def _use(self, chroma: Chroma) -> None:
        self.chroma = chroma
        self.collection = chroma_collection(chroma)
        self.scoped = ScopedDenseSearch(self.collection, self.local)

    def fresh(self) -> None:
        """See what other processes wrote: embedded Chroma keeps its vector index in memory, so a process
        that did not write a chunk does not find it by vector until it opens Chroma again. Another process
        writes Chroma before the SQLite index, so a change to the SQLite file by another connection means
        its vectors are on disk. Cheap when nothing changed (one PRAGMA); a Chroma server needs none of it."""
        if self._reopen is None:
            return
        seen = self.local.version()[0]
        if seen != self._seen:
            self._seen = seen
            self._use(self._reopen())

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

    def dense_search(
        self, vector: np.ndarray, n: int, sources: Sequence[str] | None = None, collections: Scope = None
    ) -> list[tuple[str, float]]:
        """Nearest chunks to a query vector in `sources` and `collections` (None: all): (id, cosine), best first.

        Asks the collection for ids and distances only (LangChain's search would fetch every hit's
        text and metadata as well, which the local index already has).
        """
        self.fresh()
        if sources is None and collections is not None:
            return self.scoped.search(vector, n, collections)
        where = _where({"source": sources, "collection": collections})
        return [] if where == _NOTHING else self.scoped.filtered(vector, n, where)

    def keyword_search(
        self, question: str, n: int, sources: Sequence[str] | None = None, collections: Scope = None
    ) -> list[tuple[str, float]]:
        """BM25 matches from the SQLite keyword index: (id, score), best first."""
        return self.local.search(question, n, sources, collections)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored chunk vectors by id."""
        if not ids:
            return {}
        self.fresh()
        got = self.chroma.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)}

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id, from the SQLite index."""
        return self.local.chunks(ids)

    def sentences(self, chunk_id: str) -> list[SentenceVector]:
        """A chunk's sentences with their vectors, in text order."""
        return self.local.sentences(chunk_id)

    def chunk_counts(self, collections: Collection[str] | None = None) -> dict[str, int]:
        """Each indexed source of `collections` (None: all) with its number of chunks, in source order."""
        return self.local.chunk_counts(collections)

    def source_collections(self) -> dict[str, str]:
        """Each indexed source's collection."""
        return self.local.source_collections()

    def phrase_counts(self, words: Sequence[str]) -> dict[str, int]:
        """Chunks per source holding `words` in a row."""
        return self.local.phrase_counts(words)

    def ids_of(self, source: str) -> list[str]:
        """The chunk ids of one source."""
        return self.local.chunk_ids(source)

    def is_empty(self) -> bool:
        """Whether no chunk is indexed."""
        return self.local.is_empty()

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[LCDocument]:
        """LangChain interface: dense search by text; the texts come from the local index."""
        hits = self.dense_search(self.embedder.query_vector(query), k, kwargs.get("sources"))
        chunks = self.local.chunks([i for i, _ in hits])
        return [chunk_to_document(chunks[i]) for i, _ in hits if i in chunks]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: Any = None, **kwargs: Any) -> ChunkStore:
        """Not supported: build a ChunkStore with `open_store`."""
        raise TypeError("build a ChunkStore with index.store.open_store(data_dir, embedder)")


_NOTHING: dict[str, Any] = {"source": {"$in": []}}  # a filter no chunk passes


def _where(filters: dict[str, Collection[str] | None]) -> dict[str, Any] | None:
    """A Chroma `where` that keeps chunks whose metadata value is in each given set (None: any value)."""
    clauses = [{key: {"$in": sorted(values)}} for key, values in filters.items() if values is not None]
    if any(not clause[key]["$in"] for clause in clauses for key in clause):
        return _NOTHING  # Chroma refuses an empty $in
    if len(clauses) > 1:
        return {"$and": clauses}
    return clauses[0] if clauses else None


def open_store(
    data_dir: Path, embedder: Embedder, chroma_url: str | None = None, database_url: str | None = None
) -> ChunkStore:
    """Open (or create) the store under `data_dir`, its vectors embedded or on the server at `chroma_url`, the
    rest in `data_dir/local.sqlite` or, in the shared mode, in the PostgreSQL database at `database_url`.

    Raises:
        StoreConfigError: see `open_chroma`; or the index was built by another embedding model.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    local: SideIndex
    if database_url:
        from index.postgres import PgIndex

        local = PgIndex(database_url)
    else:
        local = LocalIndex(data_dir / "local.sqlite")
    try:
        check_embedder(data_dir, local, embedder)
        chroma = open_chroma(data_dir, embedder, local, chroma_url)
        if local.get_meta(COLLECTIONS) is None:  # an index made before collections: all of it is the default one
            set_missing_metadata(chroma_collection(chroma), "collection", DEFAULT_COLLECTION)
            local.set_meta(COLLECTIONS, "1")
    except BaseException:
        local.close()
        raise
    return ChunkStore(chroma, local, embedder, None if chroma_url else EmbeddedReopener(data_dir, embedder, local))


def check_embedder(data_dir: Path, local: SideIndex, embedder: Embedder) -> None:
    """Refuse an index whose vectors another embedding model made (the back end may differ).

    The model is recorded by `record_embedder` when the index is first written.
    """
    made_by = local.get_meta(EMBEDDER)
    if made_by is None or made_by == embedder.identity or _legacy_record_of(made_by, embedder):
        return
    raise StoreConfigError(
        f"the index in {data_dir} was built with the embedding model {made_by} and this run "
        f"embeds with {embedder.identity}; vectors of two models cannot be mixed: re-ingest into a new "
        "data directory (QA_DATA_DIR), or set QA_EMBEDDING__MODEL_PATH to the model that built it"
    )


def record_embedder(local: SideIndex, embedder: Embedder) -> None:
    """Record the embedding model in an index being written, if it names none or only its older form."""
    made_by = local.get_meta(EMBEDDER)
    if made_by is None or _legacy_record_of(made_by, embedder):
        local.set_meta(EMBEDDER, embedder.identity)


def _legacy_record_of(made_by: str, embedder: Embedder) -> bool:
    """Whether `made_by` is this model as versions before mixed back ends recorded it: "<folder>/<back end>"."""
    return "/" in made_by and made_by.split("/")[0] == embedder.model_path.name
