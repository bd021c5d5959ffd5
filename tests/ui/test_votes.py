"""A vote is recorded, or the person is told why not (issue 22, item 2), in Chromium.

After a restart an answer's vote is recorded (the answers are signed under the data directory's key: see
`test_restart.py`). Here the key itself is replaced between two runs of the server, so the server can no
longer confirm it gave the answer: the vote is not written, and a warning beside the chat says so.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from ui_driver import LONG, ask, free_port

from qa import QA
from ui.app import launch

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_a_vote_the_server_cannot_record_says_so_instead_of_lighting_up_silently(
    browser: Browser, tmp_path: Path
) -> None:
    qa = QA(data_dir=tmp_path / "index")
    qa.ingest(SEEDS)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    context = browser.new_context()
    page = context.new_page()
    demo = launch(qa, "127.0.0.1", port, block=False)
    try:
        page.goto(url)
        ask(page, "When did Haftar announce his offensive on Tripoli?", 0)
        demo.close()
        (qa.settings.data_dir / "server.key").unlink()  # a new secret: earlier signatures no longer verify
        demo = launch(qa, "127.0.0.1", port, block=False)
        page.reload()
        page.locator("#chat .message.bot").first.wait_for(timeout=LONG)
        page.locator("#chat button[aria-label='Like']").last.click()
        toast = page.locator(".toast-body", has_text="Your vote was not recorded")
        toast.wait_for(timeout=LONG)
        assert "cannot confirm it gave you this answer" in toast.inner_text()
        assert not (qa.settings.data_dir / "feedback.jsonl").exists()
    finally:
        context.close()
        demo.close()
