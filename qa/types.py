"""What a question produces: passages, citations and the answer. Pure data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from index.types import Chunk
from qa.injection import addresses_assistant

MARKER = re.compile(r"\s*\[(\d+)\]")  # a citation marker "[n]", with the space before it
SOURCES_DO_NOT_ANSWER = "The sources do not answer this question."  # an abstention's answer text


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`id` is the marker number)."""
        return {
            "id": self.marker,
            "source": self.source,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    """A short answer whose every sentence carries a `[n]` citation, or an abstention."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = field(default=(), repr=False)
    abstained: bool = False
    mode: str = "extractive"  # "extractive", "llm", or "extractive-fallback" when the LLM failed
    unsupported: tuple[str, ...] = ()  # generated sentences no cited passage supports (LLM mode)
    notice: str = ""  # why the answer fell back, for the user

    @property
    def plain_text(self) -> str:
        """The answer without its `[n]` markers."""
        return MARKER.sub("", self.text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as printed by `qa ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "unsupported": list(self.unsupported),
            "notice": self.notice,
        }
