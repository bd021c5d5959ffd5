"""Files through the chat's server (issue 15): served only by the app's route after the permission check,
gone everywhere once removed, and nothing fetched by the server because a request named it.

Each test runs against the real server of `conftest.login_app` (Gradio in uvicorn on loopback), speaking
HTTP as an attacker's script would (`ui_client.UIClient`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import gradio.processing_utils
import pytest
import safehttpx
from gradio.utils import get_upload_folder
from ui_client import Recorder, UIClient

from access.permissions import ADMIN
from qa import QA

MEMO = (
    "# Zephyr memo\n\nThe Zephyr merger memo says the company will buy Quillon Ltd for 412 million euros in March. "
    "The deal team meets every Tuesday in room 7.\n"
)
Client = Callable[[str | None], UIClient]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def copies(text: str, folders: list[Path]) -> list[Path]:
    """Every file under `folders` holding `text`."""
    marker = text.encode("utf-8")
    return [p for f in folders if f.is_dir() for p in f.rglob("*") if p.is_file() and marker in p.read_bytes()]


def cache_folders(qa: QA) -> list[Path]:
    """Where copies of an upload could be kept: Gradio's upload folder, the kept uploads, old download folders."""
    temp = Path(tempfile.gettempdir())
    return [Path(get_upload_folder()), qa.settings.data_dir / "uploads", *temp.glob("qa-downloads-*")]


def test_bob_cannot_download_alices_upload_by_its_gradio_url_or_the_document_route(
    client: Client, login_app: tuple[str, QA], tmp_path: Path
) -> None:
    alice, bob, anonymous = client("alice"), client("bob"), client(None)
    uploaded = alice.upload(write(tmp_path, "alice_private.md", MEMO))  # the Gradio temp path the attack used
    status = alice.add_uploaded(uploaded, None)
    assert "Indexed alice_private.md in alice-private" in status
    source = "alice-private/alice_private.md"
    assert source in login_app[1].sources()
    for session in (bob, alice, anonymous):  # Gradio's file route serves nobody, not even the owner
        response = session.http.get(f"gradio_api/file={uploaded['path']}")
        assert response.status_code in (401, 404) and "Quillon" not in response.text
    assert not Path(uploaded["path"]).exists()  # Gradio's copy went once the file was indexed
    assert bob.http.get(f"document/{source.replace('/', '%2F')}").status_code == 404  # as if it did not exist
    assert bob.http.get("document/..%2F..%2Falice-private%2Falice_private.md").status_code == 404
    assert anonymous.http.get(f"document/{source}").status_code == 401
    mine = alice.http.get(f"document/{source.replace('/', '%2F')}")
    assert mine.status_code == 200 and mine.text == MEMO
    assert mine.headers["content-type"] == "application/octet-stream" and mine.headers["x-content-type-options"]
    assert mine.headers["content-disposition"].startswith("attachment")  # never rendered in the app's origin
    alice.open_documents()
    assert "Removed" in alice.remove_document(source)


def test_bob_cannot_remove_or_replace_documents_he_may_not_change_through_the_queue_api(
    client: Client, login_app: tuple[str, QA], tmp_path: Path
) -> None:
    qa = login_app[1]
    alice, bob = client("alice"), client("bob")
    assert "Indexed" in alice.add_document(write(tmp_path, "plans.md", MEMO), None)
    source = "alice-private/plans.md"
    bob.open_documents()  # bob's lists, as his page would have them
    for target in (source, "000_e92089c36fa5833b.txt"):  # alice's private upload, and the admins' public seed
        outcome = bob.completed("remove-yes", "click", [target])
        assert not outcome["success"] or "qa-rejected" in outcome["output"]["data"][0]
    replacement = bob.upload(write(tmp_path / "bob", "plans.md", "The Quillon deal costs 1 euro."))
    forged = bob.completed("upload", "upload", [[replacement], "alice-private"])  # a collection not offered to him
    assert not forged["success"] or "qa-rejected" in forged["output"]["data"][0]
    assert qa.sources()[source] == 1 and "000_e92089c36fa5833b.txt" in qa.sources()
    assert qa.library.document_file(source, ADMIN).read_text() == MEMO
    alice.open_documents()
    assert "Removed" in alice.remove_document(source)


def test_a_removed_document_leaves_no_readable_copy_anywhere(
    client: Client, login_app: tuple[str, QA], tmp_path: Path
) -> None:
    qa = login_app[1]
    alice = client("alice")
    marker = "The Halcyon memo says the board meets in the orangery at dawn."
    uploaded = alice.upload(write(tmp_path, "halcyon.md", f"# Halcyon\n\n{marker}\n"))
    assert "Indexed" in alice.add_uploaded(uploaded, None)
    source = "alice-private/halcyon.md"
    assert [p.parent.name for p in copies(marker, cache_folders(qa))] == ["alice-private"]  # the kept upload only
    alice.open_documents()
    assert "Removed" in alice.remove_document(source)
    assert copies(marker, cache_folders(qa)) == []
    assert source not in qa.sources()
    assert alice.http.get(f"document/{source.replace('/', '%2F')}").status_code == 404
    assert alice.http.get(f"gradio_api/file={uploaded['path']}").status_code == 404


def test_a_file_named_by_url_is_refused_and_the_server_fetches_nothing(
    client: Client, login_app: tuple[str, QA], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Gradio fetches from public addresses only: let loopback pass for public, as an attacker's server would
    monkeypatch.setattr(safehttpx, "is_public_ip", lambda ip: True)
    monkeypatch.setattr(gradio.processing_utils, "is_public_ip", lambda ip: True)
    recorder = Recorder()
    bob = client("bob")
    upload_event = bob.event("upload", "upload")
    try:
        port = recorder.server_address[1]
        for path in (f"{recorder.url}memo.md", f"//127.0.0.1:{port}/memo.md", "data:text/plain,x"):
            named = {"path": path, "orig_name": "memo.md", "meta": {"_type": "gradio.FileData"}}
            response = bob.join(upload_event, [[named], None])
            assert response.status_code == 400 and "never named by URL" in response.text
        assert bob.http.get(f"gradio_api/file={recorder.url}memo.md").status_code == 404
        assert bob.http.get(f"gradio_api/proxy={recorder.url}memo.md").status_code == 404
        assert recorder.requests == []
    finally:
        recorder.shutdown()
    elsewhere = write(tmp_path, "secret.md", "The vault code is 7391.")  # a file on the server, not an upload
    named = {"path": str(elsewhere), "orig_name": "secret.md", "meta": {"_type": "gradio.FileData"}}
    assert bob.join(upload_event, [[named], None]).status_code == 400
    assert elsewhere.exists() and not any("secret.md" in s for s in login_app[1].sources())
