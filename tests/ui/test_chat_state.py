"""The conversation's state (issue 14, items 5, 6 and 8), in Chromium.

Clearing the chat clears everything that follows from it, Copy copies text with its sources, the
conversation survives a reload, a new chat starts over, and the documents searched can be chosen.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.sync_api import Page
from ui_driver import PDF_NAME, choose, click_marker, wait_until
from ui_driver import ask as ask_question

from qa import QA

SEED_FILE = "000_e92089c36fa5833b.txt"
FIRST = "When did Haftar announce his offensive on Tripoli?"
SECOND = "Which countries are Haftar's main international backers?"


def feedback_lines(qa: QA) -> list[str]:
    path = qa.settings.data_dir / "feedback.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def test_clearing_the_chat_clears_its_passages_and_feedback_follows_the_new_question(
    page: Page, app: tuple[str, QA]
) -> None:
    ask_question(page, FIRST, 0)
    page.click("#chat button[aria-label='Clear']")
    page.locator("#sources .qa-sources-empty").wait_for()
    assert page.locator("#chat .message").count() == 0
    before = len(feedback_lines(app[1]))
    ask_question(page, SECOND, 0)
    page.locator("#chat button[aria-label='Like']").last.click()
    wait_until(lambda: len(feedback_lines(app[1])) > before)
    record = json.loads(feedback_lines(app[1])[-1])
    assert record["question"] == SECOND and record["vote"] == "up"
    assert FIRST not in page.locator("#sources").inner_text()


def test_copy_puts_the_answer_as_text_with_its_sources_on_the_clipboard(open_page: Callable[..., Page]) -> None:
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    ask_question(page, FIRST, 0)
    page.locator("#chat .message.bot").last.get_by_role("button", name="Copy answer with sources").click()
    page.locator("#chat .qa-copy", has_text="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "April 4" in copied and "[1]" in copied
    assert "self-declared" in copied and "&#" not in copied and "<" not in copied
    assert "[1] When Khalifa Haftar" in copied and SEED_FILE in copied and "Sources:" in copied


def test_the_conversation_survives_a_reload_and_its_citations_still_open(page: Page, app: tuple[str, QA]) -> None:
    ask_question(page, FIRST, 0)
    page.reload()
    page.locator("#chat .message.bot .qa-final").wait_for(state="attached")
    assert FIRST in page.locator("#chat .message.user").first.inner_text()
    assert "April 4" in page.locator("#chat .message.bot").first.inner_text()
    click_marker(page, turn=0)
    page.locator("#viewer mark.qa-doc-quote").wait_for()
    before = len(feedback_lines(app[1]))
    page.locator("#chat button[aria-label='Dislike']").last.click()
    wait_until(lambda: len(feedback_lines(app[1])) > before)
    assert json.loads(feedback_lines(app[1])[-1])["question"] == FIRST


def test_new_chat_starts_over_and_stays_empty_after_a_reload(page: Page) -> None:
    ask_question(page, FIRST, 0)
    page.click("#new-chat")
    page.locator("#sources .qa-sources-empty").wait_for()
    assert page.locator("#chat .message").count() == 0
    assert page.locator("#viewer .qa-viewer-empty").count() == 1
    page.reload()
    page.wait_for_selector("#question textarea")
    page.locator("#sources .qa-sources-empty").wait_for()
    assert page.locator("#chat .message").count() == 0


def test_search_in_limits_answers_to_the_chosen_documents(page: Page) -> None:
    choose(page, "scope", PDF_NAME)
    page.keyboard.press("Escape")
    ask_question(page, FIRST, 0)
    files = page.locator("#sources .qa-turn .qa-file").all_inner_texts()
    assert files and set(files) == {PDF_NAME}


def test_settings_are_in_plain_words(page: Page) -> None:
    page.get_by_text("Options", exact=True).click()
    page.locator("#top-k").wait_for()
    text = page.locator("body").inner_text()
    assert "top-k" not in text.lower() and "Passages to read per question" in text
