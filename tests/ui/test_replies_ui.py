"""The three replies in the chat (issue 21), in Chromium: the answering words in bold, an unsure reply unlike
an answer or an abstention."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page
from ui_driver import ask, chat_of

from qa import QA

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_the_answering_words_are_bold_inside_the_cited_sentence(page: Page) -> None:
    ask(page, "When did Haftar announce his offensive on Tripoli?", 0)
    key = page.locator("#chat .qa-answer strong.qa-key").first
    assert key.inner_text() == "April 4"
    assert int(key.evaluate("e => getComputedStyle(e).fontWeight")) >= 700


def test_an_unsure_reply_looks_different_and_makes_no_claim(browser: Browser, tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index", answer={"answer_above": 0.999, "unsure_above": 0.001})  # all unsure
    qa.ingest(SEEDS)
    with chat_of(browser, qa) as page:
        text = ask(page, "When did Haftar announce his offensive on Tripoli?", 0)
        assert "The sources may not answer this" in text
        unsure = page.locator("#chat .qa-unsure").first
        assert unsure.evaluate("e => getComputedStyle(e).borderLeftStyle") == "dashed"  # not the abstention's solid
        assert page.locator("#chat a.qa-cite").count() == 0
        assert "Closest passages" in page.locator("#sources").inner_text()
