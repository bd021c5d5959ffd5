"""OpenAI-compatible routes: `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`.

A client written for another OpenAI-compatible server works after changing its `base_url`, `api_key` and
`model` (an answer mode: "extractive" or "llm"). See `api.openai_format` for how messages map to the
engine and how citations travel with the reply.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from api import openai_format
from api.deps import Caller, Engine
from api.errors import ApiError
from api.schemas import ERRORS, ChatCompletionOut, ChatRequest, ModelOut, ModelsOut
from qa.types import Answer

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=ERRORS)


@router.get("/models", response_model=ModelsOut)
async def models(_: Caller) -> ModelsOut:
    """The answer modes, as models."""
    return ModelsOut(data=[ModelOut(id=name) for name in openai_format.models()])


@router.get("/models/{model}", response_model=ModelOut)
async def model(model: str, _: Caller) -> ModelOut:
    """One answer mode, as a model (404 for any other name)."""
    return ModelOut(id=openai_format.answer_mode(model))


@router.post(
    "/chat/completions",
    response_model=ChatCompletionOut,
    responses={200: {"content": {"text/event-stream": {}}, "description": "With `stream`: chat.completion.chunks"}},
)
def chat_completions(body: ChatRequest, qa: Engine, user: Caller) -> JSONResponse | StreamingResponse:
    """Answer the last user message with the cited answer; earlier user messages are its history."""
    mode = openai_format.answer_mode(body.model)
    if body.n not in (None, 1):
        raise ApiError(400, "n: only one choice (n=1) is supported", "n")
    question, history = openai_format.split_messages(body.messages)
    stream = qa.ask_stream(
        question,
        k=body.k,
        sources=body.sources,
        retrieval=body.retrieval,  # type: ignore[arg-type]  # checked by the engine, which names it
        history=history,
        mode=mode,
        user=user,
    )
    first = next(stream)  # argument and index errors are raised here, before any byte is sent
    if not body.stream:
        return JSONResponse(openai_format.completion(openai_format.final_answer(chain([first], stream)), body.model))
    return StreamingResponse(_events(chain([first], stream), body.model), media_type="text/event-stream")


def _events(items: Iterator[str | Answer], model: str) -> Iterator[str]:
    """Server-sent events: the answer's chunks, then `[DONE]` (iterated in a worker thread by Starlette)."""
    for chunk in openai_format.chunks(items, model):
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
