"""Feedback on answers: appended to a JSONL file, and thumbs-down turned into questions for `qa eval`."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.types import Answer

_lock = threading.Lock()


def feedback_fields(answer: Answer) -> dict[str, Any]:
    """What a vote records of an answer: the question, the answer, whether it abstained, its citations."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [c.to_dict() for c in answer.citations],
    }


def record_feedback(path: Path, answer: Answer, liked: bool, user: str | None = None) -> dict[str, Any]:
    """Append one vote with the question, answer and citations (and who voted); returns the record written.

    Front-ends record votes only on answers they gave to that user (the chat checks a signature).
    """
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "vote": "up" if liked else "down",
        **feedback_fields(answer),
    }
    if user is not None:
        record["user"] = user
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return record


def export_feedback(path: Path) -> list[dict[str, Any]]:
    """Thumbs-down answers as a question set for `qa eval`: one question per distinct question.

    `answers` and `source_ids` are left empty for a person to fill in; the answer that was
    disliked is kept under `disliked_answer` for reference.
    """
    if not path.is_file():
        return []
    questions: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("vote") == "down":
            questions[record["question"]] = record
    return [
        {
            "id": f"feedback-{number}",
            "question": question,
            "answers": [],
            "source_ids": sorted({c["source"] for c in record["citations"]}),
            "disliked_answer": record["answer"],
        }
        for number, (question, record) in enumerate(questions.items(), start=1)
    ]
