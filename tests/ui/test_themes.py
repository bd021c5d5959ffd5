"""Light and dark themes are both readable (issue 14, item 3): WCAG AA contrast, measured in Chromium.

For each `prefers-color-scheme`, the chat, the sources panel, the highlights, the viewer and the
notices are put on screen, and the computed colour of each one's text is compared with the colour
actually behind it (the first opaque background up the tree, translucent ones blended in).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page
from ui_driver import LONG, ask, click_marker

AA = 4.5
# what is measured: (what it is, CSS selector, pseudo-element)
MEASURED = [
    ("question", "#chat .message.user .message-content", ""),
    ("answer", "#chat .message.bot .qa-answer", ""),
    ("citation marker", "#chat a.qa-cite", ""),
    ("copy button", "#chat .qa-copy", ""),
    ("abstention in the chat", "#chat .qa-abstained", ""),
    ("sources heading", "#sources .qa-turn:not([hidden]) h3", ""),
    ("sources question", "#sources .qa-turn:not([hidden]) .qa-asked", ""),
    ("document title", "#sources .qa-title", ""),
    ("file name", "#sources .qa-file", ""),
    ("passage", "#sources .qa-passage", ""),
    ("highlighted quote", "#sources .qa-passage mark", ""),
    ("open button", "#sources .qa-open", ""),
    ("flagged passage notice", "#sources .qa-turn:not([hidden]) .qa-flag", ""),
    ("viewer title", "#viewer .qa-title", ""),
    ("viewer text", "#viewer .qa-doc", ""),
    ("viewer highlight", "#viewer mark.qa-doc-quote", ""),
    ("notice", "#chat .qa-notice", ""),
    ("error", "#chat .qa-error", ""),
    ("answer mode", "#chat .qa-mode", ""),
    ("unsupported flag", "#chat .qa-unsupported", "::after"),
]

COLOURS = """
([selector, pseudo]) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => {  // any CSS colour -> [r, g, b, a] as the browser paints it
    ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = '#000'; ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const layers = [];
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node, node === el ? pseudo || null : null);
    const colour = rgba(style.backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] >= 1) break;
  }
  let [r, g, b] = [255, 255, 255];
  for (const [lr, lg, lb, la] of layers.reverse()) {
    [r, g, b] = [lr * la + r * (1 - la), lg * la + g * (1 - la), lb * la + b * (1 - la)];
  }
  const [fr, fg, fb, fa] = rgba(getComputedStyle(el, pseudo || null).color);
  return [[fr * fa + r * (1 - fa), fg * fa + g * (1 - fa), fb * fa + b * (1 - fa)], [r, g, b]];
}
"""

SAMPLES = """() => {  // the notices the engine shows only when a language model is configured or fails
  const content = document.querySelector('#chat .message.bot .message-content');
  content.insertAdjacentHTML('beforeend',
    '<div class="qa-notice">the language model failed; showing the extractive answer</div>'
    + '<div class="qa-error">question: must be a non-empty string</div>'
    + '<div class="qa-mode">written by the language model, checked against the sources</div>'
    + '<span class="qa-unsupported">A claim.</span>');
  // and the notice on a passage whose text addresses an assistant (no seed passage does)
  document.querySelector('#sources .qa-turn:not([hidden]) .qa-source-head').insertAdjacentHTML('afterend',
    '<div class="qa-flag" role="note">This passage seems to address an AI assistant.</div>');
}"""


def luminance(rgb: list[float]) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: list[float], b: list[float]) -> float:
    """WCAG contrast ratio of two colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_wcag() -> None:
    assert contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21)
    assert contrast([118, 118, 118], [255, 255, 255]) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chat_sources_highlights_and_notices_meet_wcag_aa(open_page: Callable[..., Page], scheme: str) -> None:
    page = open_page(color_scheme=scheme)
    assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
    ask(page, "Who won the 2018 FIFA World Cup?", 0)  # an abstention
    ask(page, "When did Haftar announce his offensive on Tripoli?", 1)
    click_marker(page, turn=1)
    page.locator("#viewer mark.qa-doc-quote").wait_for(timeout=LONG)
    page.evaluate(SAMPLES)
    low = []
    for name, selector, pseudo in MEASURED:
        measured = page.evaluate(COLOURS, [selector, pseudo])
        assert measured is not None, f"{name}: nothing matches {selector}"
        ratio = contrast(*measured)
        if ratio < AA:
            low.append(f"{name} ({selector}{pseudo}): {ratio:.2f} (text {measured[0]}, background {measured[1]})")
    assert not low, f"below WCAG AA in the {scheme} theme:\n" + "\n".join(low)
