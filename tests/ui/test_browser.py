"""The chat UI end to end in headless Chromium (Debian's `chromium`, driven by Playwright).

The app of `conftest.py` runs on a free loopback port over a temporary index of `seeds/` and a
PDF; each test drives it as a person would.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser, Page
from ui_driver import ask, free_port, upload, wait_until

from qa import QA
from ui.app import launch

SEED_FILE = "000_e92089c36fa5833b.txt"


def test_seed_question_is_answered_and_its_citation_shows_the_highlighted_passage(page: Page, tmp_path: Path) -> None:
    answer = ask(page, "When did Haftar announce his offensive on Tripoli?", 0)
    assert "April 4" in answer
    page.locator("#chat a.qa-cite").first.click()
    focused = page.locator("#sources .qa-source.qa-focus")
    focused.wait_for()
    assert SEED_FILE in focused.locator(".qa-file").inner_text()
    assert "April 4" in focused.locator("mark").first.inner_text()
    page.screenshot(path=str(tmp_path / "answered-chat.png"), full_page=True)
    assert (tmp_path / "answered-chat.png").stat().st_size > 10_000


def test_unanswerable_question_shows_an_abstention_with_closest_passages(page: Page) -> None:
    answer = ask(page, "Who won the 2018 FIFA World Cup?", 0)
    assert "The sources do not answer this" in answer
    assert "Closest passages" in page.locator("#sources").inner_text()


def test_follow_up_question_is_understood_in_context(page: Page) -> None:
    ask(page, "What was Haftar's offensive on Tripoli?", 0)
    assert "April 4" in ask(page, "When did it start?", 1)


def test_uploaded_document_is_indexed_and_answers_questions(page: Page, tmp_path: Path) -> None:
    doc = tmp_path / "lighthouse_rules.md"
    doc.write_text("# Lighthouse rules\n\nThe keeper of Grey Point must ring the fog bell every ninety seconds.\n")
    assert "Indexed" in upload(page, doc)
    page.locator("#sources-table", has_text="lighthouse_rules.md").wait_for(timeout=60_000)  # refreshed after
    page.click("button[role=tab]:has-text('Ask')")
    answer = ask(page, "How often must the keeper ring the fog bell?", 0)
    assert "ninety seconds" in answer
    assert "lighthouse_rules.md" in page.locator("#sources .qa-source .qa-file").first.inner_text()


def test_rejected_upload_says_why(page: Page, tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    line = upload(page, bad)
    assert line.startswith("Rejected broken.pdf")


def test_a_source_with_a_script_tag_runs_no_script_and_loads_nothing_from_outside(page: Page, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile <img src=x onerror=alert(1)>.txt"
    hostile.write_text(
        "The quartermaster stores the harpoons in the west hold. "
        "<script>window.__pwned = 1; alert('xss')</script> "
        '<img src="http://203.0.113.9/pixel.png" onerror="window.__pwned = 2"> '
        "![tracker](http://203.0.113.9/tracker.png)\n"
    )
    assert "Indexed" in upload(page, hostile)
    page.click("button[role=tab]:has-text('Ask')")
    ask(page, "Where does the quartermaster store the harpoons?", 0)
    page.locator("#chat a.qa-cite").first.click()
    page.locator("#sources .qa-source.qa-focus").wait_for()  # the click was handled
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert "<script>" in page.locator("#sources").inner_text()  # shown as text
    outside = [u for u in page.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]  # type: ignore[attr-defined]
    assert outside == []


def test_feedback_buttons_append_to_the_feedback_file(page: Page, app: tuple[str, QA]) -> None:
    feedback = app[1].settings.data_dir / "feedback.jsonl"
    before = feedback.read_text().count("\n") if feedback.exists() else 0
    ask(page, "Which countries are Haftar's main international backers?", 0)
    page.locator("#chat button[aria-label='Dislike']").last.click()
    wait_until(lambda: feedback.exists() and feedback.read_text().count("\n") > before)
    record = json.loads(feedback.read_text().splitlines()[-1])
    assert record["vote"] == "down"
    assert record["question"] == "Which countries are Haftar's main international backers?"
    assert record["citations"][0]["source"] == SEED_FILE


def test_ask_is_callable_through_gradio_client(app: tuple[str, QA]) -> None:
    from gradio_client import Client

    client = Client(app[0], verbose=False)
    result = client.predict("When did Haftar announce his offensive on Tripoli?", 3, api_name="/ask")
    assert result["abstained"] is False
    assert "April 4" in result["answer"]
    assert result["citations"][0]["source"] == SEED_FILE
    assert len(result["passages"]) == 3


def test_llm_mode_is_offered_and_shown_when_a_model_is_configured(
    browser: Browser, app: tuple[str, QA], tmp_path: Path
) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    qa = app[1]
    question = "When did Haftar announce his offensive on Tripoli?"
    n = next(p.rank for p in qa.retrieve(question) if "April 4" in p.chunk.text)
    fake = FakeListChatModel(responses=[f"Haftar announced the offensive on April 4 [{n}]. He had 90,000 tanks [{n}]."])
    port = free_port()
    demo = launch(QA(settings=qa.settings, chat_model=fake), "127.0.0.1", port, block=False)
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#question textarea")
        assert page.locator("#mode").is_visible()
        answer = ask(page, question, 0)
        assert "April 4" in answer and "written by the language model" in answer
        assert "90,000 tanks" in page.locator("#chat .qa-unsupported").inner_text()
        page.close()
    finally:
        demo.close()
