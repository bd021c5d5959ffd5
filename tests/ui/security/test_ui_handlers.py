"""The chat's handlers act as the session's user (issue 15): what a forged request can and cannot reach.

No server here: the handlers are called as Gradio calls them, with a request that carries the login
name, and with data a browser could have forged (its stored chat, a dropdown's value, a file path).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pytest
from ui_client import as_text

from access.feedback import FeedbackFile
from access.login import Authenticator, build_authenticator
from access.permissions import ADMIN, COLLECTION_NAME, PermissionDeniedError, User, private_collection
from qa import QA
from ui.chat import ChatHandlers
from ui.documents import DocumentManager
from ui.routes import RequestGuard
from ui.session import Sessions
from ui.viewer import GONE, CitationViewer

MEMO = "The Zephyr merger memo says the company will buy Quillon Ltd for 412 million euros in March."
QUESTION = "How much will the company pay for Quillon?"


@dataclass
class Request:
    """What the handlers read of a Gradio request: who logged in."""

    username: str | None


@pytest.fixture
def shared(qa: QA, tmp_path: Path) -> tuple[QA, Sessions]:
    """Alice's private memo in an index with login on (alice and bob)."""
    users = qa.settings.accounts.model_copy(update={"dev_plaintext_users": "alice:alice-pass1,bob:bob-pass1"})
    authenticator = build_authenticator(qa.settings.model_copy(update={"accounts": users}))
    assert isinstance(authenticator, Authenticator)
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "memo.txt").write_text(MEMO, encoding="utf-8")
    qa.library.create("alice-private", ADMIN, owner="alice")
    qa.ingest(tmp_path / "alice", collection="alice-private", user=User("alice"))
    return qa, Sessions(authenticator, qa.settings)


def answer_turns(chat: ChatHandlers, name: str, question: str = QUESTION) -> list[dict[str, object]]:
    *_, final = chat.respond(question, [], 5, "extractive", None, Request(name))  # type: ignore[arg-type]
    return list(final[1])


def like(chat: ChatHandlers, turns: list[dict[str, object]], name: str) -> None:
    chat.like(turns, gr.LikeData(None, {"index": 1, "value": "", "liked": True}), Request(name))  # type: ignore[arg-type]


def upload(documents: DocumentManager, path: str, target: str | None, name: str) -> str:
    """Upload as the page does; the status once the queue has finished (the refusal of the whole upload, or
    the user's upload lines)."""
    _, status, *_ = documents.add([path], target, Request(name))  # type: ignore[arg-type]
    if str(status).startswith('<p class="qa-rejected">'):
        return as_text(status)
    assert documents.uploads.wait_idle(300)
    return as_text(documents.progress(Request(name))[0])  # type: ignore[arg-type]


def test_feedback_is_recorded_only_for_an_answer_given_to_that_user(shared: tuple[QA, Sessions]) -> None:
    qa, sessions = shared
    chat = ChatHandlers(qa, sessions)
    turns = answer_turns(chat, "alice")
    assert "412 million" in str(turns[0]["answer"])
    like(chat, turns, "bob")  # bob's session holding alice's answer (a copied browser state)
    forged = [{**turns[0], "answer": {**turns[0]["answer"], "answer": "Quillon costs 1 euro. [1]"}}]  # type: ignore[dict-item]
    like(chat, forged, "alice")  # an answer the server never gave
    like(chat, [{**turns[0], "signature": ""}], "alice")  # unsigned, as kept by an older browser state
    assert isinstance(chat.feedback, FeedbackFile)
    assert not chat.feedback.path.exists()
    like(chat, turns, "alice")
    [record] = [json.loads(line) for line in chat.feedback.path.read_text().splitlines()]
    assert record["user"] == "alice" and "412 million" in record["answer"] and record["vote"] == "up"


def test_a_removed_account_gets_no_answer(shared: tuple[QA, Sessions]) -> None:
    qa, sessions = shared
    *_, final = ChatHandlers(qa, sessions).respond(QUESTION, [], 5, "extractive", None, Request("mallory"))  # type: ignore[arg-type]
    assert final[1][0]["answer"] is None and "log in again" in final[1][0]["error"]
    with pytest.raises(PermissionDeniedError):
        Sessions(None, qa.settings).user(Request("alice"))  # a login with no accounts behind it: refused, not admin


def test_bob_asks_about_alices_memo_and_gets_nothing_of_it(shared: tuple[QA, Sessions]) -> None:
    qa, sessions = shared
    [turn] = answer_turns(ChatHandlers(qa, sessions), "bob")
    shown = json.dumps(turn)
    # the memo's own words, never a bare "412": a random signature in the turn can hold those digits
    assert "412 million" not in shown and "Quillon Ltd" not in shown and "alice-private" not in shown


