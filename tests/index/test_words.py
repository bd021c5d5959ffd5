"""Words: content words without stopwords, and the five-letter stem match."""

from __future__ import annotations

from index.words import content_words, split_words, stem_match


def test_words_are_lower_cased_runs_of_letters_and_digits() -> None:
    assert split_words("Haftar's 2019 offensive, re-launched") == ["haftar", "s", "2019", "offensive", "re", "launched"]


def test_content_words_drop_stopwords_and_repeats() -> None:
    assert content_words("What is the cause of the cause?") == ["cause"]


def test_words_sharing_their_first_five_letters_match() -> None:
    assert stem_match("supported", {"his", "supporting"})
    assert stem_match("backers", {"backers"})
    assert not stem_match("supply", {"support"})


def test_short_words_match_only_themselves() -> None:
    assert not stem_match("gene", {"genes"})
    assert not stem_match("genes", {"gene"})
