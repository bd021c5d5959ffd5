"""The answer reader: whether a sentence answers a question, and which of its words do.

`Reader` is the role the extractive answerer depends on; `AnswerabilityReader` fills it with the
project's own model (a MiniLM cross-encoder trained from the shipped embedding weights; see
docs/answerability-model.md), loaded from `qa/models/answerability/` on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Judgement:
    """The reader's view of one sentence."""

    probability: float  # calibrated: that the sentence answers the question
    span: tuple[int, int] | None  # the answering words, as offsets into the sentence


class Reader(Protocol):
    """Judges candidate sentences against a question."""

    def judge(self, question: str, sentences: Sequence[str], contexts: Sequence[str]) -> list[Judgement]:
        """One judgement per sentence; `contexts[i]` is the sentence before `sentences[i]` ("" for none)."""
        ...
