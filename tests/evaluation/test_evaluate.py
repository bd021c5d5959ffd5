"""`qa eval`: question sets, a real run, baselines and the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from evaluation import compare, evaluate, format_summary, load_question_set, render_report
from evaluation.questions import Evidence
from qa import QA
from qa.errors import QuestionSetError

pytestmark = pytest.mark.chroma_backends

DOCS = {
    "lighthouse.txt": "The Grey Point lighthouse was built in 1872. Its lamp can be seen 30 kilometres out to sea.",
    "ferry.txt": "The harbour ferry leaves every hour. A return ticket costs eight euros.",
    "bakery.md": "# Bakery\n\nThe corner bakery sells rye bread. It opens at six in the morning.",
}
QUESTIONS = [
    {
        "id": "q1",
        "question": "When was the Grey Point lighthouse built?",
        "answers": ["1872"],
        "source_ids": ["lighthouse.txt"],
    },
    {
        "id": "q2",
        "question": "How much is a return ferry ticket?",
        "answers": ["eight euros"],
        "source_ids": ["ferry.txt"],
    },
    {
        "id": "q3",
        "question": "What time does the bakery open?",
        "answers": ["six in the morning"],
        "source_ids": ["bakery.md"],
    },
    {"id": "q4", "question": "Who won the 1998 chess olympiad?", "answers": [], "source_ids": [], "unanswerable": True},
]


@pytest.fixture
def question_set(tmp_path: Path) -> Path:
    folder = tmp_path / "small-set"
    (folder / "docs").mkdir(parents=True)
    for name, text in DOCS.items():
        (folder / "docs" / name).write_text(text)
    (folder / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n")
    return folder


@pytest.fixture
def qa(tmp_path: Path, chroma_url: str | None) -> QA:
    """An engine with the answerability model off: these tests check the evaluation's bookkeeping on a set the
    sentence rule answers exactly (the model's replies are measured on the real sets, and by
    `test_a_record_carries_the_replys_kind_confidence_and_answering_words`)."""
    return QA(data_dir=tmp_path / "index", chroma_url=chroma_url, answer={"reader": False})


def test_a_record_carries_the_replys_kind_confidence_and_answering_words(tmp_path: Path, question_set: Path) -> None:
    engine = QA(data_dir=tmp_path / "with-reader")
    result = evaluate(engine, load_question_set(question_set, tmp_path / "eval"), k=3)
    first, unanswerable = result["questions"][0], result["questions"][3]
    assert first["kind"] == "answered" and first["span"] == "1872" and first["span_f1"] == 1.0
    assert 0 < first["confidence"] <= 1
    assert unanswerable["kind"] in ("unsure", "not_in_sources") and unanswerable["passed"]
    assert result["metrics"]["answered_precision"] == 1.0


def run_cli(*args: str) -> int:
    return main([*args])


def test_run_on_a_small_set_scores_every_question(qa: QA, question_set: Path) -> None:
    qset = load_question_set(question_set, qa.settings.data_dir / "eval")
    result = evaluate(qa, qset, k=3)
    metrics = result["metrics"]
    assert result["n_questions"] == 4
    assert metrics["hit@1"] == 1.0
    assert metrics["answer_contains"] == 1.0
    assert metrics["abstain_recall"] == 1.0
    assert metrics["false_abstain_rate"] == 0.0
    assert metrics["citation_source_precision"] == 1.0
    assert [q["passed"] for q in result["questions"]] == [True, True, True, True]
    assert result["questions"][0]["gold_rank"] == 1


def test_set_documents_are_indexed_once_and_cached(qa: QA, question_set: Path) -> None:
    qset = load_question_set(question_set, qa.settings.data_dir / "eval")
    evaluate(qa, qset, k=3)
    cached = list((qa.settings.data_dir / "eval").iterdir())
    assert len(cached) == 1
    evaluate(qa, qset, k=3)
    assert list((qa.settings.data_dir / "eval").iterdir()) == cached
    again = QA(data_dir=cached[0]).ingest(question_set / "docs")[0]
    assert again.chunks_added == 0 and again.count("unchanged") == 3


def test_a_bad_line_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps(QUESTIONS[0]) + "\n" + json.dumps({"id": "q2", "question": "Why?", "answers": "x"}))
    with pytest.raises(QuestionSetError, match=r"questions\.jsonl:2: field 'answers'"):
        load_question_set(path, tmp_path)


def test_beir_folder_is_read_with_its_qrels(tmp_path: Path, qa: QA) -> None:
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    corpus = [
        {"_id": "d1", "title": "Lighthouse", "text": DOCS["lighthouse.txt"]},
        {"_id": "d2", "title": "Ferry", "text": DOCS["ferry.txt"]},
    ]
    (beir / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus))
    (beir / "queries.jsonl").write_text(
        json.dumps({"_id": "x1", "text": "ferry ticket price"}) + "\n" + json.dumps({"_id": "x2", "text": "not judged"})
    )
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nx1\td2\t1\n")
    qset = load_question_set(beir, tmp_path / "cache")
    assert [(q.id, q.source_ids) for q in qset.questions] == [("x1", ("d2.txt",))]
    result = evaluate(qa, qset, k=2)
    assert result["metrics"]["hit@1"] == 1.0


@pytest.mark.usefixtures("chroma_url")
def test_baseline_exits_one_on_a_planted_regression_and_zero_otherwise(
    question_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, baseline = str(tmp_path / "index"), tmp_path / "baseline.json"
    assert run_cli("--data-dir", data_dir, "eval", "-q", str(question_set), "--save-baseline", str(baseline)) == 0
    assert run_cli("--data-dir", data_dir, "eval", "-q", str(question_set), "--baseline", str(baseline)) == 0
    # plant a regression: q2's gold answer changes, so q2 now fails where the baseline passed
    questions = [dict(q) for q in QUESTIONS]
    questions[1]["answers"] = ["nine euros"]
    (question_set / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions))
    capsys.readouterr()
    assert run_cli("--data-dir", data_dir, "eval", "-q", str(question_set), "--baseline", str(baseline)) == 1
    captured = capsys.readouterr()
    assert "flipped pass -> fail: q2" in captured.err
    assert "REGRESSED" in captured.out


def test_html_report_has_a_row_per_question(
    question_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_ANSWER__READER", "false")  # the sentence rule passes all four (see the `qa` fixture)
    report = tmp_path / "report.html"
    assert run_cli("--data-dir", str(tmp_path / "index"), "eval", "-q", str(question_set), "--html", str(report)) == 0
    page = report.read_text()
    for q in QUESTIONS:
        assert q["question"] in page
    assert page.count('data-passed="true"') == 4


def test_json_output_is_one_object_with_metrics_and_questions(
    question_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("--data-dir", str(tmp_path / "index"), "eval", "-q", str(question_set), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_questions"] == 4
    assert {"hit@1", "ndcg@10", "answer_f1", "abstain_recall", "answer_ms_p95"} <= set(data["metrics"])


PAGES = [  # harbour.pdf, one subject per page
    "The Grey Point lighthouse was built in 1872. Its lamp can be seen 30 kilometres out to sea.",
    "The harbour ferry leaves every hour. A return ticket costs eight euros.",
    "The corner bakery sells rye bread. It opens at six in the morning.",
]
PAGED_QUESTIONS = [  # evidence pages are 0-based, as in FinanceBench
    {
        "id": "ferry",
        "question": "How much is a return ferry ticket?",
        "answers": ["eight euros"],
        "source_ids": ["harbour.pdf"],
        "evidence": [{"doc": "harbour.pdf", "page": 1, "text": PAGES[1]}],
    },
    {  # the evidence names the wrong page on purpose: the bakery is on page index 2
        "id": "bakery",
        "question": "What time does the corner bakery open?",
        "answers": ["six in the morning"],
        "source_ids": ["harbour.pdf"],
        "evidence": [{"doc": "harbour.pdf", "page": 0}],
    },
    {"id": "chess", "question": "Who won the 1998 chess olympiad?", "unanswerable": True},
    {  # a wrong gold answer: answered, but not correctly
        "id": "lighthouse",
        "question": "When was the Grey Point lighthouse built?",
        "answers": ["1901"],
        "source_ids": ["harbour.pdf"],
    },
]


def write_pages(path: Path, pages: list[str]) -> None:
    """A PDF with one page per text."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


