"""The OpenAI-compatible routes, driven by the official `openai` client and LangChain's `ChatOpenAI`."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from api_servers import QUESTION, Server
from langchain_openai import ChatOpenAI

from qa.types import SOURCES_DO_NOT_ANSWER


def client(server: Server, key: str = "not-needed") -> openai.OpenAI:
    """An OpenAI client written for any server: only base_url, api_key and model change."""
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def extra(message: Any) -> dict[str, Any]:
    """The fields this server adds to a message or delta (the client keeps unknown fields)."""
    return dict(message.model_extra or {})


def test_a_chat_completion_is_the_cited_answer_with_its_citations_on_the_message(open_server: Server) -> None:
    reply = client(open_server).chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": QUESTION}]
    )
    message = reply.choices[0].message
    assert reply.object == "chat.completion" and reply.model == "extractive"
    assert reply.choices[0].finish_reason == "stop" and message.role == "assistant"
    assert "April 4" in (message.content or "") and "[1]" in (message.content or "")
    fields = extra(message)
    assert fields["citations"][0]["id"] == 1 and "April 4" in fields["citations"][0]["quote"]
    assert fields["passages"][0]["rank"] == 1 and fields["abstained"] is False
    assert fields["kind"] == "answered" and fields["answer_span"]["text"] == "April 4" and fields["confidence"] > 0
    assert message.content == open_server.qa.ask(QUESTION, mode="extractive").text


def test_a_streamed_completion_joins_to_the_same_answer_and_ends_with_the_citations(open_server: Server) -> None:
    chunks = list(
        client(open_server).chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == open_server.qa.ask(QUESTION, mode="extractive").text
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    assert extra(last.delta)["citations"] and extra(last.delta)["passages"]
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_an_llm_answer_streams_its_checked_text_not_the_models_raw_text(open_server: Server) -> None:
    messages: Any = [{"role": "user", "content": QUESTION}]
    chunks = list(client(open_server).chat.completions.create(model="llm", messages=messages, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.startswith("Haftar announced the offensive on April 4. [")  # the check moved the marker
    assert extra(chunks[-1].choices[0].delta)["mode"] == "llm"


def test_an_abstention_is_a_normal_reply_that_says_so(open_server: Server) -> None:
    reply = client(open_server).chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": "What is the boiling point of liquid nitrogen?"}]
    )
    message = reply.choices[0].message
    assert message.content == SOURCES_DO_NOT_ANSWER and reply.choices[0].finish_reason == "stop"
    assert extra(message)["abstained"] is True and extra(message)["citations"] == []
    assert extra(message)["kind"] == "not_in_sources" and extra(message)["answer_span"] is None


def test_earlier_user_messages_are_the_history_of_a_follow_up(open_server: Server) -> None:
    messages: Any = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What was Haftar's offensive on Tripoli?"},
        {"role": "assistant", "content": "An attack on the capital [1]."},
        {"role": "user", "content": [{"type": "text", "text": "When did he announce it?"}]},
    ]
    reply = client(open_server).chat.completions.create(model="extractive", messages=messages)
    expected = open_server.qa.ask(
        "When did he announce it?", history=["What was Haftar's offensive on Tripoli?"], mode="extractive"
    )
    assert reply.choices[0].message.content == expected.text


def test_the_answer_modes_are_listed_as_models(open_server: Server) -> None:
    assert [m.id for m in client(open_server).models.list()] == ["extractive", "llm"]
    assert client(open_server).models.retrieve("llm").id == "llm"


def test_an_unknown_model_is_404_naming_the_field(open_server: Server) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client(open_server).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["param"] == "model"  # type: ignore[index]


def test_a_bad_option_is_400_naming_the_field(open_server: Server) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(open_server).chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": QUESTION}], extra_body={"k": 0}
        )
    assert caught.value.body["param"] == "k" and "1 to 50" in caught.value.body["message"]  # type: ignore[index]


def test_the_last_message_must_be_the_users_question(open_server: Server) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(open_server).chat.completions.create(
            model="extractive", messages=[{"role": "assistant", "content": "Hello"}]
        )
    assert caught.value.body["param"] == "messages"  # type: ignore[index]


def test_langchain_chat_openai_pointed_at_the_server_gets_the_cited_answer(open_server: Server) -> None:
    chat = ChatOpenAI(base_url=f"{open_server.url}/v1", api_key="not-needed", model="extractive", max_retries=0)  # type: ignore[arg-type]
    expected = open_server.qa.ask(QUESTION, mode="extractive").text
    assert chat.invoke(QUESTION).content == expected
    assert "".join(str(piece.content) for piece in chat.stream(QUESTION)) == expected
