"""LLM mode with LangChain's fake chat models: citing, dropping, flagging, condensing, falling back."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from qa import QA, Answer
from qa.testing import FakeFailingChatModel

QUESTION = "When did Haftar announce his offensive on Tripoli?"


class PromptRecorder(BaseCallbackHandler):
    """Keeps the messages every chat-model call was given."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: list[list[Any]], **kwargs: Any) -> None:
        self.prompts.append("\n".join(str(m.content) for m in messages[0]))


def rank_of(qa: QA, question: str, phrase: str) -> int:
    """The marker the model should use: the rank of the passage holding `phrase`."""
    return next(p.rank for p in qa.retrieve(question) if phrase in p.chunk.text)


def llm_qa(seeded_qa: QA, *responses: str, **kwargs: Any) -> QA:
    """An engine over the seeded index answering with a fake chat model."""
    fake = FakeListChatModel(responses=list(responses), **kwargs)
    return QA(settings=seeded_qa.settings, chat_model=fake)


def test_llm_answer_cites_the_passage_with_the_supporting_sentence(seeded_qa: QA) -> None:
    n = rank_of(seeded_qa, QUESTION, "April 4")
    answer = llm_qa(seeded_qa, f"Haftar announced the offensive on April 4 [{n}].").ask(QUESTION)
    assert answer.mode == "llm" and not answer.unsupported
    assert answer.text == f"Haftar announced the offensive on April 4. [{n}]"
    citation = answer.citations[0]
    assert citation.marker == n and "April 4" in citation.quote
    source_text = (seeded_qa.settings.seeds_dir / citation.source).read_text(encoding="utf-8")
    assert source_text[citation.start : citation.end] == citation.quote


def test_a_marker_pointing_at_no_passage_is_dropped(seeded_qa: QA) -> None:
    n = rank_of(seeded_qa, QUESTION, "April 4")
    answer = llm_qa(seeded_qa, f"Haftar announced the offensive on April 4 [{n}][9].").ask(QUESTION)
    assert "[9]" not in answer.text
    assert {c.marker for c in answer.citations} == {n}


def test_a_sentence_with_an_invented_number_is_flagged_unsupported(seeded_qa: QA) -> None:
    n = rank_of(seeded_qa, QUESTION, "April 4")
    reply = f"Haftar announced the offensive on April 4 [{n}]. He commanded 50,000 troops [{n}]."
    answer = llm_qa(seeded_qa, reply).ask(QUESTION)
    assert answer.unsupported == ("He commanded 50,000 troops.",)
    assert all("50,000" not in c.quote for c in answer.citations)
    assert answer.to_dict()["unsupported"] == ["He commanded 50,000 troops."]


def test_a_follow_up_is_condensed_with_the_history_before_retrieval(seeded_qa: QA) -> None:
    recorder = PromptRecorder()
    standalone = "When did Haftar's offensive on Tripoli start?"
    n = rank_of(seeded_qa, standalone, "April 4")
    qa = llm_qa(seeded_qa, standalone, f"It started on April 4 [{n}].", callbacks=[recorder])
    answer = qa.ask("When did it start?", history=["What was Haftar's offensive on Tripoli?"])
    assert "What was Haftar's offensive on Tripoli?" in recorder.prompts[0]  # the condense call saw the history
    assert f"Question: {standalone}" in recorder.prompts[1]  # the answer call got the standalone question
    assert answer.question == "When did it start?" and answer.citations and answer.citations[0].marker == n


def test_the_answer_streams_before_the_checked_answer_arrives(seeded_qa: QA) -> None:
    n = rank_of(seeded_qa, QUESTION, "April 4")
    items = list(llm_qa(seeded_qa, f"Haftar announced the offensive on April 4 [{n}].").ask_stream(QUESTION))
    pieces, final = items[:-1], items[-1]
    assert len(pieces) > 3 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == f"Haftar announced the offensive on April 4 [{n}]."  # type: ignore[arg-type]
    assert isinstance(final, Answer) and final.citations


def test_model_failure_falls_back_to_the_extractive_answer_marked_as_such(seeded_qa: QA) -> None:
    qa = QA(settings=seeded_qa.settings, chat_model=FakeFailingChatModel())
    answer = qa.ask(QUESTION)
    assert answer.mode == "extractive-fallback"
    assert "Connection refused" in answer.notice
    assert "April 4" in answer.text and answer.citations


def test_an_answer_with_no_supported_sentence_falls_back(seeded_qa: QA) -> None:
    answer = llm_qa(seeded_qa, "Haftar won the 2022 World Cup with Egypt [1].").ask(QUESTION)
    assert answer.mode == "extractive-fallback"
    assert "not supported" in answer.notice or "no sentence" in answer.notice
    assert "April 4" in answer.text


def test_the_model_saying_no_answer_abstains(seeded_qa: QA) -> None:
    answer = llm_qa(seeded_qa, "NO_ANSWER").ask("Who won the 2018 FIFA World Cup?")
    assert answer.abstained and answer.mode == "llm" and answer.passages


def test_llm_mode_without_a_configured_model_falls_back_with_a_clear_message(seeded_qa: QA) -> None:
    answer = seeded_qa.ask(QUESTION, mode="llm")
    assert answer.mode == "extractive-fallback"
    assert "QA_LLM__PROVIDER" in answer.notice


def test_extractive_mode_can_be_chosen_when_a_model_is_configured(seeded_qa: QA) -> None:
    qa = QA(settings=seeded_qa.settings, chat_model=FakeFailingChatModel())
    assert qa.default_mode == "llm"
    assert qa.ask(QUESTION, mode="extractive").mode == "extractive"


@pytest.mark.parametrize("bad", ["", "   "])
def test_llm_mode_still_validates_the_question(seeded_qa: QA, bad: str) -> None:
    from qa import QAError

    with pytest.raises(QAError):
        llm_qa(seeded_qa, "x").ask(bad)
