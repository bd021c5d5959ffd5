"""Feedback: votes appended as JSONL, thumbs-down exported as a question set."""

from __future__ import annotations

import json
from pathlib import Path

from access.feedback import export_feedback, record_feedback
from evaluation.questions import read_questions
from qa.types import Answer, Citation


def answer(question: str) -> Answer:
    citation = Citation(1, "notes.txt", None, 0, 10, "Bells ring.", 0.9)
    return Answer(question, "Bells ring. [1]", (citation,))


def test_votes_are_appended_with_question_answer_and_citations(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    record_feedback(path, answer("Q1?"), liked=True)
    record_feedback(path, answer("Q2?"), liked=False)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["vote"] for r in records] == ["up", "down"]
    assert records[1]["question"] == "Q2?" and records[1]["citations"][0]["source"] == "notes.txt"


def test_export_turns_thumbs_down_into_an_eval_question_set(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    record_feedback(path, answer("Good?"), liked=True)
    record_feedback(path, answer("Bad?"), liked=False)
    record_feedback(path, answer("Bad?"), liked=False)
    exported = export_feedback(path)
    assert [q["question"] for q in exported] == ["Bad?"]
    out = tmp_path / "questions.jsonl"
    out.write_text("".join(json.dumps(q) + "\n" for q in exported))
    assert read_questions(out)[0].question == "Bad?"
