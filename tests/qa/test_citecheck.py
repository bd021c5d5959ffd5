"""Pure parts of the citation check."""

from __future__ import annotations

from qa.citecheck import lexical_support, split_claims, word_coverage


def test_claims_keep_their_markers_and_marker_only_pieces_join_the_sentence_before() -> None:
    claims = split_claims("It began on April 4 [1][2]. It stalled. [3] Turkey may join [9].")
    assert claims == [("It began on April 4.", (1, 2)), ("It stalled.", (3,)), ("Turkey may join.", (9,))]


def test_lexical_support_needs_every_number_and_half_the_names() -> None:
    passage = "Haftar's supply line snakes through more than 1,000 kilometers of desert near Tripoli."
    assert lexical_support("The supply line is over 1,000 kilometers long.", passage)
    assert not lexical_support("The supply line is over 1,500 kilometers long.", passage)
    assert not lexical_support("Haftar met Erdogan and Putin in Moscow.", passage)


def test_word_coverage_counts_content_words_and_shared_stems() -> None:
    assert word_coverage("Backers supported Haftar", "his backers were supporting Haftar") == 1.0
    assert word_coverage("Turkey sent drones", "Haftar's backers") == 0.0
