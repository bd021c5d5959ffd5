"""Checking a citation against its document (issue 14, items 4, 7 and 9), in Chromium.

Each answer keeps its own passages; a marker opens its passage in the viewer: a PDF at its page,
rendered with the quoted sentence highlighted, anything else at the quote in the document's text.
Document text is shown as text: no links, Markdown or LaTeX.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page
from ui_driver import LONG, PDF_NAME, PDF_QUESTION, ask, click_marker, upload

from qa import QA

SEED_QUESTION = "When did Haftar announce his offensive on Tripoli?"
SEED_TITLE_START = "When Khalifa Haftar, the leader"  # the seed has no title: its first words name it


def test_a_marker_of_an_earlier_answer_shows_that_answers_own_passage(page: Page) -> None:
    ask(page, SEED_QUESTION, 0)
    ask(page, PDF_QUESTION, 1)
    click_marker(page, turn=0)
    focused = page.locator("#sources .qa-source.qa-focus")
    focused.wait_for()
    assert focused.get_attribute("id") == "cite-0-1"
    assert focused.is_visible()
    assert "April 4" in focused.locator("mark").first.inner_text()
    assert not page.locator('#sources .qa-turn[data-turn="1"]').is_visible()  # the later answer's passages step aside
    click_marker(page, turn=1)
    page.locator('#sources .qa-source.qa-focus[id="cite-1-1"]').wait_for()
    assert "north gate" in page.locator("#sources .qa-source.qa-focus mark").first.inner_text()


def test_one_click_on_a_pdf_citation_shows_its_page_with_the_quote_highlighted(page: Page, tmp_path: Path) -> None:
    ask(page, PDF_QUESTION, 0)
    click_marker(page, turn=0)
    shown = page.locator("#viewer .qa-page img")
    shown.wait_for(timeout=LONG)
    page.wait_for_function("document.querySelector('#viewer .qa-page img').naturalWidth > 0")
    assert page.locator("#viewer .qa-page").get_attribute("data-page") == "2"
    assert "page 2" in page.locator("#viewer .qa-where").inner_text()
    # the highlight is drawn into the rendered page, where the quote is: read the image under its box
    top, pixels = page.evaluate(
        """() => {
            const img = document.querySelector('#viewer .qa-page img');
            const mark = document.querySelector('#viewer .qa-page-mark').style;
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(img, 0, 0);
            const [w, h] = [img.naturalWidth / 100, img.naturalHeight / 100];
            const box = [parseFloat(mark.left) * w, parseFloat(mark.top) * h,
                         parseFloat(mark.width) * w, parseFloat(mark.height) * h].map(Math.round);
            return [parseFloat(mark.top), [...ctx.getImageData(...box).data]];
        }"""
    )
    background = [pixels[i : i + 3] for i in range(0, len(pixels), 4) if pixels[i] > 200 and pixels[i + 1] > 170]
    yellow = [p for p in background if p[2] < 200]
    assert background and len(yellow) > 0.8 * len(background), "the quote's box is not highlighted"
    assert 30 < top < 80, "the quote is written in the lower half of page 2"
    page.locator("#viewer .qa-page-mark").evaluate("e => e.getBoundingClientRect().height > 0")
    with page.expect_download(timeout=LONG) as download:
        page.click("#download")
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == PDF_NAME
    assert saved.read_bytes().startswith(b"%PDF")


def test_a_text_citation_opens_the_document_at_the_highlighted_quote(page: Page) -> None:
    ask(page, SEED_QUESTION, 0)
    click_marker(page, turn=0)
    quote = page.locator("#viewer mark.qa-doc-quote")
    quote.wait_for(timeout=LONG)
    assert "April 4" in quote.inner_text()
    assert page.locator("#viewer .qa-title").inner_text().startswith(SEED_TITLE_START)
    document = page.locator("#viewer .qa-doc").inner_text()
    assert "Libyan National Army" in document and len(document) > 2000  # the document, not only the passage
    inside = page.evaluate(
        """() => {
            const body = document.querySelector('#viewer .qa-viewer-body').getBoundingClientRect();
            const mark = document.querySelector('#viewer mark.qa-doc-quote').getBoundingClientRect();
            return mark.top >= body.top - 1 && mark.top < body.bottom;
        }"""
    )
    assert inside, "the quote is scrolled into view inside the viewer"
    assert page.locator("#download").is_visible()


def test_passages_are_named_by_title_and_file_without_unexplained_scores(page: Page) -> None:
    ask(page, SEED_QUESTION, 0)
    card = page.locator("#sources .qa-source").first
    assert card.locator(".qa-title").inner_text().startswith(SEED_TITLE_START)
    assert card.locator(".qa-file").inner_text() == "000_e92089c36fa5833b.txt"
    assert page.locator("#sources .qa-score").count() == 0
    ask(page, "Who won the 2018 FIFA World Cup?", 1)
    panel = page.locator('#sources .qa-turn[data-turn="1"]').inner_text()
    assert "Closest passages" in panel and "-0." not in panel


def test_links_and_latex_in_documents_are_shown_as_text(page: Page, app: tuple[str, QA], tmp_path: Path) -> None:
    doc = tmp_path / "bell_contacts.md"
    doc.write_text(
        "# Bell contacts\n\nWrite to the bell warden at warden@example.org or visit https://example.org/bell "
        "where the bell formula $$\\color{red}{\\Huge PAY\\ NOW}$$ is posted.\n"
    )
    assert "Indexed" in upload(page, doc)
    page.click("button[role=tab]:has-text('Ask')")
    ask(page, "How can I reach the bell warden?", 0)
    message = page.locator("#chat .message.bot").last
    assert "warden@example.org" in message.inner_text() and "$$" in message.inner_text()
    assert message.locator("a:not(.qa-cite)").count() == 0
    click_marker(page, turn=0)
    page.locator("#viewer mark.qa-doc-quote").wait_for(timeout=LONG)
    for where in ("#chat", "#sources", "#viewer"):
        assert page.locator(f"{where} a:not(.qa-cite)").count() == 0, f"a link in {where}"
        assert page.locator(f"{where} .katex, {where} math").count() == 0, f"LaTeX rendered in {where}"
    assert "PAY\\ NOW" in page.locator("#sources").inner_text()
    app[1].remove(doc.name)


def test_the_question_is_shown_as_typed_not_as_markdown(page: Page) -> None:
    ask(page, "Is ![tracker](http://203.0.113.9/q.png) **Haftar** in <b>Tripoli</b>?", 0)
    question = page.locator("#chat .message.user").last
    assert question.locator("img, strong, b").count() == 0
    assert "![tracker](http://203.0.113.9/q.png) **Haftar** in <b>Tripoli</b>" in question.inner_text()
    outside = [u for u in page.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]  # type: ignore[attr-defined]
    assert outside == []


def test_on_a_390px_phone_nothing_overflows_and_a_citation_opens_in_view(open_page: Callable[..., Page]) -> None:
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    ask(page, PDF_QUESTION, 0)
    click_marker(page, turn=0)
    page.locator("#viewer .qa-page img").wait_for(timeout=LONG)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.wait_for_function(  # the viewer is scrolled into view below the chat
        """() => { const r = document.querySelector('#viewer').getBoundingClientRect();
                   return r.top < window.innerHeight && r.bottom > 0; }"""
    )
