"""Hybrid retrieval: dense (Chroma) and keyword (BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np

from index.store import ChunkStore
from qa.types import Passage

Mode = Literal["hybrid", "dense", "keyword"]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank), best first."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridRetriever:
    """Ranks chunks for a question with dense and keyword search."""

    def __init__(self, store: ChunkStore, candidates: int = 30, rrf_k: int = 60, keyword_floor: float = 0.5) -> None:
        """Fuse `candidates` hits from each search, keyword hits scoring at least `keyword_floor` of the best."""
        self.store = store
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.keyword_floor = keyword_floor
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="keyword-search")

    def retrieve(
        self, question: str, k: int, sources: Sequence[str] | None = None, mode: Mode = "hybrid"
    ) -> list[Passage]:
        """The best `k` passages, each scored by its cosine similarity to the question."""
        n = max(self.candidates, k)
        # the keyword side runs while the question is embedded (SQLite, Chroma and torch release the GIL)
        pending = self._pool.submit(self._keyword_search, question, n, sources, 2 * k) if mode != "dense" else None
        vector = self.store.embedder.query_vector(question)
        dense = self.store.dense_search(vector, n, sources) if mode != "keyword" else []
        keyword, keyword_vectors = pending.result() if pending else ([], {})
        rankings = [[i for i, _ in ranking] for ranking in (dense, keyword) if ranking]
        top = [i for i, _ in reciprocal_rank_fusion(rankings, self.rrf_k)[:k]]
        cosines = dict(dense)
        missing = [i for i in top if i not in cosines and i not in keyword_vectors]
        for i, v in [*keyword_vectors.items(), *self.store.vectors(missing).items()]:
            cosines.setdefault(i, float(v @ vector))
        chunks = self.store.local.chunks(top)
        return [
            Passage(chunk=chunks[i], score=cosines.get(i, 0.0), rank=rank)
            for rank, i in enumerate((i for i in top if i in chunks), start=1)
        ]

    def _keyword_search(
        self, question: str, n: int, sources: Sequence[str] | None, prefetch: int
    ) -> tuple[list[tuple[str, float]], dict[str, np.ndarray]]:
        """BM25 hits, weak ones dropped, and the stored vectors of the best `prefetch` (to score them by cosine)."""
        hits = self.store.local.search(question, n, sources)
        if hits:  # weak keyword matches (a common word only) are noise next to a strong one
            hits = [(i, score) for i, score in hits if score >= self.keyword_floor * hits[0][1]]
        return hits, self.store.vectors([i for i, _ in hits[:prefetch]])
