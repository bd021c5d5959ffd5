"""The chat on a phone (issue 22, item 6), in Chromium: a 390 × 844 touch screen, 3 device pixels per CSS pixel.

A cited PDF page first fits the viewer's width; its zoom buttons widen it until its body text is readable,
the page then scrolling sideways inside the viewer, not the whole page; pinch zoom stays the browser's. With
login on, the header's title and Log out button share its row without the button taking it over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
from playwright.sync_api import Browser, Page
from ui_driver import LONG, PDF_NAME, PDF_QUESTION, ask, click_marker, free_port, write_manual

from qa import QA
from ui.app import launch

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
BODY_PT = 12  # the size of the manual's body text (tests/ui_driver.py `write_manual`)
READABLE_PX = 12  # how high that text must be on screen, in CSS pixels, at the highest zoom
MOST_OF_THE_HEADER = 0.4  # the Log out button's largest share of the header row's width

SIZES = """() => {
  const box = document.querySelector('#viewer .qa-page-scroll');
  const rect = (el) => el.getBoundingClientRect().toJSON();
  return {viewer: rect(document.querySelector('#viewer')), box: rect(box), client: box.clientWidth,
          scroll: box.scrollWidth, image: rect(box.querySelector('img')),
          mark: rect(box.querySelector('.qa-page-mark')),
          level: document.querySelector('#viewer .qa-zoom-level').textContent,
          page: document.documentElement.scrollWidth};
}"""

QUIET = "!document.querySelector('.pending')"  # no request under way (Gradio fades what waits for one)
OPENED = "Number(document.querySelector('#viewer').dataset.opened || 0)"  # documents the viewer has shown (ui.theme)
# what may stop a pinch on the page: a viewport that may not scale, or a touch-action without pinch-zoom
PINCH = """() => {
  const blocked = [];
  for (let node = document.querySelector('#viewer .qa-page img'); node; node = node.parentElement) {
    const action = getComputedStyle(node).touchAction;
    if (!['auto', 'manipulation'].includes(action) && !action.includes('pinch-zoom')) blocked.push(action);
  }
  return blocked;
}"""


def viewport_scales(content: str) -> bool:
    """Whether a viewport meta tag's `content` lets the reader zoom (no user-scalable=no, no maximum-scale=1)."""
    fields = dict(part.split("=", 1) for part in content.replace(" ", "").lower().split(",") if "=" in part)
    return fields.get("user-scalable", "yes") not in ("no", "0") and float(fields.get("maximum-scale", "10")) > 1


def test_viewport_scales_reads_the_meta_tag() -> None:
    assert viewport_scales("width=device-width, initial-scale=1, shrink-to-fit=no")
    assert not viewport_scales("width=device-width, initial-scale=1, user-scalable=no")
    assert not viewport_scales("width=device-width, maximum-scale=1")


def test_a_pdf_page_fits_a_phone_and_zooms_to_readable_text(open_page: Callable[..., Page], tmp_path: Path) -> None:
    with pdfium.PdfDocument(write_manual(tmp_path / PDF_NAME)) as pdf:  # the manual the app indexed, made alike
        page_pt = pdf[1].get_width()  # page 2 holds the quote
    page = open_page(**PHONE)
    assert viewport_scales(page.get_attribute('meta[name="viewport"]', "content") or "")
    ask(page, PDF_QUESTION, 0)
    page.wait_for_function(QUIET, timeout=LONG)
    opened = page.evaluate(OPENED)
    click_marker(page, turn=0)
    page.wait_for_function(f"{OPENED} > {opened}", timeout=LONG)
    page.wait_for_function(QUIET, timeout=LONG)  # nothing else on its way to the viewer
    assert page.evaluate(PINCH) == [], "a touch-action stops pinch zoom on the page"
    zoom_in = page.locator("#viewer").get_by_role("button", name="Zoom in")
    assert zoom_in.count() == 1, "the viewer has no zoom buttons"
    fit = page.evaluate(SIZES)
    assert fit["level"] == "100%"
    assert fit["image"]["width"] <= fit["client"] <= fit["viewer"]["width"], "the page is wider than the viewer"
    assert fit["scroll"] <= fit["client"], "the fitted page scrolls sideways"

    for _ in range(10):  # a bound: the buttons say when the highest zoom is reached
        if zoom_in.get_attribute("aria-disabled") == "true":
            break
        zoom_in.click()
    assert zoom_in.get_attribute("aria-disabled") == "true", "no highest zoom"
    most = page.evaluate(SIZES)
    text_px = BODY_PT * most["image"]["width"] / page_pt
    assert text_px >= READABLE_PX, f"12 pt text is {text_px:.1f} px high at {most['level']}"
    assert most["mark"]["height"] >= READABLE_PX, f"a line of the quote is {most['mark']['height']:.1f} px high"
    assert most["scroll"] > most["client"], "the zoomed page does not scroll sideways in the viewer"
    assert most["box"]["right"] <= most["viewer"]["right"] and most["page"] <= 390, "the zoomed page overflows"
    box = most["box"]
    mark = most["mark"]
    assert mark["bottom"] > box["top"] and mark["top"] < box["bottom"] and mark["left"] < box["right"], (
        "the zoom lost the quote from view"
    )
    scrolled = page.locator("#viewer .qa-page-scroll").evaluate(
        "box => { box.scrollLeft = 1e6; return box.scrollLeft; }"
    )
    assert scrolled > 0, "the zoomed page cannot be scrolled sideways"

    page.locator("#viewer").get_by_role("button", name="Zoom out").focus()  # the buttons work from the keyboard
    page.keyboard.press("Enter")
    assert page.evaluate(SIZES)["image"]["width"] < most["image"]["width"]
    page.locator("#viewer").get_by_role("button", name="Fit the page to the viewer's width").click()
    back = page.evaluate(SIZES)
    assert back["level"] == "100%" and back["image"]["width"] == fit["image"]["width"]


@contextmanager
def phone_chat(browser: Browser, qa: QA) -> Iterator[Page]:
    """A page on a phone of a chat of its own over `qa`, closed after."""
    port = free_port()
    demo = launch(qa, "127.0.0.1", port, block=False)
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        yield page
    finally:
        context.close()
        demo.close()


def test_with_login_on_the_header_fits_a_phone(browser: Browser, tmp_path: Path) -> None:
    qa = QA(data_dir=tmp_path / "index", accounts={"dev_plaintext_users": "alice:s3cret-pass"})
    with phone_chat(browser, qa) as page:
        page.locator("input[type=password]").wait_for(timeout=LONG)
        page.locator("input:not([type=password]):not([type=hidden])").first.fill("alice")
        page.fill("input[type=password]", "s3cret-pass")
        page.keyboard.press("Enter")
        logout = page.locator("#logout")
        logout.wait_for(timeout=LONG)
        page.locator("#question textarea").wait_for(timeout=LONG)
        button, row, title = logout.evaluate(
            """button => [button, button.parentElement, button.parentElement.firstElementChild]
                .map((el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
        )
        width = (button[2] - button[0]) / (row[2] - row[0])
        assert width <= MOST_OF_THE_HEADER, f"Log out takes {width:.0%} of the header"
        assert title[2] <= button[0] and button[1] < title[3], "the title and Log out do not share the row"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
