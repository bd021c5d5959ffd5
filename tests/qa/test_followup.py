"""Follow-up questions fold the previous question into retrieval."""

from __future__ import annotations

from qa import QA
from qa.followup import fold_follow_up, is_follow_up, subject_of


def test_a_question_that_refers_back_is_a_follow_up() -> None:
    assert is_follow_up("When did it start?")
    assert is_follow_up("And what about Egypt?")
    assert not is_follow_up("When did Haftar's offensive start?")
    assert not is_follow_up("When did Haftar announce his offensive on Tripoli?")  # "his" is Haftar's
    assert is_follow_up("And what about Egypt?")


def test_it_is_read_as_the_previous_questions_subject() -> None:
    assert fold_follow_up("When did it start?", ["Tell me about X.", "What was the offensive?"]) == (
        "When did the offensive start?"
    )
    assert fold_follow_up("Who leads it?", ["What is the budget of Project Falcon?"]) == "Who leads Project Falcon?"
    assert fold_follow_up("What is its population?", ["What is Tripoli?"]) == "What is Tripoli's population?"
    assert subject_of("When did Haftar announce his offensive?") is None


def test_without_a_plain_subject_the_previous_question_is_put_in_front() -> None:
    assert fold_follow_up("When did he die?", ["Who founded the company?"]) == (
        "Who founded the company? When did he die?"
    )
    assert fold_follow_up("When did the offensive start?", ["What was it?"]) == "When did the offensive start?"
    assert fold_follow_up("When did it start?", []) == "When did it start?"


def test_follow_up_about_the_offensive_is_answered_in_context(seeded_qa: QA) -> None:
    answer = seeded_qa.ask("When did it start?", history=["What was Haftar's offensive on Tripoli?"])
    assert not answer.abstained
    assert "April 4" in answer.text
    assert answer.question == "When did it start?"
