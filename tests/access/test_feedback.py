"""Feedback: votes kept (a JSONL file, or the shared database's table), thumbs-down exported as a question set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from people import rows, settings_of

from access.feedback import FeedbackLog, feedback_log
from cli.main import main
from evaluation.questions import read_questions
from qa.settings import Settings
from qa.types import Answer, Citation


def answer(question: str) -> Answer:
    citation = Citation(1, "notes.txt", None, 0, 10, "Bells ring.", 0.9)
    return Answer(question, "Bells ring. [1]", (citation,))


@pytest.fixture
def settings(tmp_path: Path, people_db: str | None) -> Settings:
    return settings_of(tmp_path / "qa", people_db)


@pytest.fixture
def log(settings: Settings) -> FeedbackLog:
    return feedback_log(settings)


def kept(settings: Settings) -> list[dict[str, Any]]:
    """Every vote as stored: the lines of the file, or the rows of the table."""
    if settings.database_url:
        return [row[0] for row in rows(settings.database_url, "SELECT record FROM feedback ORDER BY id")]
    path = settings.data_dir / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_votes_are_appended_with_question_answer_and_citations(settings: Settings, log: FeedbackLog) -> None:
    log.record(answer("Q1?"), liked=True)
    written = log.record(answer("Q2?"), liked=False, user="alice")
    records = kept(settings)
    assert [r["vote"] for r in records] == ["up", "down"] and records[1] == written
    assert records[1]["question"] == "Q2?" and records[1]["citations"][0]["source"] == "notes.txt"
    assert records[1]["user"] == "alice" and "user" not in records[0]


def test_export_turns_thumbs_down_into_an_eval_question_set(tmp_path: Path, log: FeedbackLog) -> None:
    assert log.export() == []
    log.record(answer("Good?"), liked=True)
    log.record(answer("Bad?"), liked=False)
    log.record(answer("Bad?"), liked=False)
    exported = log.export()
    assert [q["question"] for q in exported] == ["Bad?"]
    out = tmp_path / "questions.jsonl"
    out.write_text("".join(json.dumps(q) + "\n" for q in exported))
    assert read_questions(out)[0].question == "Bad?"


def test_qa_feedback_export_reads_the_votes_of_its_mode(
    settings: Settings, log: FeedbackLog, cli_mode: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    log.record(answer("Bad?"), liked=False)
    assert main(["--data-dir", str(settings.data_dir), *cli_mode, "feedback", "export"]) == 0
    assert [json.loads(line)["question"] for line in capsys.readouterr().out.splitlines()] == ["Bad?"]
