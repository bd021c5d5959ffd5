"""A question and how to answer it, checked once at the edge: every front-end's arguments pass through here.

The limits and the lists of modes are defined here and nowhere else; settings, the CLI and the UI
read them from this module.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict, get_args

from access.permissions import ADMIN, User
from qa.errors import IngestError, QAError, SourceNotFoundError

MAX_QUESTION_CHARS = 2000
MAX_K = 50  # passages per question at most
RetrievalMode = Literal["hybrid", "dense", "keyword"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = get_args(RetrievalMode)
AnswerMode = Literal["extractive", "llm"]
ANSWER_MODES: tuple[AnswerMode, ...] = get_args(AnswerMode)


class AskOptions(TypedDict, total=False):
    """How to answer a question: the keyword arguments of `QA.ask` (see `Request`)."""

    k: int | None
    sources: Sequence[str] | None
    retrieval: RetrievalMode
    history: Sequence[str]
    mode: AnswerMode | None
    user: User


@dataclass(frozen=True)
class Request:
    """One checked question: build it with `Request.checked`.

    Attributes:
        question: the question, stripped.
        k: passages to retrieve.
        sources: the sources to search, or None for all.
        retrieval: how passages are found.
        history: earlier questions of the conversation, oldest first.
        mode: how the answer is written, or None for the engine's default.
        user: who asks (`access.permissions`): only collections this user may read are searched.
        collections: those collections by name, or None for all (set by the engine from `user`).
    """

    question: str
    k: int
    sources: tuple[str, ...] | None = None
    retrieval: RetrievalMode = "hybrid"
    history: tuple[str, ...] = ()
    mode: AnswerMode | None = None
    user: User = ADMIN
    collections: frozenset[str] | None = None

    @classmethod
    def checked(
        cls,
        question: object,
        default_k: int,
        k: object = None,
        sources: object = None,
        retrieval: object = "hybrid",
        history: object = (),
        mode: object = None,
        user: object = ADMIN,
    ) -> Request:
        """A request from untrusted arguments.

        Raises:
            QAError: naming the first argument that is wrong, and why.
        """
        _check_choice("retrieval", retrieval, RETRIEVAL_MODES)
        if mode is not None:
            _check_choice("mode", mode, ANSWER_MODES)
        return cls(
            question=check_question(question),
            k=default_k if k is None else check_k(k),
            sources=_check_sources(sources),
            retrieval=retrieval,  # type: ignore[arg-type]  # checked above
            history=_check_history(history),
            mode=mode,  # type: ignore[arg-type]  # checked above
            user=_check_user(user),
        )

    def require_known(self, indexed: Collection[str]) -> None:
        """Raise `SourceNotFoundError` if a requested source is not in `indexed`."""
        unknown = sorted(set(self.sources or ()) - set(indexed))
        if unknown:
            raise SourceNotFoundError(f"sources: not indexed: {', '.join(unknown)}; `qa sources` lists what is")


def check_paths(paths: Sequence[str | Path]) -> list[Path]:
    """The paths to ingest; `IngestError` naming the first that does not exist."""
    targets = [Path(p) for p in paths]
    for target in targets:
        if not target.exists():
            raise IngestError(f"{target}: no such file or folder")
    return targets


def check_question(question: object) -> str:
    """The question, stripped; `QAError` if it is empty, not text or too long."""
    if not isinstance(question, str) or not question.strip():
        raise QAError("question: must be a non-empty string")
    if len(question) > MAX_QUESTION_CHARS:
        raise QAError(f"question: {len(question)} characters, at most {MAX_QUESTION_CHARS} are allowed")
    return question.strip()


def check_k(k: object) -> int:
    """`k` if it is a whole number from 1 to `MAX_K`, else `QAError`."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise QAError(f"k: must be a whole number from 1 to {MAX_K}, got {k!r}")
    return k


def _check_sources(sources: object) -> tuple[str, ...] | None:
    if sources is None:
        return None
    if isinstance(sources, str) or not isinstance(sources, Collection) or not all(isinstance(s, str) for s in sources):
        raise QAError(f"sources: must be a list of source names, got {sources!r}")
    return tuple(sources) or None


def _check_user(user: object) -> User:
    if not isinstance(user, User):
        raise QAError(f"user: must be a access.permissions.User, got {type(user).__name__}")
    return user


def _check_choice(field: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise QAError(f"{field}: must be one of {', '.join(allowed)}, got {value!r}")


def _check_history(history: object) -> tuple[str, ...]:
    if isinstance(history, str) or not isinstance(history, Sequence) or not all(isinstance(t, str) for t in history):
        raise QAError("history: must be a list of earlier questions (strings)")
    return tuple(history)
