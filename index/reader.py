"""What retrieval and answering need from the index, and from the embedding model, as interfaces.

`qa/` depends on these two protocols only: `index.store.ChunkStore` (Chroma plus SQLite) and
`index.embedder.Embedder` implement them today, and another store needs only to implement
`IndexReader` (and be written through LangChain's `VectorStore` interface, see `index.sync`).
Every method reads: none of them changes the index.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

import numpy as np

from index.local import SentenceVector
from index.types import Chunk

Hit = tuple[str, float]  # a chunk id and its score, higher is better
Scope = Collection[str] | None  # the collections a search may return chunks of (None: all)


class QueryEncoder(Protocol):
    """Turns a question into the unit vector that dense search and sentence scoring compare with."""

    def query_vector(self, text: str) -> np.ndarray:
        """The question's unit vector."""
        ...


class IndexReader(Protocol):
    """Searches, chunks and stored vectors of one index.

    `sources` and `collections`, where taken, restrict a search to those sources and collections
    (None: no restriction), inside the search, never by filtering its top hits afterwards: that is
    how a user's question is kept to the collections the user may read.
    """

    def dense_search(
        self, vector: np.ndarray, n: int, sources: Sequence[str] | None = None, collections: Scope = None
    ) -> list[Hit]:
        """The `n` chunks nearest to a unit vector: (id, cosine similarity), best first."""
        ...

    def keyword_search(
        self, question: str, n: int, sources: Sequence[str] | None = None, collections: Scope = None
    ) -> list[Hit]:
        """The `n` best keyword (BM25) matches of a question: (id, score), best first."""
        ...

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id; unknown ids are left out."""
        ...

    def sentences(self, chunk_id: str) -> list[SentenceVector]:
        """A chunk's sentences with their stored unit vectors, in text order."""
        ...

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored chunk vectors by id."""
        ...

    def chunk_counts(self, collections: Collection[str] | None = None) -> dict[str, int]:
        """Each indexed source of `collections` (None: all) with its number of chunks, in source order."""
        ...

    def source_collections(self) -> dict[str, str]:
        """Each indexed source's collection."""
        ...

    def phrase_counts(self, words: Sequence[str]) -> dict[str, int]:
        """Chunks per source holding `words` in a row, as the keyword index reads them."""
        ...

    def ids_of(self, source: str) -> list[str]:
        """The chunk ids of one source."""
        ...

    def is_empty(self) -> bool:
        """Whether no chunk is indexed."""
        ...
