"""The HTML report of an evaluation run: rows, filter, escaping, charts, baseline comparison."""

from __future__ import annotations

import re
from typing import Any

from evaluation import render_report


def make_question(qid: str, passed: bool = True, gold_rank: int | None = 1, **fields: Any) -> dict[str, Any]:
    """One per-question entry shaped like `qa eval --json`."""
    question: dict[str, Any] = {
        "id": qid,
        "question": f"What is {qid}?",
        "answers": ["42"],
        "source_ids": ["doc.txt"],
        "unanswerable": False,
        "answer": "It is 42 [1]",
        "abstained": False,
        "citations": [{"id": 1, "source": "doc.txt", "page": 3, "quote": "It is 42"}],
        "retrieved": ["doc.txt"],
        "gold_rank": gold_rank,
        "contains": passed,
        "f1": 0.5,
        "em": False,
        "words": 4,
        "passed": passed,
        "retrieval_ms": 1.0,
        "answer_ms": 2.0,
    }
    return question | fields


def make_result(questions: list[dict[str, Any]], **metrics: Any) -> dict[str, Any]:
    """A whole eval result around the given questions; metric keyword arguments override the defaults."""
    return {
        "set": "tiny",
        "path": "eval/tiny",
        "created": "2026-11-24T07:00:00+00:00",
        "settings": {"k": 5, "retrieval": "hybrid", "answer_mode": "extractive"},
        "n_questions": len(questions),
        "metrics": {
            "hit@1": 0.9,
            "mrr@10": 0.95,
            "answer_contains": 0.8,
            "answer_words": 12.0,
            "citation_source_precision": 0.97,
            "abstain_precision": None,
            "false_abstain_rate": 0.04,
            "pass_rate": 0.8,
            "retrieval_ms_p50": 9.1,
        }
        | metrics,
        "questions": questions,
    }


def svg(page: str, svg_id: str) -> str:
    """The markup of the SVG element with the given id."""
    match = re.search(rf'<svg id="{svg_id}".*?</svg>', page, re.S)
    assert match, f"no svg #{svg_id}"
    return match.group(0)


def histogram_counts(page: str) -> list[str]:
    """The count labels of the gold-rank histogram, in bin order."""
    return re.findall(r'<text class="count"[^>]*>(\d+)</text>', svg(page, "rank-chart"))


def row(page: str, qid: str) -> str:
    """The markup of the question row whose id cell is `qid`."""
    match = re.search(rf"<tr [^>]*><td>{re.escape(qid)}</td>.*?</tr>", page, re.S)
    assert match, f"no row for {qid}"
    return match.group(0)


def test_report_has_one_row_per_question_with_its_text_and_pass_fail_class() -> None:
    page = render_report(make_result([make_question("q1"), make_question("q2", passed=False)]))
    assert page.count("data-passed=") == 2
    assert '<tr class="pass" data-passed="true"><td>q1</td><td>What is q1?</td>' in page
    assert '<tr class="fail" data-passed="false"><td>q2</td><td>What is q2?</td>' in page


def test_citations_are_listed_under_the_answer_with_source_page_and_quote() -> None:
    page = render_report(make_result([make_question("q1")]))
    assert "<li>[1] doc.txt p.3: It is 42</li>" in row(page, "q1")


def test_failures_only_checkbox_and_its_script_are_present() -> None:
    page = render_report(make_result([make_question("q1"), make_question("q2", passed=False)]))
    assert '<input type="checkbox" id="only-failures">' in page
    assert "Show failures only" in page
    assert "(1 of 2 failed)" in page
    script = page[page.index("<script>") : page.index("</script>")]
    assert 'getElementById("only-failures")' in script
    assert "row.hidden" in script


