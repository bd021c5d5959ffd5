"""The chat's event handlers: answer, render the conversation, feedback, new chat, restore after a reload.

The conversation is a list of turns (`ui.history`): the chat, the sources panel and the feedback
all follow from it, so clearing it clears them all, and each answer keeps its own passages.
It is kept in the browser (`gr.BrowserState`), per user when login is on. Every question is answered
as the session's user (`ui.session`), from the collections they may read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from access.feedback import feedback_log
from access.permissions import User
from qa.errors import QAError
from qa.service import QA
from qa.types import Answer
from ui.document_info import display_title
from ui.history import Turn, make_turn, read_turns, saved, turn_answer
from ui.render import (
    EMPTY_SOURCES,
    FINAL,
    answer_html,
    answer_pieces,
    copy_html,
    error_html,
    escape_text,
    question_html,
    sources_html,
)
from ui.session import Sessions

Message = dict[str, Any]
NOT_RECORDED = "Your vote was not recorded: "
log = logging.getLogger(__name__)
EMPTY_VIEWER = '<div class="qa-viewer-empty">Click a marker like [1] to see the passage in its document.</div>'


class ChatHandlers:
    """The chat's event handlers, bound to one engine."""

    def __init__(self, qa: QA, sessions: Sessions | None = None) -> None:
        """Answer with `qa` for the users of `sessions` (default: login off); votes go to the feedback log
        (`feedback.jsonl`, or the shared database's table)."""
        self.qa = qa
        self.sessions = sessions or Sessions(None, qa.settings)
        self.feedback = feedback_log(qa.settings)

    def titles(self, answers: Sequence[Answer], user: User | None) -> dict[str, str]:
        """A title to show for each source the answers draw on (None: no user, the passages' own titles)."""
        titles = {}
        for answer in answers:
            for passage in answer.passages:
                source = passage.chunk.source
                if source not in titles:
                    own = passage.chunk.title
                    titles[source] = display_title(self.qa, source, own, user) if user else own or source
        return titles

    def render(self, turns: list[Turn], user: User | None, panel: bool = True) -> tuple[list[Message], str]:
        """The chat messages and (unless `panel` is False) the sources panel of a conversation."""
        answers = [turn_answer(turn) for turn in turns]
        titles = self.titles([a for a in answers if a is not None], user)
        messages: list[Message] = []
        for n, (turn, answer) in enumerate(zip(turns, answers, strict=True)):
            messages += self._pair(turn["question"], answer, turn["error"], n, titles)
        shown = sources_html([(n, a) for n, a in enumerate(answers) if a is not None], titles) if panel else ""
        return messages, shown

    @staticmethod
    def _pair(question: str, answer: Answer | None, error: str, turn: int, titles: dict[str, str]) -> list[Message]:
        body = answer_html(answer, turn) + copy_html(answer, titles) if answer else error_html(error)
        return [{"role": "user", "content": question_html(question)}, {"role": "assistant", "content": body + FINAL}]

    def respond(
        self, message: str, turns: list[Turn], k: float, mode: str, scope: list[str] | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """Answer `message`, streaming it as it is written; the sources panel follows."""
        if not message.strip():
            return
        try:
            user: User | None = self.sessions.user(request)
        except QAError as err:
            user, refused = None, str(err)
        asked = [t["question"] for t in turns]
        earlier, _ = self.render(turns, user, panel=False)
        if user is None:
            yield self._finish(earlier, turns, make_turn(message, error=refused), request, None)
            return
        history = [*earlier, {"role": "user", "content": question_html(message)}]
        written, answer = "", None
        try:
            stream = self.qa.ask_stream(
                message,
                k=int(k),
                sources=scope or None,
                history=asked,
                mode=mode,  # type: ignore[arg-type]
                user=user,
            )
            for item in stream:
                if isinstance(item, str):
                    written += item
                    reply = {"role": "assistant", "content": escape_text(written)}
                    yield [*history, reply], gr.skip(), "", gr.skip(), gr.skip()
                else:
                    answer = item
        except QAError as err:
            yield self._finish(earlier, turns, make_turn(message, error=str(err)), request, user)
            return
        if answer is None:  # pragma: no cover - ask_stream always ends with an Answer
            return
        if not written:
            for piece in answer_pieces(answer, len(turns))[:-1]:
                yield [*history, {"role": "assistant", "content": piece}], gr.skip(), "", gr.skip(), gr.skip()
        turn = make_turn(message, answer, signature=self.sessions.sign(answer, user))
        yield self._finish(earlier, turns, turn, request, user)

    def _finish(
        self, earlier: list[Message], turns: list[Turn], turn: Turn, request: gr.Request, user: User | None
    ) -> tuple[Any, ...]:
        """The outputs once a question is answered: earlier messages are kept, only the new turn is rendered."""
        turns = [*turns, turn]
        answers = [(n, a) for n, a in enumerate(map(turn_answer, turns)) if a is not None]
        titles = self.titles([a for _, a in answers], user)
        messages = earlier + self._pair(turn["question"], turn_answer(turn), turn["error"], len(turns) - 1, titles)
        return messages, turns, "", sources_html(answers, titles), saved(turns, _user(request))

    def like(self, turns: list[Turn], data: gr.LikeData, request: gr.Request) -> None:
        """Append a thumbs up or down, with the question, answer and citations, to the feedback log.

        Only for an answer this server gave to this user (its signature, under the data directory's key,
        says so, also after a restart): a turn the browser made up, or kept from another user, records
        nothing. A vote that is not recorded says so and why (a warning beside the chat), never silently.
        """
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = int(index) // 2  # the chat is always question, answer, question, answer...
        answer = turn_answer(turns[turn]) if 0 <= turn < len(turns) else None
        if answer is None:
            gr.Warning(NOT_RECORDED + "only answers can be voted on, and this one is no longer in the chat.")
            return
        try:
            user = self.sessions.user(request)
        except QAError as err:
            gr.Warning(NOT_RECORDED + str(err))
            return
        if not self.sessions.given(answer, user, turns[turn].get("signature")):
            gr.Warning(NOT_RECORDED + "this server cannot confirm it gave you this answer: ask the question again.")
            return
        liked = data.liked if isinstance(data.liked, bool) else data.liked == "Like"
        try:
            self.feedback.record(answer, liked, user.name if self.sessions.login else None)
        except (OSError, QAError) as err:  # a full disk, or the shared database out of reach
            log.error("feedback not written to %r: %s", self.feedback, err)
            gr.Warning(NOT_RECORDED + "the server could not write it down; tell the administrator.")

    def new_chat(self, request: gr.Request) -> tuple[Any, ...]:
        """Forget the conversation: chat, passages, the open document and what the browser keeps."""
        return [], [], EMPTY_SOURCES, EMPTY_VIEWER, gr.update(value=None, visible=False), saved([], _user(request))

    def restore(self, stored: Any, request: gr.Request) -> tuple[Any, ...]:
        """The conversation kept in the browser, after a reload (another user's is not shown)."""
        try:
            user = self.sessions.user(request)
        except QAError:
            return [], [], EMPTY_SOURCES
        turns = read_turns(stored, _user(request))
        messages, panel = self.render(turns, user)
        return messages, turns, panel


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None
