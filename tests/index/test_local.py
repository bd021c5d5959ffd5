"""The local SQLite index: keyword query pruning."""

from __future__ import annotations

from index.local import content_words, selective_words


def test_content_words_drop_stopwords_and_repeats() -> None:
    assert content_words("What is the cause of the cause?") == ["cause"]


def test_common_words_are_left_out_of_a_long_keyword_query() -> None:
    frequencies = {"patient": 900, "treat": 500, "tumour": 12, "suppressor": 7, "gene": 80, "mortal": 40}
    words = ["patients", "treated", "tumour", "suppressor", "genes", "mortality"]
    assert selective_words(words, frequencies, total=1000) == ["suppressor", "tumour", "mortality", "genes"]


def test_the_three_rarest_words_are_kept_even_when_all_are_common() -> None:
    frequencies = {"patient": 900, "treat": 500, "gene": 300, "show": 600}
    assert selective_words(["patients", "treated", "genes", "showed"], frequencies, total=1000) == [
        "genes",
        "treated",
        "showed",
    ]
