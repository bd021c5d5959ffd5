"""With login on, the chat says who is signed in and offers Log out (issue 14, item 8), in Chromium."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from ui_driver import LONG, chat_of

from access.sessions import SessionTokens
from qa import QA

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_with_login_on_the_chat_offers_log_out(browser: Browser, tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index", accounts={"dev_plaintext_users": "alice:s3cret-pass"})
    qa.ingest(SEEDS)
    with chat_of(browser, qa) as page:
        page.fill("#username", "alice")
        page.fill("#password", "s3cret-pass")
        page.keyboard.press("Enter")
        logout = page.locator("#logout")
        logout.wait_for(timeout=LONG)
        assert "alice" in logout.inner_text()
        logout.click()
        page.locator("#password").wait_for(timeout=LONG)  # back at the login form, saying why
        assert page.locator("#login-message").inner_text() == "You have logged out."
        assert page.locator("#question").count() == 0
        page.goto(page.url.split("login")[0])  # the old session stays ended: the chat sends back to the login
        page.locator("#password").wait_for(timeout=LONG)


def test_without_login_there_is_no_log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#chat").wait_for()
    assert not page.locator("#logout").is_visible()


def test_a_session_ended_elsewhere_says_so_on_the_open_page_and_keeps_the_question(
    browser: Browser, tmp_path: Path
) -> None:
    qa = QA(data_dir=tmp_path / "index", accounts={"dev_plaintext_users": "alice:s3cret-pass"})
    qa.ingest(SEEDS)
    with chat_of(browser, qa) as page:
        page.fill("#username", "alice")
        page.fill("#password", "s3cret-pass")
        page.keyboard.press("Enter")
        page.locator("#logout").wait_for(timeout=LONG)
        SessionTokens(qa.settings.data_dir, 3600).end_all("alice")  # "Log out" in another browser
        page.fill("#question textarea", "When did Haftar announce his offensive on Tripoli?")
        page.click("#ask")
        banner = page.locator("#qa-session-ended")
        banner.wait_for(timeout=LONG)
        assert "Your session has ended" in banner.inner_text()
        assert page.input_value("#question textarea").startswith("When did Haftar")  # nothing typed is lost
        banner.locator("a").click()
        page.locator("#login-message", has_text="Your session has ended").wait_for(timeout=LONG)