@pytest.fixture
def paged_set(tmp_path: Path) -> Path:
    folder = tmp_path / "paged-set"
    (folder / "docs").mkdir(parents=True)
    write_pages(folder / "docs" / "harbour.pdf", PAGES)
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in PAGED_QUESTIONS))
    return folder


def test_evidence_pages_are_read_0_based_and_kept_1_based(paged_set: Path, tmp_path: Path) -> None:
    questions = load_question_set(paged_set, tmp_path).questions
    assert questions[0].evidence == (Evidence("harbour.pdf", 2),)
    assert questions[2].evidence == ()


@pytest.mark.parametrize(
    ("evidence", "field"),
    [("p. 3", "evidence"), ([{"doc": "a.pdf", "page": -1}], r"evidence\[0\]\.page"), ([{"page": 1}], "evidence")],
)
def test_malformed_evidence_names_the_field(tmp_path: Path, evidence: object, field: str) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps({"id": "q", "question": "Why?", "evidence": evidence}))
    with pytest.raises(QuestionSetError, match=rf"questions\.jsonl:1: field '{field}"):
        load_question_set(path, tmp_path)


def test_answer_or_abstain_accuracy_and_page_hits_on_a_paged_set(qa: QA, paged_set: Path) -> None:
    result = evaluate(qa, load_question_set(paged_set, qa.settings.data_dir / "eval"), k=1)
    metrics = result["metrics"]
    by_id = {q["id"]: q for q in result["questions"]}
    assert [by_id[i]["correct"] for i in ("ferry", "bakery", "chess", "lighthouse")] == [True, True, True, False]
    assert metrics["answer_or_abstain_accuracy"] == 0.75
    assert by_id["ferry"]["evidence"] == [{"doc": "harbour.pdf", "page": 2}]
    assert by_id["ferry"]["evidence_rank"] == 1
    assert by_id["bakery"]["evidence_rank"] > 1  # the named page is retrieved, just not first
    assert metrics["page_hit@1"] == 0.5  # the run's k
    assert metrics["page_hit@5"] == 1.0
    assert [by_id[i]["cites_evidence"] for i in ("ferry", "bakery", "chess")] == [True, False, None]
    assert metrics["citation_evidence_page"] == 0.5
    summary = format_summary(result)
    for name in ("answer_or_abstain_accuracy", "page_hit@1", "page_hit@5", "citation_evidence_page"):
        assert name in summary
    assert "evidence: harbour.pdf p.2 (passage rank 1)" in render_report(result)


def test_sets_without_evidence_report_no_page_metrics(qa: QA, question_set: Path) -> None:
    metrics = evaluate(qa, load_question_set(question_set, qa.settings.data_dir / "eval"), k=3)["metrics"]
    assert metrics["answer_or_abstain_accuracy"] == 1.0
    assert not [name for name in metrics if "page" in name]


def test_baseline_gates_the_new_metrics_where_the_baseline_has_them() -> None:
    baseline = {"metrics": {"page_hit@5": 0.9, "answer_or_abstain_accuracy": 0.8}, "questions": []}
    result = {
        "metrics": {"page_hit@5": 0.8, "answer_or_abstain_accuracy": 0.81, "citation_evidence_page": 0.5},
        "questions": [],
    }
    changes = {c.name: c for c in compare(result, baseline, tolerance=0.02)[0]}
    assert changes["page_hit@5"].regressed
    assert not changes["answer_or_abstain_accuracy"].regressed
    assert changes["citation_evidence_page"].baseline is None and not changes["citation_evidence_page"].regressed
