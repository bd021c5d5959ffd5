"""Extractive answers: the sentences of the retrieved passages that answer the question.

Each sentence of each passage is scored by its cosine to the question (vectors
embedded at ingest), the IDF-weighted share of the question's content words it
contains, its passage's cosine, and whether it offers the kind of answer the
question asks for (a number, a date, a name). The best one or few become the answer, each followed by `[n]`; when
even the best is weak, the answer abstains and shows the closest passages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.reader import IndexReader
from index.words import content_words, stem_match
from qa.answer_types import offers_answer_type, question_type
from qa.types import SOURCES_DO_NOT_ANSWER, Answer, Citation, Passage


@dataclass(frozen=True)
class Weights:
    """How sentence features combine into one score."""

    dense: float = 0.5
    lexical: float = 0.5
    passage: float = 0.2
    answer_type: float = 0.08


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    passage: Passage
    start: int
    end: int
    text: str
    vector: np.ndarray
    dense: float
    lexical: float
    score: float

    def citation(self) -> Citation:
        """The citation this sentence makes when used in an answer."""
        chunk = self.passage.chunk
        return Citation(self.passage.rank, chunk.source, chunk.page, self.start, self.end, self.text, self.score)


def lexical_scores(question: str, sentences: Sequence[str]) -> list[float]:
    """IDF-weighted share of the question's content words found in each sentence."""
    terms = content_words(question)  # each word once
    if not terms or not sentences:
        return [0.0] * len(sentences)
    word_sets = [set(re.findall(r"\w+", s.lower())) for s in sentences]
    hits = [[stem_match(t, words) for t in terms] for words in word_sets]
    n = len(sentences)
    weights = [math.log(1 + n / (1 + sum(row[j] for row in hits))) for j in range(len(terms))]
    total = sum(weights)
    return [sum(w for w, hit in zip(weights, row, strict=True) if hit) / total for row in hits]


def support(ranked: Sequence[Candidate]) -> float:
    """Evidence that the passages answer the question: the best sentence's score plus the largest
    share of the question's content words that any one sentence covers (0 with no sentences)."""
    if not ranked:
        return 0.0
    return ranked[0].score + max(c.lexical for c in ranked)


class ExtractiveAnswerer:
    """Composes short cited answers from passage sentences, or abstains."""

    def __init__(
        self,
        store: IndexReader,
        max_sentences: int = 3,
        max_words: int = 60,
        margin: float = 0.18,
        abstain_below: float = 0.70,
        weights: Weights = Weights(),
    ) -> None:
        """Read sentence vectors from `store`; thresholds come from settings."""
        self.store = store
        self.max_sentences = max_sentences
        self.max_words = max_words
        self.margin = margin
        self.abstain_below = abstain_below
        self.weights = weights

    def candidates(self, question: str, query: np.ndarray, passages: Sequence[Passage]) -> list[Candidate]:
        """Every distinct sentence of the passages, best first."""
        seen: set[tuple[str, int]] = set()
        raw = []
        for passage in passages:
            chunk = passage.chunk
            for sentence in self.store.sentences(chunk.id):
                key = (chunk.source, sentence.start)
                if key not in seen:
                    seen.add(key)
                    text = chunk.text[sentence.start - chunk.start : sentence.end - chunk.start]
                    raw.append((passage, sentence, text))
        lexical = lexical_scores(question, [text for _, _, text in raw])
        wanted = question_type(question)
        w = self.weights
        scored = []
        for (passage, sentence, text), lex in zip(raw, lexical, strict=True):
            dense = float(sentence.vector @ query)
            typed = offers_answer_type(wanted, text, question)
            score = w.dense * dense + w.lexical * lex + w.passage * passage.score + w.answer_type * typed
            scored.append(Candidate(passage, sentence.start, sentence.end, text, sentence.vector, dense, lex, score))
        return sorted(scored, key=lambda c: -c.score)

    def answer(self, question: str, query: np.ndarray, passages: Sequence[Passage]) -> Answer:
        """Answer from the passages, or abstain when the best sentence is weak."""
        ranked = self.candidates(question, query, passages)
        if support(ranked) < self.abstain_below:
            return Answer(question, SOURCES_DO_NOT_ANSWER, passages=tuple(passages), abstained=True)
        chosen = self.select(ranked)
        text = " ".join(f"{c.text} [{c.passage.rank}]" for c in chosen)
        return Answer(question, text, tuple(c.citation() for c in chosen), tuple(passages))

    def select(self, ranked: Sequence[Candidate]) -> list[Candidate]:
        """The best sentence, plus runners-up within `margin` of it that add something and fit the word budget.

        A close runner-up is often the sentence that holds the answer when the best one
        only restates the question, so it is worth its words.
        """
        best = ranked[0]
        chosen = [best]
        words = len(best.text.split())
        for candidate in ranked[1:]:
            if len(chosen) >= self.max_sentences or candidate.score < best.score - self.margin:
                break
            size = len(candidate.text.split())
            redundant = any(float(candidate.vector @ c.vector) > 0.9 for c in chosen)
            if not redundant and words + size <= self.max_words:
                chosen.append(candidate)
                words += size
        return chosen