def test_hostile_text_from_the_result_is_escaped() -> None:
    hostile = make_question("q1", question="<script>alert(1)</script>", answer="<img src=x onerror=alert(1)>")
    hostile["citations"][0]["quote"] = '"><svg onload=alert(1)>'
    page = render_report(make_result([hostile]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&quot;&gt;&lt;svg onload=alert(1)&gt;" in page
    assert "<script>alert(1)" not in page
    assert "<img" not in page
    assert "<svg onload" not in page


def test_page_references_no_external_url() -> None:
    page = render_report(make_result([make_question("q1", source_ids=["https://example.com/a.html"])]))
    assert "src=" not in page
    assert "href=" not in page
    assert "http" not in page.replace("https://example.com/a.html", "")


def test_both_svg_charts_are_present_and_the_histogram_counts_gold_ranks() -> None:
    questions = [make_question("q1"), make_question("q2"), make_question("q3", passed=False, gold_rank=None)]
    page = render_report(make_result(questions))
    assert "<title>" in svg(page, "metric-chart")
    assert ">0.900</text>" in svg(page, "metric-chart")
    histogram = svg(page, "rank-chart")
    assert "<title>Rank of the first gold source</title>" in histogram
    assert histogram_counts(page) == ["2"] + ["0"] * 9 + ["1"]
    assert ">not found</text>" in histogram


def test_histogram_ignores_questions_without_gold_sources() -> None:
    questions = [make_question("q1"), make_question("q2", gold_rank=None, source_ids=[], unanswerable=True)]
    assert histogram_counts(render_report(make_result(questions))) == ["1"] + ["0"] * 10


def test_baseline_marks_a_dropped_metric_worse_and_a_pass_to_fail_question_regressed() -> None:
    baseline = make_result([make_question("q1"), make_question("q2")], **{"hit@1": 0.95})
    result = make_result([make_question("q1"), make_question("q2", passed=False)], **{"hit@1": 0.90})
    page = render_report(result, baseline)
    assert '<td>hit@1</td><td class="num">0.900</td><td class="num">0.950</td><td class="num worse">−0.050</td>' in page
    assert "regressed" in row(page, "q2")
    assert "regressed" not in row(page, "q1")


def test_baseline_treats_lower_latency_and_false_abstain_rate_as_better() -> None:
    baseline = make_result([], retrieval_ms_p50=12.0, false_abstain_rate=0.10)
    page = render_report(make_result([]), baseline)
    assert '<td class="num better">−2.9 ms</td>' in page
    assert '<td class="num better">−0.060</td>' in page


def test_null_metrics_render_as_n_a() -> None:
    page = render_report(make_result([make_question("q1")], pass_rate=None))
    assert '<td>abstain_precision</td><td class="num">n/a</td>' in page
    assert "pass rate <strong>n/a</strong>" in page
    assert ">abstain_precision</text>" not in svg(page, "metric-chart")


def test_evidence_pages_and_where_they_were_retrieved_are_shown_escaped() -> None:
    found = make_question("q1", evidence=[{"doc": "3M_2022_10K.pdf", "page": 48}], evidence_rank=2)
    missed = make_question("q2", evidence=[{"doc": "<b>.pdf", "page": 1}], evidence_rank=None)
    page = render_report(make_result([found, missed]))
    assert "evidence: 3M_2022_10K.pdf p.48 (passage rank 2)" in row(page, "q1")
    assert "evidence: &lt;b&gt;.pdf p.1 (" in row(page, "q2")
    assert "not retrieved" in row(page, "q2")


def test_new_metrics_are_in_the_summary_with_their_baseline_change() -> None:
    baseline = make_result([], **{"page_hit@5": 0.9, "answer_or_abstain_accuracy": 0.7})
    result = make_result([], **{"page_hit@5": 0.8, "answer_or_abstain_accuracy": 0.75}) | {"n_documents": 11}
    page = render_report(result, baseline)
    assert '<td>page_hit@5</td><td class="num">0.800</td><td class="num">0.900</td><td class="num worse">' in page
    assert '<td>answer_or_abstain_accuracy</td><td class="num">0.750</td><td class="num">0.700</td>' in page
    assert "0 questions over 11 indexed documents" in page
