"""Metric functions against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from qa.metrics import (
    contains_answer,
    exact_match,
    hit_at,
    mrr_at,
    ndcg_at,
    normalize_answer,
    percentile,
    recall_at,
    token_f1,
)


def test_normalisation_drops_case_punctuation_articles_and_extra_spaces() -> None:
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("“An apple”, a pear.") == "apple pear"


def test_exact_match_and_contains_use_normalised_text() -> None:
    assert exact_match("the Broncos.", ["Broncos"])
    assert contains_answer("They beat the Carolina Panthers 24–10.", ["carolina panthers"])
    assert not contains_answer("They won.", ["Panthers"])


def test_token_f1_is_harmonic_mean_of_token_precision_and_recall() -> None:
    # predicted: denver broncos won (3), gold: denver broncos (2): precision 2/3, recall 1
    assert token_f1("Denver Broncos won", ["the Denver Broncos"]) == pytest.approx(0.8)
    assert token_f1("nothing shared", ["Broncos"]) == 0.0
    assert token_f1("Broncos", ["Panthers", "Broncos"]) == 1.0


def test_mrr_is_the_inverse_rank_of_the_first_relevant_source_within_k() -> None:
    ranked = ["a", "b", "c", "d"]
    assert mrr_at(ranked, ["c"], 10) == pytest.approx(1 / 3)
    assert mrr_at(ranked, ["c", "b"], 10) == pytest.approx(1 / 2)
    assert mrr_at(ranked, ["d"], 3) == 0.0


def test_ndcg_matches_a_hand_computed_value() -> None:
    # relevant at ranks 2 and 3 of two relevant documents:
    # DCG = 1/log2(3) + 1/log2(4); IDCG = 1/log2(2) + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at(["x", "a", "b"], ["a", "b"], 10) == pytest.approx(expected)
    assert ndcg_at(["a", "b"], ["a", "b"], 10) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], ["a"], 10) == 0.0


def test_hit_and_recall_count_sources_within_k() -> None:
    assert hit_at(["x", "a"], ["a"], 1) == 0.0
    assert hit_at(["x", "a"], ["a"], 2) == 1.0
    assert recall_at(["a", "x", "b"], ["a", "b", "c", "d"], 2) == pytest.approx(0.25)


def test_percentile_interpolates_between_values() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) is None
