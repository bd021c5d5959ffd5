"""The Documents tab (issue 14, items 1, 2 and 8), in Chromium.

What it lists is what is indexed now, whoever changed it; Remove starts with nothing chosen and
asks first; an upload shows at most one progress bar (its line is the progress), leaves the drop zone
empty and counts in passages.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from ui_driver import LONG, choose, dropdown_options, open_tab, upload, wait_until

from qa import QA

# Records, while it runs, which components show a progress indicator at the same time (at most).
WATCH_PROGRESS = """() => {
    window.__progress = 0;
    window.__seen = new Set();
    const shown = () => [...document.querySelectorAll('.progress-text, .eta-bar, .progress-level')]
        .filter((el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true}))
        .map((el) => (el.closest('[id]') || {}).id);
    new MutationObserver(() => {
        const ids = new Set(shown());
        window.__progress = Math.max(window.__progress, ids.size);
        window.__seen.add([...ids].join());
    }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def note(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_the_tab_lists_documents_indexed_and_removed_since_the_page_opened(
    page: Page, app: tuple[str, QA], tmp_path: Path
) -> None:
    qa = app[1]
    open_tab(page, "Documents")
    page.locator("#sources-table", has_text="harbour_manual.pdf").wait_for()
    doc = note(tmp_path / "elsewhere", "pier_hours.txt", "The east pier is open from six in the morning.\n")
    qa.ingest(doc)  # indexed by someone else: another tab, the CLI
    open_tab(page, "Ask")
    open_tab(page, "Documents")
    page.locator("#sources-table", has_text="pier_hours.txt").wait_for()
    assert any("pier_hours.txt" in option for option in dropdown_options(page, "remove-choice"))
    qa.remove("pier_hours.txt")
    open_tab(page, "Ask")
    open_tab(page, "Documents")
    wait_until(lambda: "pier_hours.txt" not in page.locator("#sources-table").inner_text())
    assert not any("pier_hours.txt" in option for option in dropdown_options(page, "remove-choice"))


def test_remove_starts_with_nothing_chosen_and_asks_before_removing(
    page: Page, app: tuple[str, QA], tmp_path: Path
) -> None:
    qa = app[1]
    doc = note(tmp_path, "dock_rules.txt", "Dock workers wear orange helmets on the quay at all times.\n")
    assert "Indexed" in upload(page, doc)
    page.reload()
    page.wait_for_selector("#question textarea")
    open_tab(page, "Documents")
    page.locator("#sources-table", has_text="dock_rules.txt").wait_for()
    assert page.input_value("#remove-choice input") == ""
    sources_before = qa.sources()
    page.click("#remove")
    page.locator("#remove-status", has_text="Choose a document to remove").wait_for()
    assert qa.sources() == sources_before
    choose(page, "remove-choice", "dock_rules.txt")
    page.click("#remove")
    question = page.locator("#remove-question")
    question.wait_for()
    assert "dock_rules.txt" in question.inner_text() and "1 passage" in question.inner_text()
    assert "dock_rules.txt" in qa.sources()  # nothing removed yet
    page.click("#remove-cancel")
    page.locator("#remove-confirm").wait_for(state="hidden")
    assert "dock_rules.txt" in qa.sources()
    page.click("#remove")
    page.click("#remove-yes")
    page.locator("#remove-status", has_text="Removed").wait_for(timeout=LONG)
    assert "dock_rules.txt" not in qa.sources()
    wait_until(lambda: "dock_rules.txt" not in page.locator("#sources-table").inner_text())
    assert qa.sources() == {k: v for k, v in sources_before.items() if k != "dock_rules.txt"}


def test_an_upload_shows_at_most_one_progress_bar_empties_the_drop_zone_and_counts_passages(
    page: Page, app: tuple[str, QA], tmp_path: Path
) -> None:
    open_tab(page, "Documents")
    page.evaluate(WATCH_PROGRESS)
    line = upload(page, note(tmp_path, "crane_log.txt", "The harbour crane lifts at most forty tonnes.\n"))
    assert "1 passage)" in line and "chunks" not in line
    assert page.evaluate("window.__progress") <= 1, page.evaluate("[...window.__seen]")  # its line is the progress
    wait_until(lambda: "crane_log.txt" not in page.locator("#upload").inner_text())
    app[1].remove("crane_log.txt")
