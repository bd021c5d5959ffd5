"""What a question produces: passages, citations and the answer. Pure data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from index.types import Chunk
from qa.injection import addresses_assistant

MARKER = re.compile(r"\s*\[(\d+)\]")  # a citation marker "[n]", with the space before it
SOURCES_DO_NOT_ANSWER = "The sources do not answer this question."  # an abstention's answer text
SOURCES_MAY_NOT_ANSWER = "The sources may not answer this question."  # an unsure reply's text
AnswerKind = Literal["answered", "unsure", "not_in_sources"]
ANSWER_KINDS: tuple[AnswerKind, ...] = get_args(AnswerKind)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as shown for one question."""

    chunk: Chunk
    score: float  # cosine similarity to the question, higher is better
    rank: int  # 1-based: the n an answer cites as [n]

    @property
    def addresses_assistant(self) -> bool:
        """Whether the passage holds text that tries to steer an assistant (shown flagged, never followed)."""
        return addresses_assistant(self.chunk.text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        c = self.chunk
        return {
            "rank": self.rank,
            "source": c.source,
            "title": c.title,
            "page": c.page,
            "start": c.start,
            "end": c.end,
            "text": c.text,
            "score": round(self.score, 4),
            "addresses_assistant": self.addresses_assistant,
        }


@dataclass(frozen=True)
class Citation:
    """A quoted sentence backing a claim; offsets are into the source's loaded text."""

    marker: int  # the [n] in the answer text, equal to the cited passage's rank
    source: str
    page: int | None
    start: int
    end: int
    quote: str
    score: float
    span: tuple[int, int] | None = None  # the words that answer the question: offsets into the document, in the quote

    def __post_init__(self) -> None:
        if self.span is not None and not (self.start <= self.span[0] < self.span[1] <= self.end):
            raise ValueError(f"answer span {self.span} is not inside the quote {self.start}-{self.end}")

    @property
    def span_text(self) -> str:
        """The words that answer the question ("" without a span)."""
        if self.span is None:
            return ""
        return self.quote[self.span[0] - self.start : self.span[1] - self.start]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`id` is the marker number; `answer_span` document offsets, or None)."""
        return {
            "id": self.marker,
            "source": self.source,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "score": round(self.score, 4),
            "answer_span": list(self.span) if self.span else None,
            "answer_text": self.span_text or None,
        }


@dataclass(frozen=True)
class Answer:
    """A short answer whose every sentence carries a `[n]` citation, or an abstention.

    `kind` is one of three replies: "answered" (confident, with citations), "unsure" (the sources may not
    answer: the closest passages, no claim) or "not_in_sources". Both of the last two are `abstained`.
    `confidence` is the calibrated probability that the answer is right (None where nothing measured it).
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = field(default=(), repr=False)
    abstained: bool = False
    mode: str = "extractive"  # "extractive", "llm", or "extractive-fallback" when the LLM failed
    unsupported: tuple[str, ...] = ()  # generated sentences no cited passage supports (LLM mode)
    notice: str = ""  # why the answer fell back, for the user
    kind: AnswerKind = "answered"
    confidence: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"kind: must be one of {', '.join(ANSWER_KINDS)}, not {self.kind!r}")
        if self.abstained and self.kind == "answered":
            object.__setattr__(self, "kind", "not_in_sources")
        elif self.kind != "answered":
            object.__setattr__(self, "abstained", True)

    @property
    def answer_span(self) -> Citation | None:
        """The first citation that marks the words answering the question."""
        return next((c for c in self.citations if c.span is not None), None)

    @property
    def plain_text(self) -> str:
        """The answer without its `[n]` markers."""
        return MARKER.sub("", self.text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as printed by `qa ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "kind": self.kind,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "abstained": self.abstained,
            "answer_span": _span_dict(self.answer_span),
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "unsupported": list(self.unsupported),
            "notice": self.notice,
        }


def _span_dict(citation: Citation | None) -> dict[str, Any] | None:
    """Where the answering words are: the cited source, document offsets and the words."""
    if citation is None or citation.span is None:
        return None
    return {"id": citation.marker, "source": citation.source, "start": citation.span[0], "end": citation.span[1],
            "text": citation.span_text}
