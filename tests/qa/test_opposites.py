"""A question asking for one thing is not answered with its opposite."""

from __future__ import annotations

from qa.opposites import asks_the_opposite


def test_a_sentence_saying_only_the_opposite_does_not_answer() -> None:
    assert asks_the_opposite("What time does the canteen open?", "The canteen closes at 16:00.")
    assert asks_the_opposite("When did the offensive end?", "The offensive began on April 4.")
    assert asks_the_opposite("Who won the final?", "Italy lost the final on penalties.")


def test_the_clause_about_the_subject_decides() -> None:
    sentence = "The canteen closes at 16:00, and the coffee bar beside it stays open until 17:30."
    assert asks_the_opposite("What time does the canteen open?", sentence)
    assert not asks_the_opposite("When does the coffee bar open?", sentence)


def test_a_sentence_holding_the_asked_word_or_neither_may_answer() -> None:
    assert not asks_the_opposite("What time does the canteen open?", "The canteen opens at 8:00 and closes at 16:00.")
    assert not asks_the_opposite("When does the canteen close?", "The canteen closes at 16:00.")
    assert not asks_the_opposite("Where is the canteen?", "The canteen closes at 16:00.")
    assert not asks_the_opposite("Does the shop open or close at noon?", "It closes at noon.")
