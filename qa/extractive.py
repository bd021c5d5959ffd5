"""Extractive answers: the sentences of the retrieved passages that answer the question.

Each sentence of each passage is scored by its cosine to the question (vectors
embedded at ingest), the IDF-weighted share of the question's content words it
contains, its passage's cosine, and whether it offers the kind of answer the
question asks for (a number, a date, a name). A sentence that says the opposite of
what is asked ("closes" for "open") is set aside.

With the answer reader (`qa.reader`, a model of our own), the best-scored sentences
are read with the question: the reader's calibrated probability that a sentence
answers it decides the reply (answered, unsure, or not in the sources) and marks
the words that answer. A second sentence joins only when the reader says it answers
the same question too. Without the reader, the best one or few sentences become the
answer when their support clears a threshold, else the answer abstains.
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
from qa.confidence import Calibration, Evidence
from qa.opposites import asks_the_opposite
from qa.reader import Judgement, Reader
from qa.types import SOURCES_DO_NOT_ANSWER, SOURCES_MAY_NOT_ANSWER, Answer, Citation, Passage


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
    context: str = ""  # the sentence before it in its passage, which the reader sees too

    def citation(self, span: tuple[int, int] | None = None, score: float | None = None) -> Citation:
        """The citation this sentence makes when used in an answer (`span`: answering words, sentence offsets)."""
        chunk = self.passage.chunk
        marked = None if span is None or span[0] >= span[1] else (self.start + span[0], self.start + span[1])
        shown = self.score if score is None else score
        return Citation(self.passage.rank, chunk.source, chunk.page, self.start, self.end, self.text, shown, marked)


@dataclass(frozen=True)
class ReaderPolicy:
    """How the reader's judgements become a reply."""

    candidates: int = 8  # best-scored sentences the reader reads
    answer_above: float = 0.5  # confidence of an answer
    unsure_above: float = 0.2  # below `answer_above` and at least this: unsure; below: not in the sources
    calibration: Calibration | None = None  # judgements and evidence -> confidence (else the best probability)
    second_above: float = 0.5  # reader probability a further sentence needs: more likely than not, it answers too


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
        reader: Reader | None = None,
        policy: ReaderPolicy = ReaderPolicy(),
    ) -> None:
        """Read sentence vectors from `store`; thresholds come from settings; `reader` judges the best sentences."""
        self.store = store
        self.max_sentences = max_sentences
        self.max_words = max_words
        self.margin = margin
        self.abstain_below = abstain_below
        self.weights = weights
        self.reader = reader
        self.policy = policy

    def candidates(self, question: str, query: np.ndarray, passages: Sequence[Passage]) -> list[Candidate]:
        """Every distinct sentence of the passages, best first."""
        seen: set[tuple[str, int]] = set()
        raw = []
        for passage in passages:
            chunk = passage.chunk
            before = ""
            for sentence in self.store.sentences(chunk.id):
                key = (chunk.source, sentence.start)
                text = chunk.text[sentence.start - chunk.start : sentence.end - chunk.start]
                if key not in seen:
                    seen.add(key)
                    raw.append((passage, sentence, text, before))
                before = text
        lexical = lexical_scores(question, [text for _, _, text, _ in raw])
        wanted = question_type(question)
        w = self.weights
        scored = []
        for (passage, sentence, text, before), lex in zip(raw, lexical, strict=True):
            dense = float(sentence.vector @ query)
            typed = offers_answer_type(wanted, text, question)
            score = w.dense * dense + w.lexical * lex + w.passage * passage.score + w.answer_type * typed
            scored.append(
                Candidate(passage, sentence.start, sentence.end, text, sentence.vector, dense, lex, score, before)
            )
        kept = [c for c in scored if not asks_the_opposite(question, c.text)]
        return sorted(kept, key=lambda c: -c.score)

    def answer(self, question: str, query: np.ndarray, passages: Sequence[Passage]) -> Answer:
        """Answer from the passages: with the reader, by its confidence; else abstain when the best sentence is weak."""
        ranked = self.candidates(question, query, passages)
        if self.reader is not None:
            return self.read(question, ranked, passages)
        if support(ranked) < self.abstain_below:
            return Answer(question, SOURCES_DO_NOT_ANSWER, passages=tuple(passages), abstained=True)
        chosen = self.select(ranked)
        text = " ".join(f"{_one_line(c.text)} [{c.passage.rank}]" for c in chosen)
        return Answer(question, text, tuple(c.citation() for c in chosen), tuple(passages))

    def read(self, question: str, ranked: Sequence[Candidate], passages: Sequence[Passage]) -> Answer:
        """The reply the reader's judgement of the best sentences gives: answered, unsure or not in the sources."""
        policy = self.policy
        pairs, evidence = self.weigh(question, ranked)
        if policy.calibration is not None:
            confidence = policy.calibration.confidence(evidence)
        else:
            confidence = pairs[0][1].probability if pairs else 0.0
        if confidence < policy.answer_above or not pairs:
            closest = _closest_first(passages, [c for c, _ in pairs])
            if confidence >= policy.unsure_above:
                return Answer(question, SOURCES_MAY_NOT_ANSWER, (), closest, kind="unsure", confidence=confidence)
            return Answer(question, SOURCES_DO_NOT_ANSWER, (), closest, kind="not_in_sources", confidence=confidence)
        chosen = self.compose(pairs)
        text = " ".join(f"{_one_line(c.text)} [{c.passage.rank}]" for c, _ in chosen)
        citations = tuple(c.citation(j.span, j.probability) for c, j in chosen)
        return Answer(question, text, citations, tuple(passages), confidence=confidence)

    def weigh(
        self, question: str, ranked: Sequence[Candidate]
    ) -> tuple[list[tuple[Candidate, Judgement]], Evidence]:
        """The reader's judgements of the best-scored sentences (most probable first), and the evidence the
        confidence is computed from."""
        assert self.reader is not None
        top = list(ranked[: self.policy.candidates])
        judged = self.reader.judge(question, [c.text for c in top], [c.context for c in top])
        pairs = sorted(zip(top, judged, strict=True), key=lambda pair: -pair[1].probability)
        best = pairs[0][0] if pairs else None
        evidence = Evidence(
            question,
            [j.probability for _, j in pairs],
            best.dense if best else 0.0,
            best.lexical if best else 0.0,
            max((c.lexical for c in ranked), default=0.0),
            support(ranked),
            bool(best and offers_answer_type(question_type(question), best.text, question)),
            [c.text for c in ranked],
        )
        return pairs, evidence

    def compose(self, judged: Sequence[tuple[Candidate, Judgement]]) -> list[tuple[Candidate, Judgement]]:
        """The best sentence, and others only when the reader says they answer the question too (within the
        sentence and word budgets, not repeating one already chosen)."""
        chosen = [judged[0]]
        words = len(judged[0][0].text.split())
        for candidate, judgement in judged[1:]:
            if len(chosen) >= self.max_sentences or judgement.probability < self.policy.second_above:
                break
            size = len(candidate.text.split())
            redundant = any(float(candidate.vector @ c.vector) > 0.9 for c, _ in chosen)
            if not redundant and words + size <= self.max_words:
                chosen.append((candidate, judgement))
                words += size
        return chosen

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


def _closest_first(passages: Sequence[Passage], judged: Sequence[Candidate]) -> tuple[Passage, ...]:
    """The passages, those holding the sentences the reader found closest first (ranks kept)."""
    order = list(dict.fromkeys(c.passage.rank for c in judged))
    by_rank = {p.rank: p for p in passages}
    first = [by_rank[r] for r in order if r in by_rank]
    return tuple(first + [p for p in passages if p.rank not in order])


def _one_line(text: str) -> str:
    """A quoted sentence as the answer shows it: a line break of a wrapped paragraph is a space (the citation
    keeps the exact quote)."""
    return " ".join(text.split())
