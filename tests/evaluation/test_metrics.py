"""Metric functions against hand-computed cases."""

from __future__ import annotations

import math
from typing import Any

import pytest

from evaluation.metrics import (
    aggregate,
    contains_answer,
    exact_match,
    first_relevant_rank,
    hit_at,
    judge_answer,
    metric_group,
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


def test_answer_or_abstain_judges_abstention_on_unanswerable_and_gold_answers_otherwise() -> None:
    assert judge_answer(unanswerable=True, abstained=True, contains=None) is True
    assert judge_answer(unanswerable=True, abstained=False, contains=None) is False
    assert judge_answer(unanswerable=False, abstained=False, contains=True) is True
    assert judge_answer(unanswerable=False, abstained=True, contains=False) is False
    assert judge_answer(unanswerable=False, abstained=False, contains=None) is None  # no gold answer to judge by


def test_ranks_work_on_source_page_pairs() -> None:
    passages = [("a.pdf", 3), ("b.pdf", 48), ("a.pdf", 2)]
    assert first_relevant_rank(passages, [("b.pdf", 48)]) == 2
    assert first_relevant_rank(passages, [("b.pdf", 47)]) is None
    assert hit_at(passages, [("a.pdf", 2)], 2) == 0.0


def record(**fields: Any) -> dict[str, Any]:
    """A per-question record with neutral defaults, as `evaluation.scoring.score_question` makes them."""
    base: dict[str, Any] = {
        "retrieved": [],
        "source_ids": [],
        "answers": [],
        "unanswerable": False,
        "abstained": False,
        "citations": [],
        "contains": None,
        "correct": None,
        "f1": None,
        "em": None,
        "words": 3,
        "sentences": 1,
        "unsupported": [],
        "mode": "extractive",
        "passed": True,
        "retrieval_ms": 1.0,
        "answer_ms": 1.0,
        "evidence": [],
        "evidence_rank": None,
        "cites_evidence": None,
    }
    return base | fields


def test_accuracy_counts_only_questions_that_can_be_judged() -> None:
    records = [record(correct=True), record(correct=False), record(correct=True, unanswerable=True), record()]
    metrics = aggregate(records, k=5)
    assert metrics["answer_or_abstain_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert metric_group("answer_or_abstain_accuracy") == "Abstention"


def test_page_hits_are_over_questions_with_evidence_at_5_and_the_runs_k() -> None:
    evidence = [{"doc": "a.pdf", "page": 2}]
    records = [
        record(evidence=evidence, evidence_rank=1, cites_evidence=True),
        record(evidence=evidence, evidence_rank=4, cites_evidence=False),
        record(evidence=evidence, evidence_rank=None, cites_evidence=None),  # abstained: no citation to judge
        record(),  # no evidence: not counted
    ]
    metrics = aggregate(records, k=3)
    assert metrics["page_hit@3"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["page_hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["citation_evidence_page"] == 0.5
    assert metric_group("page_hit@5") == "Retrieval"
    assert metric_group("citation_evidence_page") == "Citations"


def test_no_page_metrics_without_evidence() -> None:
    assert not [name for name in aggregate([record()], k=5) if "page" in name]


def test_answered_precision_counts_answered_unanswerable_questions_as_wrong() -> None:
    records = [
        record(contains=True, f1=1.0, em=True),
        record(contains=False, f1=0.0, em=False),
        record(unanswerable=True),  # answered although the sources do not answer it
        record(unanswerable=True, abstained=True, kind="unsure"),  # not answered: not judged here
        record(contains=False, f1=0.0, em=False, abstained=True, kind="not_in_sources"),
    ]
    metrics = aggregate(records, k=5)
    assert metrics["answered_precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["unsure_rate"] == pytest.approx(1 / 5, abs=1e-4)
    assert metric_group("unsure_rate") == "Abstention"


def test_span_f1_is_the_squad_f1_of_the_marked_words() -> None:
    graded = {"f1": 1.0, "em": True}
    records = [
        record(contains=True, span_f1=1.0, **graded),
        record(contains=True, span_f1=0.5, **graded),
        record(contains=False, span_f1=0.0, **graded),
    ]
    assert aggregate(records, k=5)["span_f1"] == pytest.approx(0.5, abs=1e-4)
