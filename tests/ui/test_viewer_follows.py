"""The document viewer always shows what the latest answer cites (issue 22, item 5), in Chromium: a new answer
opens its own first citation, and an abstention clears the viewer, saying there is no passage."""

from __future__ import annotations

from playwright.sync_api import Page
from ui_driver import LONG, PDF_NAME, PDF_QUESTION, ask, click_marker

SEED_FILE = "000_e92089c36fa5833b.txt"
OFF_TOPIC = "What colour is the ceiling of the Sistine Chapel's gift shop?"


def viewer_shows(page: Page, source: str) -> None:
    """Wait until the viewer's header names `source`."""
    page.locator("#viewer .qa-where", has_text=source).wait_for(timeout=LONG)


def test_a_new_answer_replaces_the_earlier_document_and_an_abstention_clears_it(page: Page) -> None:
    ask(page, PDF_QUESTION, 0)
    click_marker(page, 0)
    viewer_shows(page, PDF_NAME)
    assert page.locator("#viewer .qa-page img").count() == 1

    answer = ask(page, "When did Haftar announce his offensive on Tripoli?", 1)
    assert "April 4" in answer
    viewer_shows(page, SEED_FILE)  # the new answer's first citation, not the manual's page
    assert page.locator("#viewer .qa-page").count() == 0
    assert "April 4" in page.locator("#viewer mark").first.inner_text()

    assert "do not answer" in ask(page, OFF_TOPIC, 2)
    page.locator("#viewer #viewer-note").wait_for(timeout=LONG)
    assert "cites no passage" in page.locator("#viewer").inner_text()
    assert page.locator("#viewer .qa-viewer-body").count() == 0  # no document of an earlier answer
    assert not page.locator("#download").is_visible()
