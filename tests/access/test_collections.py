"""Collections and the one permission check: what one user's documents may and may not reach.

Two users with private collections, a group-shared one and the public default, in one real index
(embedded and server Chroma). Every path into the index is tried as the other user: retrieval in
each mode, answers, listing, removal, ingest and the file behind a source.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from samples import ALICE_MEMO, PUBLIC_FACT, ingest_four_owners, write

from access.permissions import PermissionDeniedError, User
from qa import QA
from qa.errors import QAError, SourceNotFoundError

pytestmark = pytest.mark.chroma_backends

ALICE, BOB, CAROL = User("alice"), User("bob", frozenset({"hr"})), User("carol", frozenset({"finance"}))


@pytest.fixture
def shared(qa: QA, tmp_path: Path) -> QA:
    """One index: alice's and bob's private collections, an hr collection shared with the hr group, the default."""
    return ingest_four_owners(qa, tmp_path)


def test_each_user_lists_only_the_sources_they_may_read(shared: QA) -> None:
    assert set(shared.sources(ALICE)) == {"canteen.txt", "alice-private/memo.txt"}
    assert set(shared.sources(BOB)) == {"canteen.txt", "bob-private/note.txt", "hr/policy.txt"}
    assert set(shared.sources(CAROL)) == {"canteen.txt"}
    assert len(shared.sources()) == 4  # the Python API acts as an admin on its own data directory
    assert [c.name for c in shared.library.collections(CAROL)] == ["default"]


@pytest.mark.parametrize("retrieval", ["hybrid", "dense", "keyword"])
def test_a_question_is_answered_only_from_collections_the_asker_may_read(shared: QA, retrieval: str) -> None:
    question = "How much will the company pay for Quillon in the Zephyr merger?"
    mine = shared.ask(question, retrieval=retrieval, user=ALICE)  # type: ignore[typeddict-item]
    assert "412 million" in mine.text and {c.source for c in mine.citations} == {"alice-private/memo.txt"}
    for other in (BOB, CAROL):
        passages = shared.retrieve(question, k=10, retrieval=retrieval, user=other)  # type: ignore[arg-type]
        theirs = shared.ask(question, k=10, retrieval=retrieval, user=other)  # type: ignore[typeddict-item]
        reached = {p.chunk.source for p in passages} | {p.chunk.source for p in theirs.passages}
        assert "alice-private/memo.txt" not in reached
        assert "412 million" not in theirs.text and "Quillon" not in theirs.text


def test_filtering_happens_inside_the_search_not_after_the_top_k(shared: QA, tmp_path: Path) -> None:
    for i in range(12):  # alice's collection now holds many chunks closer to bob's question than bob's own
        write(tmp_path / "alice", f"zephyr{i:02}.txt", f"Zephyr plant note {i} says welders at Zephyr hire in June.")
    shared.ingest(tmp_path / "alice", collection="alice-private", user=ALICE)
    passages = shared.retrieve("Zephyr plant welders June", k=3, user=BOB)
    assert [p.chunk.source for p in passages][:1] == ["bob-private/note.txt"]
    assert all(not p.chunk.source.startswith("alice-private/") for p in passages)
    assert len(shared.retrieve("Zephyr plant welders June", k=3, user=ALICE)) == 3


def test_a_group_shared_collection_is_read_by_its_groups_only(shared: QA) -> None:
    question = "How many days of paid leave does the policy grant?"
    assert "28 days" in shared.ask(question, user=BOB).text
    assert "hr/policy.txt" not in {p.chunk.source for p in shared.ask(question, k=10, user=CAROL).passages}


def test_another_users_documents_cannot_be_removed_or_named(shared: QA) -> None:
    with pytest.raises(SourceNotFoundError, match="is not indexed"):  # not readable: as if it did not exist
        shared.remove("alice-private/memo.txt", user=BOB)
    with pytest.raises(PermissionDeniedError, match="bob may not change the collection hr"):
        shared.remove("hr/policy.txt", user=BOB)  # readable through the group, but not his
    with pytest.raises(SourceNotFoundError):
        shared.ask("Zephyr?", sources=["alice-private/memo.txt"], user=BOB)
    assert "alice-private/memo.txt" in shared.sources()
    assert shared.remove("alice-private/memo.txt", user=ALICE) > 0
    assert "alice-private/memo.txt" not in shared.sources()


def test_only_an_owner_or_admin_ingests_into_a_collection(shared: QA, tmp_path: Path) -> None:
    folder = write(tmp_path / "intruder", "fake.txt", "The Quillon price is 1 euro.")
    with pytest.raises(PermissionDeniedError, match="bob may not change the collection alice-private"):
        shared.ingest(folder, collection="alice-private", user=BOB)
    with pytest.raises(PermissionDeniedError, match="bob may not change the collection default"):
        shared.ingest(folder, user=BOB)  # the default collection is the admins'
    with pytest.raises(PermissionDeniedError):
        shared.library.create("alice-private", BOB, visibility="public")  # taking over someone's collection
    with pytest.raises(QAError, match="there is no collection 'nope'"):
        shared.ingest(folder, collection="nope", user=ALICE)
    assert "alice-private/fake.txt" not in shared.sources()


def test_the_file_behind_a_source_is_handed_out_only_to_its_readers(shared: QA) -> None:
    assert shared.library.document_file("alice-private/memo.txt", ALICE).read_text() == ALICE_MEMO
    with pytest.raises(SourceNotFoundError):
        shared.library.document_file("alice-private/memo.txt", BOB)
    with pytest.raises(SourceNotFoundError):
        shared.library.document_file("../alice/memo.txt", BOB)


def test_two_users_asking_a_thousand_mixed_questions_never_see_each_others_collection(shared: QA) -> None:
    questions = [
        "How much will the company pay for Quillon?",
        "When does the Zephyr deal team meet?",
        "How many welders will the Zephyr plant hire?",
        "How long will the welders train?",
        "When does the canteen open?",
        "Zephyr merger Quillon welders June Tuesday room 7",
    ]
    other = {ALICE.name: "bob-private/", BOB.name: "alice-private/"}
    words = {ALICE.name: ("welders", "35", "six weeks"), BOB.name: ("Quillon", "412", "room 7")}
    rng = random.Random(7)
    leaks = []
    for n in range(1000):
        user, question = rng.choice((ALICE, BOB)), rng.choice(questions)
        if n % 2:
            reached = [p.chunk.source for p in shared.retrieve(question, k=10, user=user)]
            text = ""
        else:
            answer = shared.ask(question, k=10, user=user)
            reached = [p.chunk.source for p in answer.passages] + [c.source for c in answer.citations]
            text = answer.text
        leaks += [(user.name, question, s) for s in reached if s.startswith(other[user.name])]
        leaks += [(user.name, question, w) for w in words[user.name] if w in text]
    assert leaks == []


def test_an_index_made_before_collections_migrates_to_the_default_collection_without_re_embedding(
    qa: QA, tmp_path: Path
) -> None:
    qa.ingest(write(tmp_path / "old", "canteen.txt", PUBLIC_FACT))
    collection = qa.store.collection
    before = collection.get(include=["embeddings", "metadatas"])
    metadatas = [{k: v for k, v in m.items() if k != "collection"} for m in before["metadatas"]]
    collection.update(ids=before["ids"], metadatas=metadatas)  # as an index of the previous version holds them
    qa.store.local.delete_meta("collections")
    reopened = QA(settings=qa.settings)
    passages = reopened.retrieve("When does the canteen open?", retrieval="dense", user=CAROL)
    assert [p.chunk.source for p in passages] == ["canteen.txt"]
    after = reopened.store.collection.get(include=["embeddings", "metadatas"])
    assert after["ids"] == before["ids"] and (after["embeddings"] == before["embeddings"]).all()
    assert {m["collection"] for m in after["metadatas"]} == {"default"}


def test_removing_an_uploaded_document_deletes_the_kept_copy_and_nothing_else(shared: QA, tmp_path: Path) -> None:
    uploads = shared.settings.data_dir / "uploads" / "alice-private"
    write(uploads, "upload.txt", "The Zephyr upload says the budget is 9 million.")
    shared.ingest(uploads, collection="alice-private", user=ALICE)
    assert shared.remove("alice-private/upload.txt", user=ALICE) > 0
    assert not (uploads / "upload.txt").exists()
    shared.remove("alice-private/memo.txt", user=ALICE)  # ingested from a folder of alice's own: her file stays
    assert (tmp_path / "alice" / "memo.txt").read_text() == ALICE_MEMO


def test_ensuring_a_collection_never_changes_one_that_exists(shared: QA) -> None:
    assert shared.library.ensure("alice-private", ALICE).visibility == "private"
    assert shared.library.ensure("hr", BOB).groups == frozenset({"hr"})  # bob could not have changed it anyway
    made = shared.library.ensure("bob-notes", BOB)
    assert (made.owner, made.visibility) == ("bob", "private")
