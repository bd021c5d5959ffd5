"""Light and dark themes are both readable (issue 14, item 3; issue 22, item 8): WCAG AA contrast, measured in Chromium.

For each `prefers-color-scheme`, the chat, the sources panel, the highlights, the viewer and the
notices are put on screen, and the computed colour of each one's text is compared with the colour
actually behind it (the first opaque background up the tree, translucent ones blended in). Then every
text on the page is walked, Gradio's own included (buttons, tabs, labels, hints, placeholders, the
footer): on the Ask tab with a PDF page in the viewer and the options open, and on the Documents tab.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page
from ui_driver import LONG, PDF_NAME, PDF_QUESTION, ask, click_marker, open_tab

from qa import QA

AA = 4.5
AA_LARGE = 3.0  # text of 24 px, or 18.66 px bold
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


def rounded(rgb: list[float]) -> tuple[int, ...]:
    """A colour's channels as whole numbers, to name it."""
    return tuple(round(c) for c in rgb)


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


# Every visible text of the page: each element's own text nodes, the values of text inputs and, in empty ones,
# placeholders (`::placeholder`). Hidden text is skipped: not rendered, invisible (`visibility`, opacity 0,
# transparent colour), or clipped to a pixel by an ancestor (Gradio's visually hidden labels for screen
# readers). Natively disabled controls (`:disabled`, and what is inside them) are exempt, as WCAG exempts
# inactive components: they are listed, not measured. The colour of a text is blended onto what is painted
# behind it: the backgrounds of its ancestors (translucent ones over the ones below) and their opacity.
EVERY_TEXT = """
() => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => {  // any CSS colour -> [r, g, b, a] as the browser paints it
    ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = '#000'; ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, under) => under.map((c, i) => top[i] * top[3] + c * (1 - top[3]));
  const painted = (el, ink) => {  // the colour at a point of `el`: its text's when `ink` is given
    const chain = [];
    for (let node = el; node; node = node.parentElement) chain.unshift(node);
    let colour = [255, 255, 255];  // the canvas
    const groups = [];  // an element with opacity < 1 is painted as a group, then blended onto what was below
    for (const node of chain) {
      const style = getComputedStyle(node);
      if (parseFloat(style.opacity) < 1) groups.push([colour, parseFloat(style.opacity)]);
      colour = over(rgba(style.backgroundColor), colour);
    }
    if (ink) colour = over(ink, colour);
    for (const [below, opacity] of groups.reverse()) {
      colour = colour.map((c, i) => c * opacity + below[i] * (1 - opacity));
    }
    return colour;
  };
  const clipped = (el, rects) => {  // clipped away by itself or an ancestor that hides its overflow or clips
    let outOfFlow = false;  // an absolute box is clipped by its containing block and what is above it, only
    for (let node = el; node && node !== document.documentElement; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (outOfFlow && style.position === 'static') continue;
      outOfFlow = false;
      const clips = style.clip !== 'auto' || style.clipPath !== 'none'
        || ['hidden', 'clip'].includes(style.overflowX) || ['hidden', 'clip'].includes(style.overflowY);
      const box = node.getBoundingClientRect();
      const shown = rects.some((r) => Math.min(r.right, box.right) - Math.max(r.left, box.left) > 1
        && Math.min(r.bottom, box.bottom) - Math.max(r.top, box.top) > 1);
      if (clips && !shown) return true;
      if (style.position === 'fixed') return false;  // no ancestor clips a fixed box (Gradio's dropdown lists)
      outOfFlow = style.position === 'absolute';
    }
    return false;
  };
  const visible = (el, rects) => el.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && rects.some((r) => r.width > 1 && r.height > 1) && !clipped(el, rects);
  const selector = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
      if (node.id) { parts.unshift(`${node.tagName.toLowerCase()}#${node.id}`); break; }
      const classes = [...node.classList].filter((c) => !c.startsWith('svelte-')).slice(0, 2);
      parts.unshift(node.tagName.toLowerCase() + classes.map((c) => `.${c}`).join(''));
    }
    return parts.join(' > ');
  };
  const measured = [];
  const exempt = [];
  const measure = (el, text, pseudo) => {
    const style = getComputedStyle(el, pseudo);
    const ink = rgba(style.color);
    if (ink[3] === 0) return;  // transparent text is not shown
    const size = parseFloat(style.fontSize);
    measured.push({selector: selector(el) + (pseudo || ''), text: text.slice(0, 60), text_rgb: painted(el, ink),
                   background_rgb: painted(el, null),
                   large: size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700)});
  };
  const owners = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || owners.has(el) || el.closest('script, style, noscript, template, svg, textarea')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (!visible(el, [...range.getClientRects()])) continue;
    owners.add(el);
    if (el.closest(':disabled')) exempt.push(`${selector(el)} ${JSON.stringify(text.slice(0, 60))}`);
    else measure(el, text, null);
  }
  const typed = ['text', 'search', 'number', 'email', 'url', 'tel', 'textarea'];
  for (const el of document.querySelectorAll('input, textarea')) {
    if (!typed.includes(el.type) || !visible(el, [el.getBoundingClientRect()])) continue;
    const text = el.value.trim() || (el.placeholder || '').trim();
    if (!text) continue;
    if (el.matches(':disabled')) exempt.push(`${selector(el)} ${JSON.stringify(text.slice(0, 60))}`);
    else measure(el, text, el.value.trim() ? null : '::placeholder');
  }
  return {measured, exempt};
}
"""
# no request under way (no progress shown, no output faded by Gradio's `.pending`) and no fading under way
QUIET = """() => !document.querySelector('.pending')
    && [...document.querySelectorAll('[data-testid="status-tracker"]')]
        .every((tracker) => !tracker.checkVisibility() || !tracker.textContent.trim())
    && document.getAnimations().every((animation) => animation.playState !== 'running')"""
