"""Request and response bodies of the HTTP API, as pydantic models (they are also the OpenAPI docs).

Only types are checked here; limits and the lists of modes are the engine's (`qa.request`), so every
front-end refuses the same values with the same message.

Request bodies are strict (`StrictBody`): no coercion ("5", 5.0 and true are not integers; "yes" and 1
are not booleans), and a field that has a default is left out to get it, never sent as null (`Omittable`).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema

from qa.request import MAX_K, MAX_QUESTION_CHARS

T = TypeVar("T")


class NotNull:
    """Validate `X | None` as `X`: the None a field gets when left out is its default, an explicit null is wrong.

    The OpenAPI docs then show the type without null, as for any field with a default.
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """The schema of `source` without its None."""
        kinds = tuple(kind for kind in get_args(source) if kind is not type(None))
        return handler.generate_schema(reduce(operator.or_, kinds))


Omittable = Annotated[T | None, NotNull()]
"""A field to leave out for the engine's default (it is None then), never to send as null."""


def _without_null_defaults(schema: dict[str, Any]) -> None:
    """Drop `"default": null` from the docs of the `Omittable` fields: null is not a value they take."""
    for field in schema.get("properties", {}).values():
        if "default" in field and field["default"] is None and "anyOf" not in field:
            del field["default"]


class StrictBody(BaseModel):
    """A request body: strict types (no coercion), and no null for a field that is not nullable."""

    model_config = ConfigDict(strict=True, json_schema_extra=_without_null_defaults)


class TextPart(StrictBody):
    """A part of a message's content; only text is read."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(StrictBody):
    """One message of the conversation, as OpenAI's chat format has it."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None


class ChatRequest(StrictBody):
    """`POST /v1/chat/completions`: OpenAI's chat format; sampling options are accepted and ignored.

    The last message must be the user's question; earlier user messages are the conversation's history.
    `k`, `sources` and `retrieval` are this server's own (send them with the OpenAI client's `extra_body`).
    """

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="An answer mode from GET /v1/models: extractive or llm")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    n: Omittable[int] = Field(None, description="Only 1 is supported")
    k: Omittable[int] = Field(None, description=f"Passages to retrieve (1-{MAX_K}; default: the server's)")
    sources: Omittable[list[str]] = Field(None, description="Only search these sources (default: all)")
    retrieval: str = Field("hybrid", description="hybrid, dense or keyword")


class AskRequest(StrictBody):
    """`POST /v1/ask`: the arguments of `qa ask`."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description=f"At most {MAX_QUESTION_CHARS} characters")
    k: Omittable[int] = Field(None, description=f"Passages to retrieve (1-{MAX_K}; default: the server's)")
    sources: Omittable[list[str]] = Field(None, description="Only search these sources (default: all)")
    retrieval: str = Field("hybrid", description="hybrid, dense or keyword")
    history: list[str] = Field(default_factory=list, description="Earlier questions of the conversation, oldest first")
    mode: Omittable[str] = Field(None, description="extractive or llm (default: llm when a model is configured)")


class CitationOut(BaseModel):
    """A quoted sentence behind an `[id]` marker; `text[start:end] == quote` in the source's loaded text."""

    id: int
    source: str
    page: int | None
    start: int
    end: int
    quote: str
    score: float
    answer_span: list[int] | None = Field(None, description="[start, end] of the answering words, inside the quote")
    answer_text: str | None = Field(None, description="The answering words (a date, a name, a number, a phrase)")


class SpanOut(BaseModel):
    """Where the words that answer the question are: document offsets in the cited source."""

    id: int = Field(description="The citation marker [id] whose quote holds the words")
    source: str
    start: int
    end: int
    text: str


class PassageOut(BaseModel):
    """A retrieved passage; `rank` is the n an answer cites as [n]."""

    rank: int
    source: str
    title: str
    page: int | None
    start: int
    end: int
    text: str
    score: float


class ReplyOut(BaseModel):
    """What every reply carries besides its text: the kind, the confidence, the answering words, the sources."""

    kind: Literal["answered", "unsure", "not_in_sources"] = Field(
        description="answered (confident), unsure (the sources may not answer: closest passages, no claim) "
        "or not_in_sources"
    )
    confidence: float | None = Field(description="Calibrated probability that the answer is right")
    abstained: bool
    answer_span: SpanOut | None = Field(description="The words that answer the question, in the first citation")
    mode: str
    citations: list[CitationOut]
    passages: list[PassageOut]
    unsupported: list[str]
    notice: str


class AnswerOut(ReplyOut):
    """The object `qa ask --json` prints."""

    question: str
    answer: str


class SourceOut(BaseModel):
    """An indexed source the caller may read."""

    source: str
    chunks: int


class SourcesOut(BaseModel):
    """`GET /v1/sources`."""

    sources: list[SourceOut]


class DocumentOut(BaseModel):
    """The outcome of an upload or a removal."""

    source: str
    status: str = Field(description="added, updated, unchanged or removed")
    chunks: int
    collection: str | None = None


class ModelOut(BaseModel):
    """An answer mode, listed as a model."""

    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "qa"


class ModelsOut(BaseModel):
    """`GET /v1/models`."""

    object: Literal["list"] = "list"
    data: list[ModelOut]


class ChatMessageOut(ReplyOut):
    """The reply: `content` is the cited answer; the rest is what `qa ask --json` adds to it."""

    role: Literal["assistant"] = "assistant"
    content: str


class ChoiceOut(BaseModel):
    """The one choice of a completion."""

    index: int = 0
    message: ChatMessageOut
    finish_reason: Literal["stop"] = "stop"


class ChatCompletionOut(BaseModel):
    """`POST /v1/chat/completions` without `stream`: OpenAI's chat.completion object."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChoiceOut]
    usage: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """What went wrong, and the field at fault."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorOut(BaseModel):
    """Every error: OpenAI's shape."""

    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "A field is wrong; `param` names it"),
        (401, "No API key, or not a valid one (only when accounts exist)"),
        (403, "The caller may not change this collection"),
        (404, "No such source (or one the caller may not read), or no such model"),
        (409, "Nothing is indexed yet, or another write holds the index"),
        (413, "The upload is larger than the limit"),
        (429, "Too many wrong API keys from this address; see Retry-After"),
    )
}
