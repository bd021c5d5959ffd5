"""A restart loses nothing a person did (issue 22, items 2 and 3): `qa serve` in a process of its own, driven in
Chromium: log in, upload, ask, vote; stop the server and start it again; the session, the history, the
document and the vote are all there, and a vote on the answer given before the restart is recorded too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Browser
from ui_driver import LONG, ask, free_port, open_tab, stop, upload, wait_until

from qa import QA

PASSWORD = "alice-s3cret-pass"
RULE = "The keeper of Grey Point must ring the fog bell every ninety seconds when the fog comes in."


@contextmanager
def qa_serve(data: Path, port: int) -> Iterator[str]:
    """`qa serve` (one worker, login on with alice) over `data` on `port` until the block ends; yields its URL."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "QA_ACCOUNTS__DEV_PLAINTEXT_USERS": f"alice:{PASSWORD}",
    }
    command = [
        sys.executable,
        "-m",
        "cli.main",
        "--data-dir",
        str(data),
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    with (data.parent / "server.log").open("ab") as log:
        server = subprocess.Popen(command, stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: _healthy(url, server), timeout=180)
        yield url
    finally:
        stop(server)


def _healthy(url: str, server: subprocess.Popen[bytes]) -> bool:
    assert server.poll() is None, "the server stopped; see server.log"
    try:
        return httpx.get(url + "healthz", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def feedback(data: Path) -> list[dict[str, object]]:
    path = data / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_upload_ask_vote_restart_and_find_the_session_history_document_and_vote(
    browser: Browser, seeded_qa: QA, tmp_path: Path
) -> None:
    data = tmp_path / "index"
    shutil.copytree(seeded_qa.settings.data_dir, data)
    rules = tmp_path / "fog_rules.md"
    rules.write_text(f"# Fog rules\n\n{RULE}\n", encoding="utf-8")
    port = free_port()
    context = browser.new_context(viewport={"width": 1300, "height": 950})
    page = context.new_page()
    try:
        with qa_serve(data, port) as url:
            page.goto(url)
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.locator("#question textarea").wait_for(timeout=LONG)
            assert "Indexed fog_rules.md in alice-private" in upload(page, rules)
            open_tab(page, "Ask")
            assert "ninety seconds" in ask(page, "How often must the keeper ring the fog bell?", 0)
            page.locator("#chat button[aria-label='Like']").last.click()
            wait_until(lambda: len(feedback(data)) == 1)
        with qa_serve(data, port):  # the same address, a new process
            page.reload()
            page.locator("#chat .message.bot").first.wait_for(timeout=LONG)  # the chat, not the login page
            assert page.locator("#password").count() == 0
            assert "ninety seconds" in page.locator("#chat .message.bot").last.inner_text()  # the history
            assert "alice" in page.locator("#logout").inner_text()  # the session
            page.locator("#chat button[aria-label='Dislike']").last.click()  # a vote on the earlier answer
            wait_until(lambda: len(feedback(data)) == 2)
            open_tab(page, "Documents")
            page.locator("#sources-table", has_text="alice-private/fog_rules.md").wait_for(timeout=LONG)
    finally:
        context.close()
    first, second = feedback(data)
    assert (first["vote"], second["vote"]) == ("up", "down")
    assert first["user"] == second["user"] == "alice" and "ninety seconds" in str(second["answer"])
    key = data / "server.key"
    assert key.stat().st_mode & 0o777 == 0o600  # the secret behind sessions and signed answers
