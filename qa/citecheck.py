"""Verify a generated answer against the passages it cites, sentence by sentence.

For each sentence: markers that point at no passage are dropped; the sentence is supported when
a sentence of a cited passage is close to it (cosine with the same embedding model) and the cited
passages contain its numbers and most of its names. A sentence with no marker is checked against
every passage and cited to the one that supports it, if any. Each citation carries the passage
sentence that supports the claim best, with its offsets, as in extractive mode.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.embedder import Embedder
from index.reader import IndexReader
from index.sentences import split_sentences
from index.words import STOPWORDS, content_words, split_words, stem_match
from qa.types import MARKER, Citation, Passage

log = logging.getLogger(__name__)
_LEADING_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’-]+")


@dataclass(frozen=True)
class CheckedSentence:
    """A generated sentence, its valid markers, and whether the cited passages support it."""

    text: str
    markers: tuple[int, ...]
    supported: bool
    citations: tuple[Citation, ...] = ()

    def render(self) -> str:
        """The sentence with its markers, as shown in the answer."""
        return self.text + "".join(f" [{m}]" for m in self.markers)


def split_claims(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of a generated answer with the markers each carries (marker-only pieces join the sentence before)."""
    claims: list[tuple[str, list[int]]] = []
    for start, end in split_sentences(answer):
        piece = answer[start:end]
        leading = _LEADING_MARKERS.match(piece)
        if leading and claims:  # "It stalled. [3] Turkey ..." : [3] belongs to the sentence before
            claims[-1][1].extend(int(m) for m in MARKER.findall(leading.group(0)))
            piece = piece[leading.end() :]
        markers = [int(m) for m in MARKER.findall(piece)]
        text = MARKER.sub("", piece).strip()
        if not re.search(r"\w", text) and claims:
            claims[-1][1].extend(markers)
        elif text:
            claims.append((text, markers))
    return [(text.rstrip(), tuple(dict.fromkeys(markers))) for text, markers in claims]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def lexical_support(claim: str, passage_text: str) -> bool:
    """The passage holds every number of the claim and at least half of its names."""
    if not _numbers(claim) <= _numbers(passage_text):
        return False
    names = {n.lower() for n in _NAME.findall(claim, 1) if n.lower() not in STOPWORDS}
    words = set(re.findall(r"[\w'’-]+", passage_text.lower()))
    return not names or len(names & words) * 2 >= len(names)


def word_coverage(claim: str, passage_text: str) -> float:
    """Share of the claim's content words found in the passage, as themselves or by their stem."""
    terms = content_words(claim)
    if not terms:
        return 0.0
    words = set(split_words(passage_text))
    return sum(1 for t in terms if stem_match(t, words)) / len(terms)


class CitationChecker:
    """Checks generated sentences against cited passages with the real embedding model."""

    def __init__(self, embedder: Embedder, store: IndexReader, threshold: float = 0.45) -> None:
        """Compare claims with the stored sentence vectors of the passages.

        A passage sentence supports a claim at cosine >= `threshold`, or at two thirds of it when the
        passage also holds three quarters of the claim's content words (a paraphrase of part of a
        long sentence scores low on cosine alone).
        """
        self.embedder = embedder
        self.store = store
        self.threshold = threshold

    def check(self, answer: str, passages: Sequence[Passage]) -> list[CheckedSentence]:
        """Every sentence of `answer`, checked."""
        by_rank = {p.rank: p for p in passages}
        claims = split_claims(answer)
        vectors = self.embedder.encode([text for text, _ in claims])
        checked = []
        for (text, markers), vector in zip(claims, vectors, strict=True):
            valid = tuple(m for m in markers if m in by_rank)
            if len(valid) < len(markers):
                log.info("dropped markers %s pointing at no passage", sorted(set(markers) - set(valid)))
            cited = [by_rank[m] for m in valid] or list(passages)
            checked.append(self._check_one(text, vector, cited, explicit=bool(valid)))
        return checked

    def _supports(self, text: str, citation: Citation | None, passage: Passage) -> bool:
        if citation is None:
            return False
        close = citation.score >= self.threshold
        paraphrase = citation.score >= self.threshold * 2 / 3 and word_coverage(text, passage.chunk.text) >= 0.75
        return close or paraphrase

    def _check_one(self, text: str, vector: np.ndarray, cited: list[Passage], explicit: bool) -> CheckedSentence:
        support = [(self._best_sentence(p, vector), p) for p in cited]
        lexical = lexical_support(text, " ".join(p.chunk.text for p in cited))
        citations = tuple(c for c, p in support if c is not None and self._supports(text, c, p))
        if not explicit:  # an uncited sentence is cited to the one passage that supports it best
            citations = tuple(sorted(citations, key=lambda c: -c.score)[:1])
            lexical = bool(citations) and lexical_support(
                text, next(p.chunk.text for p in cited if p.rank == citations[0].marker)
            )
        supported = bool(citations) and lexical
        markers = tuple(c.marker for c in citations) if not explicit else tuple(p.rank for p in cited)
        return CheckedSentence(text, markers, supported, citations if supported else ())

    def _best_sentence(self, passage: Passage, vector: np.ndarray) -> Citation | None:
        sentences = self.store.sentences(passage.chunk.id)
        if not sentences:
            return None
        best = max(sentences, key=lambda s: float(s.vector @ vector))
        chunk = passage.chunk
        quote = chunk.text[best.start - chunk.start : best.end - chunk.start]
        return Citation(
            passage.rank, chunk.source, chunk.page, best.start, best.end, quote, float(best.vector @ vector)
        )
