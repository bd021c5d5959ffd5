"""Three honest replies (issue 21): answered with the answering words marked, unsure, or not in the sources.

Over the seeds (a news article and three office documents), with the shipped answerability model.
"""

from __future__ import annotations

from pathlib import Path

from qa import QA
from qa.types import SOURCES_DO_NOT_ANSWER, SOURCES_MAY_NOT_ANSWER

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_an_answer_marks_the_words_that_answer_inside_the_quoted_sentence(seeded_qa: QA) -> None:
    answer = seeded_qa.ask("When did Haftar announce his offensive on Tripoli?")
    assert answer.kind == "answered" and not answer.abstained
    key = answer.answer_span
    assert key is not None and key.span_text == "April 4"
    text = (SEEDS / key.source).read_text(encoding="utf-8")
    assert text[key.span[0] : key.span[1]] == "April 4"  # offsets into the document
    assert text[key.start : key.end] == key.quote and key.start <= key.span[0] < key.span[1] <= key.end
    assert answer.to_dict()["answer_span"]["text"] == "April 4"
    assert answer.confidence is not None and answer.confidence >= seeded_qa.answerer.policy.answer_above


def test_a_question_the_sources_do_not_touch_is_not_in_the_sources(seeded_qa: QA) -> None:
    answer = seeded_qa.ask("Who won the 2018 FIFA World Cup?")
    assert (answer.kind, answer.text, answer.citations) == ("not_in_sources", SOURCES_DO_NOT_ANSWER, ())
    assert answer.confidence is not None and answer.confidence < seeded_qa.answerer.policy.unsure_above


def test_between_the_thresholds_the_reply_is_unsure_with_the_closest_passages_and_no_claim(tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index", answer={"answer_above": 0.999, "unsure_above": 0.001})
    qa.ingest(SEEDS)
    answer = qa.ask("When did Haftar announce his offensive on Tripoli?")
    assert (answer.kind, answer.text, answer.citations) == ("unsure", SOURCES_MAY_NOT_ANSWER, ())
    assert answer.abstained and answer.passages
    assert "April 4" in answer.passages[0].chunk.text  # the closest passage first
    assert answer.to_dict()["kind"] == "unsure"


def test_the_opposite_of_what_is_asked_is_not_an_answer(seeded_qa: QA) -> None:
    answer = seeded_qa.ask("What time does the canteen open?")
    assert not any("closes" in c.quote for c in answer.citations)
    assert seeded_qa.ask("When does the canteen close?").answer_span.span_text.startswith("16:00")  # type: ignore[union-attr]


def test_a_follow_up_is_answered_about_the_previous_questions_subject(seeded_qa: QA) -> None:
    first = seeded_qa.ask("What is the budget of Project Falcon?")
    assert "480,000" in first.text
    follow = seeded_qa.ask("Who leads it?", history=["What is the budget of Project Falcon?"])
    assert "480,000" not in follow.text and follow.question == "Who leads it?"  # not the previous answer again
    if follow.kind == "answered":
        assert "Maria" in follow.text
    else:  # unsure: the closest passage is the one about who leads it
        assert "Maria Lopez" in " ".join(follow.passages[0].chunk.text.split())


def test_a_sentence_wrapped_at_80_columns_is_quoted_whole(seeded_qa: QA) -> None:
    answer = seeded_qa.ask("How long must a flight be before business class is allowed?")
    quote = answer.citations[0].quote
    assert "scheduled duration" in quote and "six hours" in quote  # across the file's line break


def test_a_second_sentence_only_when_it_answers_too(seeded_qa: QA) -> None:
    answer = seeded_qa.ask("What is the budget of Project Falcon?")
    further = answer.citations[1:]
    assert all(c.score >= seeded_qa.answerer.policy.second_above for c in further)  # the reader's probability
    assert not any("travel" in c.quote.lower() for c in answer.citations)
