"""Hybrid retrieval: dense (Chroma) and keyword (BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from index.reader import IndexReader, QueryEncoder
from qa.glossary import expansion
from qa.naming import Naming, SourceNames, named_sources, source_names
from qa.request import RetrievalMode
from qa.types import Passage


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank), best first."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridRetriever:
    """Ranks chunks for a question with dense and keyword search."""

    def __init__(
        self,
        store: IndexReader,
        encoder: QueryEncoder,
        candidates: int = 30,
        rrf_k: int = 60,
        keyword_floor: float = 0.5,
        prefer_named: bool = True,
        glossary: bool = True,
    ) -> None:
        """Fuse `candidates` hits from each search, keyword hits scoring at least `keyword_floor` of the best;
        with `prefer_named`, a question that names documents ranks their passages higher (see `qa.naming`);
        with `glossary`, a question that names a financial metric also ranks the statement rows that define
        it (see `qa.glossary`)."""
        self.store = store
        self.encoder = encoder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.keyword_floor = keyword_floor
        self.prefer_named = prefer_named
        self.glossary = glossary
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="keyword-search")
        self._names: tuple[object, SourceNames] = (None, SourceNames(0, {}))

    def named(self, question: str) -> Naming:
        """The indexed sources the question names (none when it names none), and the words naming them."""
        sources = self.store.chunk_counts()
        if len(sources) < 2:
            return Naming()
        if self._names[0] is not sources:  # a new dict whenever the index changes
            self._names = (sources, source_names(sources))

        def outside_share(words: tuple[str, ...], named: Sequence[str]) -> float:
            inside = set(named)
            total = sum(n for s, n in sources.items() if s not in inside)
            found = sum(n for s, n in self.store.phrase_counts(words).items() if s not in inside)
            return found / total if total else 1.0

        return named_sources(question, self._names[1], outside_share)

    def retrieve(
        self,
        question: str,
        k: int,
        sources: Sequence[str] | None = None,
        retrieval: RetrievalMode = "hybrid",
        collections: Collection[str] | None = None,
    ) -> list[Passage]:
        """The best `k` passages, each scored by its cosine similarity to the question.

        When the question names documents (and `sources` does not choose them), both searches run
        twice, over everything and over the named documents alone, and the four rankings are fused:
        the named documents' passages come first without hiding the rest, in case a name was
        read wrong. The keyword searches leave the naming words out (see `Naming.without_names`).
        """
        n = max(self.candidates, k)
        scopes: list[Sequence[str] | None] = [sources]
        query = question
        named = self.named(question) if sources is None and self.prefer_named else Naming()
        if named.sources and collections is not None:  # only the documents this reader may read
            homes = self.store.source_collections()
            named = dataclasses.replace(named, sources=tuple(s for s in named.sources if homes.get(s) in collections))
        if named.sources:
            scopes, query = [None, named.sources], named.without_names(question)
        # the keyword side runs while the question is embedded (SQLite, Chroma and torch release the GIL)
        pending = [
            self._pool.submit(self._keyword_search, query, n, scope, collections, 2 * k)
            if retrieval != "dense"
            else None
            for scope in scopes
        ]
        vector = self.encoder.query_vector(question)
        rankings: list[list[str]] = []
        cosines: dict[str, float] = {}
        keyword_vectors: dict[str, np.ndarray] = {}
        for scope, keyword_search in zip(scopes, pending, strict=True):
            dense = self.store.dense_search(vector, n, scope, collections) if retrieval != "keyword" else []
            keyword, found_vectors = keyword_search.result() if keyword_search else ([], {})
            rankings += [[i for i, _ in ranking] for ranking in (dense, keyword) if ranking]
            cosines.update(dense)
            keyword_vectors.update(found_vectors)
        terms = expansion(question) if self.glossary and retrieval == "hybrid" else ""
        if terms:  # the statements that define the metrics the question names, in the documents it names
            rows, found = self._keyword_search(terms, n, scopes[-1], collections, 2 * k)
            if rows:
                rankings.append([i for i, _ in rows])
                keyword_vectors.update(found)
        top = [i for i, _ in reciprocal_rank_fusion(rankings, self.rrf_k)[:k]]
        missing = [i for i in top if i not in cosines and i not in keyword_vectors]
        for i, v in [*keyword_vectors.items(), *self.store.vectors(missing).items()]:
            cosines.setdefault(i, float(v @ vector))
        chunks = self.store.chunks(top)
        return [
            Passage(chunk=chunks[i], score=cosines.get(i, 0.0), rank=rank)
            for rank, i in enumerate((i for i in top if i in chunks), start=1)
        ]

    def _keyword_search(
        self, question: str, n: int, sources: Sequence[str] | None, collections: Collection[str] | None, prefetch: int
    ) -> tuple[list[tuple[str, float]], dict[str, np.ndarray]]:
        """BM25 hits, weak ones dropped, and the stored vectors of the best `prefetch` (to score them by cosine)."""
        hits = self.store.keyword_search(question, n, sources, collections)
        if hits:  # weak keyword matches (a common word only) are noise next to a strong one
            hits = [(i, score) for i, score in hits if score >= self.keyword_floor * hits[0][1]]
        return hits, self.store.vectors([i for i, _ in hits[:prefetch]])