def test_the_viewer_opens_only_what_the_user_may_read_even_from_a_forged_chat(shared: tuple[QA, Sessions]) -> None:
    qa, sessions = shared
    alices = answer_turns(ChatHandlers(qa, sessions), "alice")
    forged = json.loads(json.dumps(alices).replace(MEMO, "?"))  # bob's browser naming alice's source, not its text
    viewer = CitationViewer(qa, sessions)
    html, download = viewer.open(json.dumps({"turn": 0, "rank": 1}), forged, Request("bob"))  # type: ignore[arg-type]
    assert "412 million" not in html and "Zephyr" not in html
    assert GONE.split(" (")[0] in html and not download["visible"]
    html, download = viewer.open(json.dumps({"turn": 0, "rank": 1}), alices, Request("alice"))  # type: ignore[arg-type]
    assert "412 million" in html and download["link"] == "document/alice-private%2Fmemo.txt"


def test_uploads_go_to_a_collection_the_user_may_change_and_gradios_copy_is_deleted(
    shared: tuple[QA, Sessions], tmp_path: Path
) -> None:
    qa, sessions = shared
    documents = DocumentManager(qa, sessions)
    gradio_folder = tmp_path / "gradio"
    documents.uploads.upload_folder = gradio_folder.resolve()

    def arrived(name: str, text: str) -> str:
        path = gradio_folder / "0123abcd" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return str(path)

    forged = arrived("plans.txt", "The Quillon deal costs 1 euro.")
    status = upload(documents, forged, "alice-private", "bob")
    assert "bob may not change the collection alice-private" in status and not Path(forged).exists()
    status = upload(documents, arrived("plans.txt", "Bob plans the Zephyr picnic."), None, "bob")
    assert "Indexed" in status and "bob-private/plans.txt" in qa.sources(User("bob"))
    assert qa.library.collection_of("bob-private/plans.txt", ADMIN).owner == "bob"
    assert not (gradio_folder / "0123abcd").exists()  # Gradio's copy and its folder went once indexed
    assert (qa.settings.data_dir / "uploads" / "bob-private" / "plans.txt").is_file()  # the one kept copy
    elsewhere = tmp_path / "server_secret.txt"
    elsewhere.write_text("The vault code is 7391.", encoding="utf-8")
    status = upload(documents, str(elsewhere), None, "bob")
    assert "not uploaded here" in status and elsewhere.exists()
    table, removable, scope, targets = documents.listing(None, None, Request("bob"))  # type: ignore[arg-type]
    assert [c[1] for c in scope["choices"]] == ["bob-private/plans.txt"]
    assert [c[1] for c in removable["choices"]] == ["bob-private/plans.txt"]
    assert targets["choices"] == ["bob-private"] and targets["value"] == "bob-private"
    assert "is not indexed" in as_text(documents.remove("alice-private/memo.txt", Request("bob"))[0])  # type: ignore[arg-type]
    assert "Removed" in as_text(documents.remove("bob-private/plans.txt", Request("bob"))[0])  # type: ignore[arg-type]
    assert not (qa.settings.data_dir / "uploads" / "bob-private" / "plans.txt").exists()


@pytest.mark.parametrize("name", ["alice", "a.b_c-d", "alice@example.org", "x" * 64, "9lives"])
def test_each_user_has_a_valid_private_collection_name_of_their_own(name: str) -> None:
    collection = private_collection(User(name))
    assert COLLECTION_NAME.fullmatch(collection) and collection.endswith("-private")
    assert collection != private_collection(User(name + "x"))


def test_the_guard_refuses_files_named_by_url_or_outside_the_upload_folder(tmp_path: Path) -> None:
    guard = RequestGuard(lambda *_: None, str(tmp_path))  # type: ignore[arg-type,return-value]

    def upload(path: str) -> bytes:
        data = {"data": [[{"path": path, "orig_name": "x.md", "meta": {"_type": "gradio.FileData"}}], None]}
        return json.dumps({**data, "fn_index": 3, "session_hash": "abc"}).encode()

    for url in (
        "http://example.org/x.md",
        "HTTPS://example.org/x",
        "//example.org/x",
        "data:text/plain,x",
        "file:///x",
    ):
        assert "never named by URL" in str(guard.refusal(upload(url)))
    assert guard.refusal(upload("/etc/passwd")) == "that file was not uploaded here"
    assert guard.refusal(upload(str(tmp_path / "ab12" / "x.md"))) is None
    assert guard.refusal(json.dumps({"data": ["How much is Quillon?", 5, ""]}).encode()) is None
