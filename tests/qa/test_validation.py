"""The Python API checks its arguments: each error is a QAError naming the field and the rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from qa import QA, QAError, SourceNotFoundError
from qa.request import MAX_QUESTION_CHARS


@pytest.fixture(scope="module")
def small_qa(tmp_path_factory: pytest.TempPathFactory) -> QA:
    base = tmp_path_factory.mktemp("validation")
    (base / "docs").mkdir()
    (base / "docs" / "walrus.txt").write_text("The walrus colony counts 412 animals.", encoding="utf-8")
    qa = QA(data_dir=base / "index")
    qa.ingest(base / "docs")
    return qa


@pytest.mark.parametrize("question", ["", "   \n", None, 42])
def test_an_empty_or_non_text_question_is_refused(small_qa: QA, question: Any) -> None:
    with pytest.raises(QAError, match=r"^question: must be a non-empty string$"):
        small_qa.ask(question)
    with pytest.raises(QAError, match=r"^question: must be a non-empty string$"):
        small_qa.retrieve(question)


def test_an_overlong_question_is_refused_with_its_length_and_the_limit(small_qa: QA) -> None:
    question = "walrus " * 400  # 2800 characters
    message = rf"^question: 2800 characters, at most {MAX_QUESTION_CHARS} are allowed$"
    with pytest.raises(QAError, match=message):
        small_qa.ask(question)
    with pytest.raises(QAError, match=message):
        small_qa.retrieve(question)


def test_a_question_at_the_length_limit_is_answered(small_qa: QA) -> None:
    question = ("How many walrus animals? " * 100)[:MAX_QUESTION_CHARS]
    assert small_qa.retrieve(question, k=1)[0].chunk.source == "walrus.txt"


@pytest.mark.parametrize("k", [0, -1, 51, True, 2.5, "3"])
def test_k_outside_1_to_50_or_not_a_whole_number_is_refused(small_qa: QA, k: Any) -> None:
    with pytest.raises(QAError, match="^" + re.escape(f"k: must be a whole number from 1 to 50, got {k!r}") + "$"):
        small_qa.ask("How many animals?", k=k)
    with pytest.raises(QAError, match=r"^k: "):
        small_qa.retrieve("How many animals?", k=k)


@pytest.mark.parametrize("k", [1, 50])
def test_k_at_its_bounds_is_accepted(small_qa: QA, k: int) -> None:
    assert len(small_qa.retrieve("How many animals?", k=k)) == 1  # one chunk indexed


def test_an_unknown_source_filter_is_refused_naming_it(small_qa: QA) -> None:
    with pytest.raises(SourceNotFoundError, match=r"^sources: not indexed: nowhere\.txt;"):
        small_qa.ask("How many animals?", sources=["walrus.txt", "nowhere.txt"])


def test_a_question_before_anything_is_ingested_says_to_ingest_first(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"nothing is indexed in .* yet; run `qa ingest`"):
        QA(data_dir=tmp_path / "index").ask("How many animals?")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"mode": "poetry"}, "mode: must be one of extractive, llm, got 'poetry'"),
        ({"retrieval": "fuzzy"}, "retrieval: must be one of hybrid, dense, keyword, got 'fuzzy'"),
        ({"sources": "walrus.txt"}, "sources: must be a list of source names, got 'walrus.txt'"),
        ({"history": "What about seals?"}, "history: must be a list of earlier questions (strings)"),
        ({"history": [3]}, "history: must be a list of earlier questions (strings)"),
    ],
)
def test_ask_refuses_unknown_modes_and_wrongly_shaped_lists(
    small_qa: QA, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(QAError, match="^" + re.escape(message) + "$"):
        small_qa.ask("How many animals?", **arguments)


def test_retrieve_refuses_an_unknown_retrieval_mode(small_qa: QA) -> None:
    with pytest.raises(QAError, match=r"^retrieval: must be one of hybrid, dense, keyword, got 'fuzzy'$"):
        small_qa.retrieve("How many animals?", retrieval="fuzzy")  # type: ignore[arg-type]


def test_a_parsing_worker_that_cannot_start_is_a_config_error_and_loses_nothing(
    small_qa: QA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from qa import ConfigError

    def no_process(*args: Any, **kwargs: Any) -> None:
        raise OSError(2, "No such file or directory")

    monkeypatch.setattr(subprocess, "Popen", no_process)  # what index.parsing starts its worker with
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "seal.txt").write_text("The seal colony counts 90 animals.", encoding="utf-8")
    small_qa.writer.parser.close()
    with pytest.raises(ConfigError, match="cannot start the parsing process.*reinstall"):
        small_qa.ingest(folder)
    assert "walrus.txt" in small_qa.sources()
