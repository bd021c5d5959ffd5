"""Financial metrics in a question reach the statements that define them."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import QA
from qa.glossary import expansion

BALANCE = (
    "CONSOLIDATED BALANCE SHEETS\n\n"
    "Cash and cash equivalents 1,200. Accounts receivable 800. Inventories 650. Total current assets 2,650.\n\n"
    "Accounts payable 900. Accrued expenses 400. Total current liabilities 1,300."
)
PROSE = [
    "The ratio of engineers to managers rose again, and the company says the team is healthy and quick to hire.",
    "Our quick response teams improved service ratios across regions, a healthy sign for customers.",
    "Management believes its liquidity position is healthy and quick decisions support it.",
]


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("What is the company's quick ratio?", {"balance", "current", "liabilities"}),
        ("Is 3M a capital-intensive business?", {"cash", "flows", "property", "equipment"}),
        ("How did the operating margin change?", {"income", "operations", "operating"}),
        ("What drove the effective tax rate?", {"provision", "taxes"}),
    ],
)
def test_a_metric_is_read_as_its_statement_rows(question: str, words: set[str]) -> None:
    assert words <= set(expansion(question).split())


@pytest.mark.parametrize("question", ["Who leads the Libyan National Army?", "When was the reactor built?"])
def test_a_question_naming_no_metric_is_left_alone(question: str) -> None:
    assert expansion(question) == ""


def rank_of_balance_sheet(qa: QA) -> int:
    passages = qa.retrieve("Is the company's quick ratio healthy?", k=4)
    return next((p.rank for p in passages if "Total current assets" in p.chunk.text), 99)


def test_the_balance_sheet_answers_a_quick_ratio_question(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "balance.txt").write_text(BALANCE, encoding="utf-8")
    for i, text in enumerate(PROSE):
        (docs / f"prose{i}.txt").write_text(text, encoding="utf-8")
    with_glossary = QA(data_dir=tmp_path / "index")
    with_glossary.ingest(docs)
    without = QA(data_dir=tmp_path / "index", retrieval={"statement_glossary": False})
    assert rank_of_balance_sheet(with_glossary) < rank_of_balance_sheet(without)
