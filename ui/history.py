"""A conversation as plain data: one turn per question, kept as JSON (in the browser) and read back.

A turn is `{"question": str, "answer": Answer.to_dict() | None, "error": str, "signature": str}`.
Turns come back from the browser's storage, which the browser can change, so reading them checks
their shape and drops what does not fit; nothing in them is trusted to name a file (the viewer looks
sources up in the index, for the session's user) and feedback is recorded only for an answer whose
signature shows this server gave it to this user (`ui.session.Sessions.sign`).
"""

from __future__ import annotations

from typing import Any

from index.types import Chunk
from qa.types import ANSWER_KINDS, Answer, Citation, Passage

MAX_TURNS = 50  # kept per browser; older turns are dropped
Turn = dict[str, Any]


def make_turn(question: str, answer: Answer | None = None, error: str = "", signature: str = "") -> Turn:
    """A turn as stored."""
    return {
        "question": question,
        "answer": answer.to_dict() if answer else None,
        "error": error,
        "signature": signature,
    }


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """The `Answer` of `Answer.to_dict()` (passage chunks without their page-heading context)."""
    passages = tuple(
        Passage(
            Chunk(p["source"], p.get("title") or "", p["text"], int(p["start"]), int(p["end"]), p.get("page")),
            float(p.get("score", 0.0)),
            int(p["rank"]),
        )
        for p in data.get("passages", [])
    )
    citations = tuple(
        Citation(
            int(c["id"]),
            c["source"],
            c.get("page"),
            int(c["start"]),
            int(c["end"]),
            c["quote"],
            float(c.get("score", 0.0)),
            _span(c.get("answer_span"), int(c["start"]), int(c["end"])),
        )
        for c in data.get("citations", [])
    )
    return Answer(
        question=data["question"],
        text=data["answer"],
        citations=citations,
        passages=passages,
        abstained=bool(data.get("abstained", False)),
        mode=data.get("mode", "extractive"),
        unsupported=tuple(data.get("unsupported", ())),
        notice=data.get("notice", ""),
        kind=next((k for k in ANSWER_KINDS if k == data.get("kind")), "answered"),
        confidence=float(data["confidence"]) if isinstance(data.get("confidence"), int | float) else None,
    )


def _span(value: object, start: int, end: int) -> tuple[int, int] | None:
    """A stored answer span, kept only when it lies inside its quote."""
    fits = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
    return (value[0], value[1]) if fits and start <= value[0] < value[1] <= end else None  # type: ignore[index]


def turn_answer(turn: Turn) -> Answer | None:
    """The turn's answer, or None for a turn that ended in an error."""
    data = turn.get("answer")
    return answer_from_dict(data) if isinstance(data, dict) else None


def read_turns(saved: Any, user: str | None) -> list[Turn]:
    """The turns stored for `user` (None: login is off), keeping only well-formed ones."""
    if not isinstance(saved, dict) or saved.get("user") != user or not isinstance(saved.get("turns"), list):
        return []
    turns = []
    for turn in saved["turns"][-MAX_TURNS:]:
        try:
            turn_answer(turn)
            question = turn["question"]
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
        if isinstance(question, str):
            error, signature = str(turn.get("error") or ""), str(turn.get("signature") or "")
            turns.append(make_turn(question, turn_answer(turn), error, signature))
    return turns


def saved(turns: list[Turn], user: str | None) -> dict[str, Any]:
    """What the browser stores: the user it belongs to and their last `MAX_TURNS` turns."""
    return {"user": user, "turns": turns[-MAX_TURNS:]}
