"""Driving the chat in Chromium as a person would: ask, open a tab, pick from a dropdown, upload.

Every helper waits for a condition the UI shows (never for a fixed time), with generous bounds,
so the suite passes on a busy machine.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fpdf import FPDF
from playwright.sync_api import Browser, Page

from qa import QA

LONG = 120_000  # ms: a bound for what the server does (answer, index), not an expected time
PDF_NAME = "harbour_manual.pdf"
PDF_QUOTE = "The harbour master opens the north gate at half past five every morning, after checking the tide tables."
PDF_QUESTION = "When does the harbour master open the north gate?"


def write_manual(path: Path) -> Path:
    """A two-page PDF whose second page, lower down, holds `PDF_QUOTE`."""
    pdf = FPDF()
    pdf.set_title("Harbour Operations Manual")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Harbour Operations Manual", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 7, "This manual describes the daily routines of the Grey Point harbour. " * 6)
    pdf.add_page()
    pdf.multi_cell(0, 7, "Mooring fees are paid at the office beside the fish market. " * 8)
    pdf.set_y(140)
    pdf.multi_cell(0, 7, f"Gates and tides. {PDF_QUOTE} Boats wait in the outer basin until the gate is open.")
    pdf.output(str(path))
    return path


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Stop a server process as Ctrl-C would (SIGINT), and kill it if it has not ended within `seconds`."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Return once `condition()` holds; fail after `timeout` seconds (a bound, not an expected time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def ask(page: Page, question: str, answers_before: int) -> str:
    """Type a question, press Ask, wait until the new bot message is final (the UI marks it) and return its text."""
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        """n => {
            const bots = document.querySelectorAll('#chat .message.bot');
            return bots.length > n && bots[bots.length - 1].querySelector('.qa-final') !== null;
        }""",
        arg=answers_before,
        timeout=LONG,
    )
    return page.locator("#chat .message.bot").last.inner_text()


def open_tab(page: Page, name: str) -> None:
    """Click a tab by its name."""
    page.click(f"button[role=tab]:has-text('{name}')")


def dropdown_options(page: Page, elem_id: str) -> list[str]:
    """The labels a dropdown offers (it is opened, read and closed)."""
    page.click(f"#{elem_id} input")
    options = page.locator(f"#{elem_id} [role=option]")
    options.first.wait_for(state="attached")
    labels = [text.replace("✓", "").strip() for text in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


def choose(page: Page, elem_id: str, text: str) -> None:
    """Pick the option of a dropdown whose label contains `text`."""
    page.click(f"#{elem_id} input")
    page.locator(f"#{elem_id} [role=option]", has_text=text).first.click()


def upload(page: Page, path: Path) -> str:
    """Upload a file on the Documents tab and return its line of the status once it is indexed or rejected.

    The line is the new one: earlier uploads (of the same name too) keep their lines above it.
    """
    open_tab(page, "Documents")
    before = page.eval_on_selector_all("#upload-status li[data-job]", "items => items.map(i => i.dataset.job)")
    page.set_input_files("#upload input[type=file]", str(path))
    handle = page.wait_for_function(
        """([name, before]) => [...document.querySelectorAll('#upload-status li.qa-job-finished[data-job]')]
            .find(li => !before.includes(li.dataset.job) && li.textContent.includes(name))""",
        arg=[path.name, before],
        timeout=LONG,
    )
    return str(handle.evaluate("li => li.innerText"))


def click_marker(page: Page, turn: int, marker: int = 1) -> None:
    """Click citation marker `[marker]` of the answer to question number `turn` (from 0)."""
    page.locator(f'#chat a.qa-cite[href="#cite-{turn}-{marker}"]').first.click()


@contextmanager
def chat_of(browser: Browser, qa: QA) -> Iterator[Page]:
    """A page of a chat of its own over `qa` (for settings the shared app does not have), closed after."""
    from ui.app import launch

    port = free_port()
    demo = launch(qa, "127.0.0.1", port, block=False)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        yield page
    finally:
        context.close()
        demo.close()
