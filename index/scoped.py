"""Dense search within some collections, exact, without paying for Chroma's metadata filter on every question.

A `where` filter makes Chroma compute the matching ids from its metadata table before each search:
measured at 12,000 chunks in 20 collections, 36 ms for a reader of 19 collections and 8 ms for a reader
of one, against 0.8 ms unfiltered. So the filter is applied in one of three exact ways, by the share of
the index the reader may read:

- a large share: ask Chroma for more neighbours than needed, unfiltered, and keep the readable ones. If
  at least `n` remain, they are the `n` nearest readable chunks (every readable chunk outside that wider
  set is farther than all of them); if not, the next way is taken.
- a small share (at most `EXACT_LIMIT` chunks): score every readable chunk against the question, from
  the collections' vectors cached in memory until the index changes.
- otherwise: Chroma's own `where` filter.

None of them looks at the top `n` of everything and drops what the reader may not see.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from index.chroma import ChromaCollection, Hit, nearest, vectors_where
from index.local import SideIndex

OVERFETCH = 2.0  # neighbours asked for, per wanted hit and per unit of readable share
MIN_SHARE = 0.25  # below this readable share, over-fetching would ask for too many neighbours
MAX_NEIGHBOURS = 600
EXACT_LIMIT = 50_000  # chunks whose vectors may be held in memory for exact scoring


class ScopedDenseSearch:
    """Nearest chunks to a question among the chunks of some collections."""

    def __init__(self, collection: ChromaCollection, local: SideIndex) -> None:
        """Search `collection` (Chroma), learning chunk counts and collections from `local`."""
        self.collection = collection
        self.local = local
        self._vectors: dict[str, tuple[object, list[str], np.ndarray]] = {}  # collection -> (version, ids, matrix)

    def search(self, vector: np.ndarray, n: int, collections: Collection[str]) -> list[Hit]:
        """The `n` chunks of `collections` nearest to `vector`: (id, cosine similarity), best first."""
        sizes = self.local.collection_sizes()
        total = sum(sizes.values())
        readable = sum(sizes.get(name, 0) for name in collections)
        if not readable:
            return []
        if readable == total:
            return self.unfiltered(vector, n)
        share = readable / total
        wanted = min(total, math.ceil(OVERFETCH * n / share))
        if share >= MIN_SHARE and wanted <= MAX_NEIGHBOURS:
            hits = self.unfiltered(vector, wanted)
            homes = self.local.chunk_collections([i for i, _ in hits])
            kept = [(i, score) for i, score in hits if homes.get(i) in collections]
            if len(kept) >= min(n, readable):
                return kept[:n]
        if readable <= EXACT_LIMIT:
            return self._exact(vector, n, [name for name in collections if sizes.get(name)])
        return self.filtered(vector, n, {"collection": {"$in": sorted(collections)}})

    def unfiltered(self, vector: np.ndarray, n: int) -> list[Hit]:
        """The `n` nearest chunks of the whole index."""
        return self.filtered(vector, n, None)

    def filtered(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[Hit]:
        """The `n` nearest chunks that pass Chroma's `where` filter (ids and distances only)."""
        return nearest(self.collection, vector, n, where)

    def _exact(self, vector: np.ndarray, n: int, collections: Sequence[str]) -> list[Hit]:
        ids: list[str] = []
        scores: list[np.ndarray] = []
        for name in collections:
            names, matrix = self._matrix(name, vector.shape[0])
            ids += names
            scores.append(matrix @ vector.astype(np.float32))
        if not ids:
            return []
        similarity = np.concatenate(scores)
        best = np.argsort(-similarity, kind="stable")[:n]
        return [(ids[i], float(similarity[i])) for i in best]

    def _matrix(self, name: str, dimensions: int) -> tuple[list[str], np.ndarray]:
        """A collection's chunk ids and unit vectors, read from Chroma once per version of the index."""
        version = self.local.version()
        cached = self._vectors.get(name)
        if cached is None or cached[0] != version:
            if sum(len(ids) for _, ids, _ in self._vectors.values()) > EXACT_LIMIT:
                self._vectors.clear()  # bounded memory: many small collections read in turn
            ids, embeddings = vectors_where(self.collection, {"collection": name})
            matrix = np.asarray(embeddings, dtype=np.float32)
            matrix = matrix.reshape(-1, dimensions)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            cached = (version, ids, matrix / np.where(norms == 0, 1, norms))
            self._vectors[name] = cached
        return cached[1], cached[2]
