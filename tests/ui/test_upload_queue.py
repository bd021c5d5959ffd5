"""Uploads in the chat lose nothing and say everything (issue 22, items 1 and 7), in Chromium: files chosen while
another indexes queue and each shows its state; a file keeps the name it was given or is refused saying
why; an empty file is refused and leaves nothing behind."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from playwright.sync_api import Browser, Page
from ui_driver import LONG, chat_of, open_tab, upload

from access.permissions import ADMIN
from index.lock import writer_lock
from qa import QA
from ui.uploads import Job, UploadQueue


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def line(page: Page, name: str, state: str) -> None:
    """Wait until the upload line of `name` shows `state`."""
    page.locator(f"#upload-status li[data-state={state}]", has_text=name).wait_for(timeout=LONG)


def test_files_chosen_while_another_indexes_wait_their_turn_and_each_says_its_state(
    browser: Browser, tmp_path: Path
) -> None:
    qa = QA(data_dir=tmp_path / "index", writer_wait=0.2)
    files = tmp_path / "files"
    first = write(files, "first.md", "# First\n\nThe first ferry leaves at six.\n")
    second = write(files, "second.md", "# Second\n\nThe second ferry leaves at seven.\n")
    third = write(files, "third.md", "# Third\n\nThe third ferry leaves at eight.\n")
    fourth = write(files, "fourth.md", "# Fourth\n\nThe fourth ferry leaves at nine.\n")
    with chat_of(browser, qa) as page:
        page.wait_for_selector("#question textarea", timeout=LONG)
        open_tab(page, "Documents")
        with writer_lock(qa.settings.data_dir, 10):  # another ingest holds the index: the first upload must wait
            page.set_input_files("#upload input[type=file]", str(first))
            line(page, "first.md", "indexing")
            page.set_input_files("#upload input[type=file]", str(second))  # one more, while the first indexes
            line(page, "second.md", "waiting")
            page.set_input_files("#upload input[type=file]", [str(third), str(fourth)])  # two chosen together
            line(page, "third.md", "waiting")
            line(page, "fourth.md", "waiting")
            page.locator("#upload-status li", has_text="waiting for another ingest").wait_for(timeout=LONG)
            assert qa.sources() == {}
        for name in ("first.md", "second.md", "third.md", "fourth.md"):
            line(page, name, "done")
        page.locator("#sources-table", has_text="fourth.md").wait_for(timeout=LONG)  # listed once indexed
    assert set(qa.sources()) == {"first.md", "second.md", "third.md", "fourth.md"}


def test_a_file_keeps_its_name_or_is_refused_saying_why_and_an_empty_one_leaves_nothing(
    browser: Browser, tmp_path: Path
) -> None:
    qa = QA(data_dir=tmp_path / "index")
    files = tmp_path / "files"
    odd = write(files, 'report <draft> |v2| "final".md', "# Report\n\nThe harbour fees rise by three percent.\n")
    control = write(files, "tab\there.md", "# Tab\n\nA name with a tab in it.\n")
    empty = write(files, "empty.md", "")
    with chat_of(browser, qa) as page:
        page.wait_for_selector("#question textarea", timeout=LONG)
        assert "Indexed" in upload(page, odd)  # Gradio's own copy drops < > | " : the name as given is kept
        refused = upload(page, control)
        assert "Rejected" in refused and "control character (U+0009)" in refused
        refused = upload(page, empty)
        assert "Rejected empty.md" in refused and "no text" in refused
        page.locator("#sources-table", has_text="|v2|").wait_for(timeout=LONG)
    assert set(qa.sources()) == {'report <draft> |v2| "final".md'}
    uploads = qa.settings.data_dir / "uploads"
    kept = sorted(p.name for p in uploads.rglob("*") if p.is_file() and not p.name.endswith(".lock"))
    assert kept == ['report <draft> |v2| "final".md']  # nothing of the refused ones, nothing left queued


def test_uploads_still_queued_when_the_server_stopped_are_indexed_at_the_next_start(tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index")
    job = Job("0123456789abcdef", ADMIN.name, "ferry_notes.md", "default")
    folder = qa.settings.data_dir / "uploads" / ".queue" / job.id  # as a stopped server left it
    folder.mkdir(parents=True)
    (folder / "file").write_text("# Ferry notes\n\nThe first ferry leaves at six.\n", encoding="utf-8")
    (folder / "job.json").write_text(json.dumps(asdict(job)), encoding="utf-8")
    queue = UploadQueue(qa, lambda name: ADMIN)  # the server starting again
    assert queue.wait_idle(300)
    [done] = queue.jobs(ADMIN.name)
    assert (done.state, done.message) == ("done", "added, 1 passage")
    assert "ferry_notes.md" in qa.sources() and not folder.exists()
    assert (qa.settings.data_dir / "uploads" / "ferry_notes.md").is_file()
