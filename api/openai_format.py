"""OpenAI's chat format, to and from the engine's terms. Pure: no HTTP here.

- The last message is the question (it must be the user's); the earlier user messages are the history.
  System and assistant messages are not read: the engine's history is the questions asked.
- The reply's `content` is the cited answer with its `[n]` markers, so a client that knows nothing else
  still shows a readable answer; `citations`, `passages`, `kind`, `confidence`, `answer_span`, `abstained`, `mode`,
  `unsupported` and `notice`
  ride along on the message (and on the last streamed chunk's delta).
- A stream carries the answer as the engine finally gives it (its citations checked), a sentence per
  chunk, so that what a client puts together is exactly `content`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from api.errors import ApiError
from api.schemas import ChatMessage
from qa.request import ANSWER_MODES, AnswerMode
from qa.types import Answer

SENTENCE_END = re.compile(r"(?:\[\d+\])+\s+")  # a sentence's markers and the space after them


def models() -> list[str]:
    """The models this server offers: its answer modes."""
    return list(ANSWER_MODES)


def answer_mode(model: str) -> AnswerMode:
    """The answer mode a model name asks for (404 naming the models when there is none)."""
    for mode in ANSWER_MODES:
        if model == mode:
            return mode
    raise ApiError(404, f"model: there is no model {model!r}; use one of {', '.join(ANSWER_MODES)}", "model")


def split_messages(messages: Sequence[ChatMessage]) -> tuple[str, list[str]]:
    """The question (the last message, the user's) and the earlier user messages, oldest first."""
    if messages[-1].role != "user":
        raise ApiError(400, "messages: the last message must be the user's question", "messages")
    questions = [_text(m, i) for i, m in enumerate(messages) if m.role == "user"]
    return questions[-1], questions[:-1]


def _text(message: ChatMessage, index: int) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    if any(part.type != "text" or part.text is None for part in parts):
        raise ApiError(400, f"messages[{index}].content: only text parts are read", f"messages[{index}].content")
    return "".join(part.text or "" for part in parts)


def extras(answer: Answer) -> dict[str, Any]:
    """What travels with the answer's text: everything `qa ask --json` has besides question and answer."""
    data = answer.to_dict()
    del data["question"], data["answer"]
    return data


def completion(answer: Answer, model: str) -> dict[str, Any]:
    """A chat.completion object for `answer`."""
    message = {"role": "assistant", "content": answer.text, **extras(answer)}
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        "usage": None,
    }


def pieces(text: str) -> list[str]:
    """`text` in consecutive pieces, one cited sentence each, that join back to `text` exactly."""
    ends = [match.end() for match in SENTENCE_END.finditer(text)]
    bounds = [0, *[end for end in ends if end < len(text)], len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a] or [text]


def final_answer(items: Iterable[str | Answer]) -> Answer:
    """The `Answer` that ends what `QA.ask_stream` yields."""
    answer = None
    for item in items:
        answer = item
    if not isinstance(answer, Answer):  # pragma: no cover - ask_stream always ends with an Answer
        raise TypeError("ask_stream ended without an Answer")
    return answer


def chunks(items: Iterable[str | Answer], model: str) -> Iterator[dict[str, Any]]:
    """The chat.completion.chunk objects of a streamed answer: the role at once, then (once the engine's
    answer is final) its sentences, then the extras with `finish_reason`."""
    chunk_id, created = _completion_id(), int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        }

    yield chunk({"role": "assistant", "content": ""})
    answer = final_answer(items)
    for piece in pieces(answer.text):
        yield chunk({"content": piece})
    yield chunk(extras(answer), "stop")


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"
