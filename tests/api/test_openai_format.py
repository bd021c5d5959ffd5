"""The mapping between OpenAI's chat format and the engine (pure: no server)."""

from __future__ import annotations

import pytest

from api.errors import ApiError, field_path
from api.openai_format import answer_mode, chunks, pieces, split_messages
from api.schemas import ChatMessage
from qa.types import Answer


@pytest.mark.parametrize(
    "text",
    ["One. [1] Two, three [2][3] and four. [1]", "No markers at all.", "Ends with a marker [1]", ""],
)
def test_the_streamed_pieces_join_back_to_the_answer_exactly(text: str) -> None:
    assert "".join(pieces(text)) == text


def test_each_piece_is_one_cited_sentence() -> None:
    assert pieces("One. [1] Two. [2][3] Three. [1]") == ["One. [1] ", "Two. [2][3] ", "Three. [1]"]


def test_the_question_is_the_last_user_message_and_earlier_ones_are_history() -> None:
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="What was the offensive?"),
        ChatMessage(role="assistant", content="An attack [1]."),
        ChatMessage(role="user", content="When did it start?"),
    ]
    assert split_messages(messages) == ("When did it start?", ["What was the offensive?"])


def test_a_message_with_an_image_part_is_refused_naming_it() -> None:
    content = [{"type": "image_url", "image_url": {"url": "data:"}}]
    with pytest.raises(ApiError) as caught:
        split_messages([ChatMessage.model_validate({"role": "user", "content": content})])
    assert caught.value.status == 400 and caught.value.param == "messages[0].content"


def test_models_are_the_answer_modes() -> None:
    assert answer_mode("llm") == "llm"
    with pytest.raises(ApiError) as caught:
        answer_mode("gpt-4o")
    assert caught.value.status == 404 and caught.value.param == "model"


def test_the_last_chunk_carries_the_citations_and_the_finish_reason() -> None:
    answer = Answer("q", "It started on April 4. [1]", abstained=False)
    items = list(chunks(iter(["It ", "started", answer]), "extractive"))
    assert items[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in items) == answer.text
    last = items[-1]["choices"][0]
    assert last["finish_reason"] == "stop" and last["delta"]["citations"] == [] and "content" not in last["delta"]


def test_a_field_path_names_list_items() -> None:
    assert field_path(("body", "messages", 0, "content")) == "messages[0].content"
    assert field_path(("body", "k")) == "k"
