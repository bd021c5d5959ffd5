"""Indexed documents as people see them: titles, files, the text citations point into."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.permissions import ADMIN, User
from qa import QA
from qa.errors import SourceNotFoundError
from ui.document_info import display_title, document_file, document_text, file_changed, first_words, list_documents

SEED_FILE = "000_e92089c36fa5833b.txt"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_the_rebuilt_text_is_the_file_so_citation_offsets_point_into_it(seeded_qa: QA) -> None:
    text = document_text(seeded_qa, SEED_FILE, ADMIN)
    assert text == (SEEDS / SEED_FILE).read_text(encoding="utf-8")[: len(text)]
    answer = seeded_qa.ask("When did Haftar announce his offensive on Tripoli?")
    citation = answer.citations[0]
    assert text[citation.start : citation.end] == citation.quote


def test_an_untitled_document_is_named_by_its_first_words(seeded_qa: QA) -> None:
    assert display_title(seeded_qa, SEED_FILE, "000 e92089c36fa5833b", ADMIN).startswith(
        "When Khalifa Haftar, the leader"
    )
    assert display_title(seeded_qa, SEED_FILE, "Libya's war", ADMIN) == "Libya's war"
    assert first_words("Harbour Manual\n\nThis manual describes") == "Harbour Manual"
    assert first_words("one two three four", 2) == "one two…"


def test_documents_are_listed_with_titles_and_passage_counts(seeded_qa: QA) -> None:
    [seed] = [d for d in list_documents(seeded_qa, ADMIN) if d.source == SEED_FILE]
    assert seed.passages == seeded_qa.sources()[SEED_FILE] and seed.title.startswith("When Khalifa")


def test_the_file_of_a_source_is_found_and_checked_against_what_was_indexed(qa: QA, docs: Path) -> None:
    (docs / "note.txt").write_text("The pier opens at six in the morning.\n")
    qa.ingest(docs)
    path = document_file(qa, "note.txt", ADMIN)
    assert path == (docs / "note.txt").resolve() or path == docs / "note.txt"
    assert not file_changed(qa, "note.txt", docs / "note.txt", ADMIN)
    (docs / "note.txt").write_text("The pier opens at seven.\n")
    assert file_changed(qa, "note.txt", docs / "note.txt", ADMIN)
    assert document_file(qa, "missing.txt", ADMIN) is None
    (docs / "note.txt").unlink()
    assert document_file(qa, "note.txt", ADMIN) is None


def test_documents_are_read_only_through_the_permission_check(qa: QA, tmp_path: Path) -> None:
    alice, bob = User("alice"), User("bob")
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "memo.txt").write_text("The Zephyr memo names the price of Quillon: 412 million euros.\n")
    qa.library.create("alice-private", ADMIN, owner="alice")
    qa.ingest(folder, collection="alice-private", user=alice)
    source = "alice-private/memo.txt"
    assert document_file(qa, source, alice) == folder / "memo.txt"
    assert [(d.source, d.changeable) for d in list_documents(qa, alice)] == [(source, True)]
    assert "412" in document_text(qa, source, alice)
    assert document_file(qa, source, bob) is None and list_documents(qa, bob) == []
    with pytest.raises(SourceNotFoundError):
        document_text(qa, source, bob)
    with pytest.raises(SourceNotFoundError):
        file_changed(qa, source, folder / "memo.txt", bob)
    assert display_title(qa, source, "memo", bob) == "memo.txt"  # not its first words: bob may not read them
    assert display_title(qa, source, "memo", alice).startswith("The Zephyr memo")