OPENED = "Number(document.querySelector('#viewer').dataset.opened || 0)"  # documents the viewer has shown (ui.theme)
EXPECTED = {  # texts the walk must find: what it measures is the page, not an empty list
    "Ask": {"Ask", "Leave empty to search every document", "Ask a question about the documents", "−", "+", "Fit"},
    "Documents": {"Documents", "A collection you may change", "Remove…", PDF_NAME},
}


@pytest.mark.parametrize("tab", ["Ask", "Documents"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_on_the_page_meets_wcag_aa(
    open_page: Callable[..., Page], app: tuple[str, QA], scheme: str, tab: str
) -> None:
    page = open_page(f"{app[0]}?__theme={scheme}", color_scheme=scheme)
    assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
    if tab == "Ask":
        ask(page, PDF_QUESTION, 0)
        page.wait_for_function(QUIET, timeout=LONG)
        opened = page.evaluate(OPENED)
        click_marker(page, turn=0)
        page.wait_for_function(f"{OPENED} > {opened}", timeout=LONG)
        assert page.locator("#viewer .qa-page img").is_visible()
        page.get_by_role("button", name="Options").click()
        page.locator("#top-k input[type=number]").wait_for()
    else:
        open_tab(page, "Documents")
        page.locator("#sources-table").get_by_text(PDF_NAME).first.wait_for(timeout=LONG)
    page.wait_for_function(QUIET, timeout=LONG)
    walked = page.evaluate(EVERY_TEXT)
    low = []
    for item in walked["measured"]:
        ratio = contrast(item["text_rgb"], item["background_rgb"])
        if ratio < (AA_LARGE if item["large"] else AA):
            low.append(
                f"{item['selector']} {item['text']!r}: {ratio:.2f} "
                f"(text rgb{rounded(item['text_rgb'])}, background rgb{rounded(item['background_rgb'])})"
            )
    exempt = f"\n(exempt, disabled: {', '.join(walked['exempt'])})" if walked["exempt"] else ""
    assert not low, f"below WCAG AA in the {scheme} theme, {tab} tab:\n" + "\n".join(low) + exempt
    missed = EXPECTED[tab] - {item["text"] for item in walked["measured"]}
    assert not missed, f"not measured: {missed}"
