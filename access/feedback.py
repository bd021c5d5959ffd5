"""Feedback on answers: votes kept in a log, and thumbs-down turned into questions for `qa eval`.

`feedback_log(settings)` picks the log: `DATA_DIR/feedback.jsonl`, one JSON record a line (`FeedbackFile`), or in
the shared mode (`QA_DATABASE_URL`) the database's `feedback` table, one JSONB record a row, written by every app
server (`FeedbackTable`). The records and the export are the same either way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from access.database import Database
from qa.settings import Settings
from qa.types import Answer

_lock = threading.Lock()


class FeedbackLog(Protocol):
    """Where votes are kept: `FeedbackFile` (a data directory's) or `FeedbackTable` (the shared database's)."""

    def record(self, answer: Answer, liked: bool, user: str | None = None) -> dict[str, Any]:
        """Keep one vote; returns the record kept."""

    def export(self) -> list[dict[str, Any]]:
        """Thumbs-down answers as a question set for `qa eval` (see `questions`)."""


def feedback_file(settings: Settings) -> Path:
    """Where votes are kept without a shared database: `feedback.jsonl` in the data directory."""
    return settings.data_dir / "feedback.jsonl"


def feedback_log(settings: Settings) -> FeedbackLog:
    """The feedback log of `settings`: the shared database's `feedback` table when `database_url` is set, else the
    data directory's file."""
    if settings.database_url:
        return FeedbackTable(Database(settings.database_url))
    return FeedbackFile(feedback_file(settings))


def feedback_fields(answer: Answer) -> dict[str, Any]:
    """What a vote records of an answer: the question, the answer, whether it abstained, its citations."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [c.to_dict() for c in answer.citations],
    }


def vote(answer: Answer, liked: bool, user: str | None = None) -> dict[str, Any]:
    """The record of one vote: when, up or down, the question, answer and citations, and who voted (if known).

    Front-ends record votes only on answers they gave to that user (the chat checks a signature).
    """
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "vote": "up" if liked else "down",
        **feedback_fields(answer),
    }
    if user is not None:
        record["user"] = user
    return record


def questions(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Thumbs-down answers as a question set for `qa eval`: one question per distinct question.

    `answers` and `source_ids` are left empty for a person to fill in; the answer that was
    disliked is kept under `disliked_answer` for reference.
    """
    disliked = {record["question"]: record for record in records if record.get("vote") == "down"}
    return [
        {
            "id": f"feedback-{number}",
            "question": question,
            "answers": [],
            "source_ids": sorted({c["source"] for c in record["citations"]}),
            "disliked_answer": record["answer"],
        }
        for number, (question, record) in enumerate(disliked.items(), start=1)
    ]


class FeedbackFile:
    """Votes appended to a JSONL file, one record a line."""

    def __init__(self, path: Path) -> None:
        """Store the path; it is made by the first vote."""
        self.path = path

    def __repr__(self) -> str:
        return f"FeedbackFile({str(self.path)!r})"

    def record(self, answer: Answer, liked: bool, user: str | None = None) -> dict[str, Any]:
        """Append one vote with the question, answer and citations (and who voted); returns the record written."""
        record = vote(answer, liked, user)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record

    def export(self) -> list[dict[str, Any]]:
        """Thumbs-down answers of the file as a question set (none without a file)."""
        if not self.path.is_file():
            return []
        return questions(json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines())


class FeedbackTable:
    """Votes in the shared database's `feedback` table, one JSONB record a row, in the order they came."""

    def __init__(self, db: Database) -> None:
        """Use `db` (connected on first use)."""
        self.db = db

    def __repr__(self) -> str:
        return "FeedbackTable()"

    def record(self, answer: Answer, liked: bool, user: str | None = None) -> dict[str, Any]:
        """Insert one vote with the question, answer and citations (and who voted); returns the record written."""
        from psycopg.types.json import Jsonb

        record = vote(answer, liked, user)
        self.db.rows("INSERT INTO feedback (record) VALUES (%s)", (Jsonb(record),))
        return record

    def export(self) -> list[dict[str, Any]]:
        """Thumbs-down answers of the table as a question set."""
        return questions(row[0] for row in self.db.rows("SELECT record FROM feedback ORDER BY id"))
