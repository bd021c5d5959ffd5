"""No figure from a partial index: `qa eval` refuses to score a set when any of its documents is not indexed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from samples import write_pdf

from cli.main import main
from evaluation import QuestionSet, evaluate, load_question_set
from evaluation.eval_index import eval_dir, index_for, unindexed_files, unindexed_message
from index.formats import LoadError
from index.parsing import IsolatedParser
from index.records import open_record_manager
from index.sync import FileOutcome, SyncReport
from index.writer import WRITING
from qa import QA
from qa.errors import UnindexedDocumentsError

DOCS = {
    "lighthouse.txt": "The Grey Point lighthouse was built in 1872. Its lamp can be seen 30 kilometres out to sea.",
    "ferry.txt": "The harbour ferry leaves every hour. A return ticket costs eight euros.",
}
QUESTIONS = [
    {"id": "q1", "question": "When was the lighthouse built?", "answers": ["1872"], "source_ids": ["lighthouse.txt"]},
    {"id": "q2", "question": "How much is a return ferry ticket?", "answers": ["eight"], "source_ids": ["ferry.txt"]},
]


def make_set(root: Path, docs: dict[str, str | bytes], questions: list[dict[str, object]] = QUESTIONS) -> Path:
    """A folder set: questions.jsonl beside docs/."""
    (root / "docs").mkdir(parents=True)
    for name, content in docs.items():
        path = root / "docs" / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    (root / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return root


@pytest.fixture
def broken_set(tmp_path: Path) -> Path:
    """Two good documents, a PDF that is not one, and binary data named .txt."""
    return make_set(
        tmp_path / "broken-set",
        {**DOCS, "report.pdf": b"%PDF-1.4\nthis is not a PDF body\n", "notes.txt": b"\x00\x01\x02binary\x00" * 50},
    )


def cached_engine(qa: QA, folder: Path) -> tuple[QuestionSet, QA]:
    """The set and its cached, complete eval index."""
    qset = load_question_set(folder, qa.settings.data_dir / "eval")
    assert qset.docs is not None
    return qset, index_for(qa, qset)


def test_eval_of_a_set_with_unreadable_documents_exits_non_zero_naming_each_file_and_reason(
    broken_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path / "index"), "eval", "-q", str(broken_set), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no metric, not even a partial JSON
    assert "2 of 4 documents of broken-set are not indexed" in err
    assert re.search(r"^  report\.pdf: failed: .*PDF", err, re.M)  # the PDF loader's own reason
    assert "notes.txt: skipped: binary data in a text file" in err
    assert "lighthouse.txt" not in err


def test_python_evaluate_raises_before_asking_anything(broken_set: Path, qa: QA) -> None:
    qset = load_question_set(broken_set, qa.settings.data_dir / "eval")
    with pytest.raises(UnindexedDocumentsError, match=r"report\.pdf: failed: .*PDF"):
        evaluate(qa, qset)


def test_files_that_are_not_documents_beside_the_questions_do_not_count(tmp_path: Path, qa: QA) -> None:
    folder = tmp_path / "flat"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    (folder / "manifest.json").write_text("{}")
    result = evaluate(qa, load_question_set(folder, qa.settings.data_dir / "eval"), k=2)
    assert result["n_documents"] == 2


def test_a_gold_source_missing_from_the_folder_is_named_with_its_questions(tmp_path: Path, qa: QA) -> None:
    questions = [*QUESTIONS, {"id": "q3", "question": "Where?", "answers": [], "source_ids": ["typo.txt"]}]
    qset = load_question_set(make_set(tmp_path / "typo-set", DOCS, questions), qa.settings.data_dir / "eval")
    with pytest.raises(UnindexedDocumentsError, match=r"typo\.txt: named by question q3, not in .*docs"):
        evaluate(qa, qset)


def test_a_cached_index_with_chunks_lost_from_chroma_is_repaired_before_use(tmp_path: Path, qa: QA) -> None:
    qset, engine = cached_engine(qa, make_set(tmp_path / "set", DOCS))
    lost = engine.store.local.chunk_ids("ferry.txt")
    engine.store.chroma.delete(ids=lost)  # behind the index's back: the manifest still lists ferry.txt
    assert not engine.check().ok
    result = evaluate(qa, qset, k=2)
    assert result["n_documents"] == 2
    assert result["metrics"]["hit@1"] == 1.0
    assert QA(data_dir=engine.settings.data_dir).check().ok


def test_a_cached_index_cut_short_before_its_manifest_is_completed_on_reuse(tmp_path: Path, qa: QA) -> None:
    qset, engine = cached_engine(qa, make_set(tmp_path / "set", DOCS))
    engine.store.local.delete_document("ferry.txt")  # chunks written, manifest entry not: as a killed ingest leaves
    engine.store.local.set_meta(WRITING, "12345")
    result = evaluate(qa, qset, k=2)
    assert result["n_documents"] == 2
    assert result["metrics"]["hit@1"] == 1.0


def test_a_cached_index_listing_a_file_without_its_chunks_fails_loudly(tmp_path: Path, qa: QA) -> None:
    qset, engine = cached_engine(qa, make_set(tmp_path / "set", DOCS))
    ids = engine.store.local.chunk_ids("ferry.txt")
    engine.store.delete(ids)  # from Chroma and the local index alike
    open_record_manager(engine.settings.data_dir).delete_keys(ids)
    with pytest.raises(UnindexedDocumentsError, match=r"ferry\.txt: listed as indexed, but none of its chunks"):
        evaluate(qa, qset)


def test_asking_the_current_index_requires_every_named_document(tmp_path: Path, qa: QA) -> None:
    docs = make_set(tmp_path / "set", DOCS) / "docs"
    qa.ingest(docs / "lighthouse.txt")
    qset = QuestionSet("current", tmp_path / "questions.jsonl", load_question_set(docs.parent, tmp_path).questions)
    with pytest.raises(UnindexedDocumentsError, match=r"ferry\.txt: named by question q2, not in the index"):
        evaluate(qa, qset)
    qa.ingest(docs / "ferry.txt")
    assert evaluate(qa, qset, k=2)["n_documents"] == 2


def test_asking_an_index_whose_last_ingest_was_cut_short_fails(tmp_path: Path, qa: QA) -> None:
    docs = make_set(tmp_path / "set", DOCS) / "docs"
    qa.ingest(docs)
    qa.store.local.set_meta(WRITING, "12345")
    qset = QuestionSet("current", tmp_path / "questions.jsonl", load_question_set(docs.parent, tmp_path).questions)
    with pytest.raises(UnindexedDocumentsError, match="cut short"):
        evaluate(qa, qset)


def test_a_pdf_is_a_document_of_the_set_like_any_other(tmp_path: Path, qa: QA) -> None:
    folder = make_set(tmp_path / "set", DOCS)
    write_pdf(folder / "docs" / "bakery.pdf", "The corner bakery opens at six in the morning.")
    qset = load_question_set(folder, qa.settings.data_dir / "eval")
    assert evaluate(qa, qset, k=2)["n_documents"] == 3
    assert eval_dir(qa, qset.name, folder / "docs").is_dir()


TIMEOUT = "parsing took longer than 60 s (QA_INGEST__PARSE_TIMEOUT)"


def slow_parser(monkeypatch: pytest.MonkeyPatch, name: str, times: int) -> None:
    """Make the parsing worker time out on `name` the first `times` times (a busy machine)."""
    real = IsolatedParser.__call__
    left = {"n": times}

    def parse(self: IsolatedParser, path: Path, source: str) -> object:
        if source == name and left["n"] > 0:
            left["n"] -= 1
            raise LoadError(str(path), TIMEOUT)
        return real(self, path, source)

    monkeypatch.setattr(IsolatedParser, "__call__", parse)


def test_a_file_that_timed_out_once_is_tried_again_and_the_run_goes_on(
    tmp_path: Path, qa: QA, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_parser(monkeypatch, "ferry.txt", times=1)
    result = evaluate(qa, load_question_set(make_set(tmp_path / "set", DOCS), qa.settings.data_dir / "eval"), k=2)
    assert result["n_documents"] == 2
    assert result["metrics"]["hit@1"] == 1.0


def test_a_file_that_times_out_twice_stops_the_run_with_the_reason(
    tmp_path: Path, qa: QA, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slow_parser(monkeypatch, "ferry.txt", times=2)
    folder = make_set(tmp_path / "set", DOCS)
    assert main(["--data-dir", str(tmp_path / "index"), "eval", "-q", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "1 of 2 documents of set is not indexed" in err
    assert f"ferry.txt: failed: {TIMEOUT}" in err
    assert "higher QA_INGEST__PARSE_TIMEOUT" in err


def test_time_and_memory_failures_are_listed_with_advice_and_the_rest_counted_by_reason() -> None:
    report = SyncReport(files=[FileOutcome(f"doc{i:02}.txt", "failed", TIMEOUT) for i in range(25)])
    problems = unindexed_files(report, {})
    assert len(problems) == 25
    message = unindexed_message("big", Path("data"), problems, 100)
    assert message.startswith("25 of 100 documents of big are not indexed in data")
    assert "doc00.txt: failed: parsing took longer than 60 s" in message
    assert f"... and 5 more: 5 x failed: {TIMEOUT}" in message
    assert "higher QA_INGEST__PARSE_TIMEOUT" in message
