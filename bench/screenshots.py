"""Take the README's screenshots of the chat: desktop light and dark, a 390 px phone, a PDF page citation.

    .venv/bin/python bench/screenshots.py [--out docs]

Indexes `seeds/` and a small generated PDF into a temporary data directory, serves the UI on a free
loopback port and drives Debian's Chromium (`chromium` on PATH) through Playwright, as the browser
tests do. Needs the `dev` extra (fpdf2, playwright).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from fpdf import FPDF
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa import QA  # noqa: E402
from ui.app import launch  # noqa: E402

SEED_QUESTION = "When did Haftar announce his offensive on Tripoli?"
PDF_QUESTION = "When does the harbour master open the north gate?"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars"]


def write_manual(path: Path) -> None:
    """A two-page harbour manual; page 2 answers `PDF_QUESTION`."""
    pdf = FPDF()
    pdf.set_title("Harbour Operations Manual")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Harbour Operations Manual", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(
        0,
        7,
        "This manual describes the daily routines of the Grey Point harbour: gates, tides, "
        "moorings and the duties of the harbour master and the pilots.",
    )
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "2. Gates and tides", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(
        0,
        7,
        "The harbour has two gates, north and south. The north gate serves the fishing fleet and "
        "the south gate the ferries. The harbour master opens the north gate at half past five every "
        "morning, after checking the tide tables. Boats wait in the outer basin until the gate is open. "
        "At spring tides the gate stays shut for an hour either side of low water.",
    )
    pdf.output(str(path))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ask(page: Page, question: str) -> None:
    """Ask and wait for the final answer, then open its first citation and wait for the viewer."""
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function("document.querySelector('#chat .message.bot .qa-final') !== null", timeout=120_000)
    page.locator("#chat a.qa-cite").first.click()
    page.wait_for_function(
        "() => { const i = document.querySelector('#viewer img'); return document.querySelector('#viewer mark') "
        "|| (i && i.complete && i.naturalWidth > 0); }",
        timeout=120_000,
    )
    page.evaluate("document.activeElement && document.activeElement.blur()")


def shoot(browser: Browser, url: str, out: Path, question: str, **options: object) -> None:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#question textarea")
    ask(page, question)
    page.screenshot(path=str(out), full_page=True)
    context.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    out = parser.parse_args().out
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="qa-shots-") as temp:
        manuals = Path(temp) / "manuals"
        manuals.mkdir()
        write_manual(manuals / "harbour_manual.pdf")
        qa = QA(data_dir=Path(temp) / "index")
        qa.ingest(ROOT / "seeds", manuals)
        port = free_port()
        demo = launch(qa, "127.0.0.1", port, block=False)
        url = f"http://127.0.0.1:{port}/"
        desktop = {"viewport": {"width": 1280, "height": 860}}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
                shoot(browser, url, out / "chat.png", SEED_QUESTION, color_scheme="light", **desktop)
                shoot(browser, url, out / "chat-dark.png", SEED_QUESTION, color_scheme="dark", **desktop)
                phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
                shoot(browser, url, out / "chat-mobile.png", SEED_QUESTION, color_scheme="light", **phone)
                shoot(browser, url, out / "pdf-citation.png", PDF_QUESTION, color_scheme="light", **desktop)
                browser.close()
        finally:
            demo.close()


if __name__ == "__main__":
    main()
