"""Question sets: the native JSONL format (optionally with a docs/ folder) and BEIR folders."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QuestionSetError


@dataclass(frozen=True)
class Evidence:
    """A page that holds a question's answer: `page` is 1-based, as `Chunk.page` and `Citation.page` are.

    The JSONL field `evidence[].page` is 0-based (FinanceBench's convention); it is converted on reading.
    """

    doc: str
    page: int


@dataclass(frozen=True)
class Question:
    """One evaluation question; `source_ids` and `evidence[].doc` are paths relative to the documents folder."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    unanswerable: bool = False
    evidence: tuple[Evidence, ...] = ()

    @property
    def documents(self) -> frozenset[str]:
        """Every document the question names: its gold sources and evidence documents."""
        return frozenset(self.source_ids) | {e.doc for e in self.evidence}


@dataclass(frozen=True)
class QuestionSet:
    """Questions, and the folder of documents they are about (None: ask the current index)."""

    name: str
    path: Path
    questions: tuple[Question, ...]
    docs: Path | None = None


def default_cache(data_dir: Path) -> Path:
    """Where `qa eval` keeps what it derives from question sets: converted BEIR corpora, each set's own index."""
    return data_dir / "eval"


def load_question_set(path: Path, cache_dir: Path) -> QuestionSet:
    """Read a JSONL file, a folder with `questions.jsonl` (and `docs/`), or a BEIR folder.

    A BEIR corpus is written out as one text file per document under `cache_dir`.

    Raises:
        QuestionSetError: the path is not a question set, or a line is malformed.
    """
    if path.is_file():
        return QuestionSet(path.stem, path, read_questions(path))
    if (path / "questions.jsonl").is_file():
        docs = path / "docs" if (path / "docs").is_dir() else path
        return QuestionSet(path.name, path, read_questions(path / "questions.jsonl"), docs)
    if (path / "corpus.jsonl").is_file() and (path / "queries.jsonl").is_file():
        return read_beir(path, cache_dir)
    raise QuestionSetError(
        f"{path}: not a question set (expected a .jsonl file, a folder with questions.jsonl, "
        "or a BEIR folder with corpus.jsonl, queries.jsonl and qrels/test.tsv)"
    )


def read_questions(path: Path) -> tuple[Question, ...]:
    """Parse a native JSONL question file, naming file, line and field on any error."""
    questions, seen = [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise QuestionSetError(f"{where}: not valid JSON ({err.msg})") from err
        question = _parse_question(item, where)
        if question.id in seen:
            raise QuestionSetError(f"{where}: field 'id': duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise QuestionSetError(f"{path}: no questions")
    return tuple(questions)


def _parse_question(item: Any, where: str) -> Question:
    if not isinstance(item, dict):
        raise QuestionSetError(f"{where}: expected a JSON object")
    for key in ("id", "question"):
        if not isinstance(item.get(key), str | int) or not str(item[key]).strip():
            raise QuestionSetError(f"{where}: field '{key}': missing or empty")
    lists = {}
    for key in ("answers", "source_ids"):
        value = item.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise QuestionSetError(f"{where}: field '{key}': must be a list of strings")
        lists[key] = tuple(value)
    unanswerable = item.get("unanswerable", False)
    if not isinstance(unanswerable, bool):
        raise QuestionSetError(f"{where}: field 'unanswerable': must be true or false")
    evidence = _parse_evidence(item.get("evidence", []), where)
    return Question(
        str(item["id"]), str(item["question"]), lists["answers"], lists["source_ids"], unanswerable, evidence
    )


def _parse_evidence(value: Any, where: str) -> tuple[Evidence, ...]:
    """`[{"doc": str, "page": int >= 0 (0-based), "text": ...}]` -> Evidence with 1-based pages."""
    if not isinstance(value, list):
        raise QuestionSetError(f"{where}: field 'evidence': must be a list of objects with 'doc' and 'page'")
    found = []
    for n, entry in enumerate(value):
        field = f"{where}: field 'evidence[{n}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("doc"), str) or not entry["doc"].strip():
            raise QuestionSetError(f"{field}.doc': missing or not a file name")
        page = entry.get("page")
        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            raise QuestionSetError(f"{field}.page': must be a 0-based page number (0 or more)")
        found.append(Evidence(entry["doc"], page + 1))
    return tuple(dict.fromkeys(found))


def read_beir(path: Path, cache_dir: Path) -> QuestionSet:
    """A BEIR folder: the corpus becomes text files, qrels give each query's gold documents."""
    qrels = path / "qrels" / "test.tsv"
    if not qrels.is_file():
        raise QuestionSetError(f"{qrels}: missing (a BEIR folder needs qrels/test.tsv)")
    digest = hashlib.sha256((path / "corpus.jsonl").read_bytes()).hexdigest()[:16]
    docs = cache_dir / f"beir-{path.name}-{digest}"
    if not (docs / ".complete").is_file():
        _write_corpus(path / "corpus.jsonl", docs)
    gold: dict[str, list[str]] = {}
    with qrels.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if float(row.get("score") or 0) > 0:
                gold.setdefault(row["query-id"], []).append(_doc_file(row["corpus-id"]))
    questions = []
    for number, item in _jsonl(path / "queries.jsonl"):
        qid = str(item.get("_id", ""))
        if qid in gold:
            text = item.get("text")
            if not isinstance(text, str) or not text.strip():
                raise QuestionSetError(f"{path / 'queries.jsonl'}:{number}: field 'text': missing or empty")
            questions.append(Question(qid, text, (), tuple(gold[qid])))
    return QuestionSet(path.name, path, tuple(questions), docs)


def _write_corpus(corpus: Path, docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    for number, item in _jsonl(corpus):
        if "_id" not in item:
            raise QuestionSetError(f"{corpus}:{number}: field '_id': missing")
        title, text = str(item.get("title") or "").strip(), str(item.get("text") or "")
        body = f"{title}\n\n{text}" if title else text
        (docs / _doc_file(str(item["_id"]))).write_text(body, encoding="utf-8")
    (docs / ".complete").touch()


def _doc_file(doc_id: str) -> str:
    return re.sub(r"[^\w.-]", "_", doc_id) + ".txt"


def _jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as err:
                raise QuestionSetError(f"{path}:{number}: not valid JSON ({err.msg})") from err
    return rows
