"""The chat's stylesheet and page script.

Colours are variables with a light and a dark set: Gradio marks the page `.dark` when the
system prefers a dark theme (or the address says `?__theme=dark`). Every pair of text and background
colour here is at least WCAG AA (4.5:1), and so are Gradio's own, set here where its Default theme
falls short; `tests/ui/test_themes.py` measures every text on the page in the browser in both schemes.
"""

from __future__ import annotations

CSS = """
:root {
  --qa-text: #1f2328; --qa-muted: #57606a; --qa-card: #ffffff; --qa-border: #d0d7de; --qa-accent: #0550ae;
  --qa-focus: #0969da; --qa-focus-ring: #b6d4fe; --qa-mark: #fff1a8; --qa-mark-text: #1f2328;
  --qa-warn: #fff8e6; --qa-warn-edge: #d4a72c; --qa-warn-text: #4d3800; --qa-error: #ffebe9;
  --qa-error-text: #82071e; --qa-notice: #7d4e00; --qa-flag: #a40e26;
}
.dark {
  --qa-text: #e6edf3; --qa-muted: #a5afbb; --qa-card: #161b22; --qa-border: #3d444d; --qa-accent: #79c0ff;
  --qa-focus: #58a6ff; --qa-focus-ring: #1f4f8f; --qa-mark: #5c4a00; --qa-mark-text: #fff6cc;
  --qa-warn: #33290a; --qa-warn-edge: #bb8009; --qa-warn-text: #f8e3a1; --qa-error: #3d1418;
  --qa-error-text: #ffc1bd; --qa-notice: #e3b341; --qa-flag: #ff9492;
}
/* Gradio's own colours where its Default theme is below WCAG AA: white on the orange primary button (2.8:1 light,
   3.6:1 dark), the selected tab (2.8:1), hints and the footer (1.9:1), placeholders (1.9:1 light, 3.1:1 dark),
   white on the red stop button (3.8:1). Set on the container, so they win over the theme's own (on :root and
   body.dark) whatever order the stylesheets load in; each is set itself, as the theme's values that refer to
   another variable are resolved where the theme sets them. */
.gradio-container {
  --button-primary-background-fill: var(--primary-700); --button-primary-background-fill-hover: var(--primary-800);
  --button-primary-border-color: var(--primary-700); --button-primary-border-color-hover: var(--primary-800);
  --button-primary-text-color: #ffffff; --button-primary-text-color-hover: #ffffff;
  --button-cancel-background-fill: #b91c1c; --button-cancel-background-fill-hover: #991b1b;
  --button-cancel-text-color: #ffffff; --button-cancel-text-color-hover: #ffffff;
  --color-accent: var(--primary-700); --body-text-color-subdued: var(--neutral-600);
  --block-info-text-color: var(--neutral-600); --input-placeholder-color: var(--neutral-500);
}
.dark .gradio-container {
  --color-accent: var(--primary-500); --body-text-color-subdued: var(--neutral-400);
  --block-info-text-color: var(--neutral-400); --input-placeholder-color: var(--neutral-400);
}
/* the header: the title and a Log out button as wide as its text share the row, on a phone too */
.row:has(> #logout) { flex-wrap: nowrap; align-items: flex-start; }
#logout { flex: 0 0 auto; width: auto; min-width: 0; max-width: 33%; overflow-wrap: anywhere; }
.qa-hidden, .qa-copy-text { display: none !important; }
.qa-session-ended { position: sticky; top: 0; z-index: 1000; padding: 10px 14px; font-weight: 600;
  background: var(--qa-error); color: var(--qa-error-text); border-bottom: 2px solid var(--qa-flag); }
.qa-session-ended a { color: var(--qa-error-text); text-decoration: underline; }
.qa-cite { font-weight: 600; text-decoration: none; padding: 0 1px; color: var(--qa-accent) !important; }
.qa-answer mark, .qa-passage mark, .qa-doc mark {
  background: var(--qa-mark); color: var(--qa-mark-text); padding: 0 1px; }
.qa-sources h3 { margin: 0 0 2px; font-size: 1rem; color: var(--qa-text); }
.qa-asked { margin: 0 0 8px; font-size: 0.85rem; color: var(--qa-muted); }
.qa-source, .qa-viewer { background: var(--qa-card); color: var(--qa-text); border: 1px solid var(--qa-border);
  border-radius: 8px; padding: 8px 10px; margin-bottom: 10px; }
.qa-source:target, .qa-source.qa-focus { border-color: var(--qa-focus); box-shadow: 0 0 0 3px var(--qa-focus-ring); }
.qa-source-head, .qa-viewer-head { font-size: 0.85rem; color: var(--qa-muted); margin-bottom: 4px; }
.qa-marker { color: var(--qa-muted); }
.qa-title { font-weight: 600; color: var(--qa-text); }
.qa-where, .qa-file, .qa-page-no { color: var(--qa-muted); font-size: 0.8rem; overflow-wrap: anywhere; }
.qa-passage { font-size: 0.92rem; line-height: 1.45; white-space: pre-wrap; color: var(--qa-text); }
.qa-open, .qa-copy { margin-top: 6px; font-size: 0.8rem; padding: 2px 8px; border-radius: 6px; cursor: pointer;
  background: transparent; color: var(--qa-accent); border: 1px solid var(--qa-border); }
.qa-actions { margin-top: 6px; }
.qa-abstained { background: var(--qa-warn); color: var(--qa-warn-text); border-left: 4px solid var(--qa-warn-edge);
  padding: 6px 10px; margin-bottom: 8px; }
.qa-unsure { color: var(--qa-text); border: 1px dashed var(--qa-warn-edge); border-left: 4px dashed var(--qa-warn-edge);
  padding: 6px 10px; margin-bottom: 8px; }
.qa-key { font-weight: 700; }
.qa-error { background: var(--qa-error); color: var(--qa-error-text); border-left: 4px solid var(--qa-flag);
  padding: 6px 10px; }
.qa-rejected { color: var(--qa-error-text); }
.qa-sources-empty, .qa-viewer-empty { color: var(--qa-muted); font-style: italic; }
.qa-unsupported { text-decoration: underline wavy var(--qa-flag); }
.qa-unsupported::after { content: " (not supported by the sources)"; color: var(--qa-flag); font-size: 0.8em; }
.qa-mode { color: var(--qa-muted); font-size: 0.8em; margin-top: 4px; }
.qa-notice { color: var(--qa-notice); font-size: 0.85em; margin: 4px 0; }
.qa-flag { background: var(--qa-warn); color: var(--qa-warn-text); border-left: 4px solid var(--qa-warn-edge);
  padding: 4px 8px; margin: 4px 0; font-size: 0.82rem; }
.qa-viewer-body { max-height: 70vh; overflow: auto; }
.qa-viewer-body:has(> .qa-page-view) { max-height: none; overflow: visible; }  /* the page scrolls in its own box */
.qa-doc { white-space: pre-wrap; font-size: 0.92rem; line-height: 1.5; color: var(--qa-text); }
.qa-zoom-bar { display: flex; align-items: center; gap: 6px; margin-bottom: 6px; }
.qa-zoom-button { display: inline-flex; align-items: center; justify-content: center; min-width: 36px;
  min-height: 36px; padding: 0 10px; border-radius: 6px; cursor: pointer; font: inherit;
  font-size: 1rem; font-weight: 600; line-height: 1; background: var(--qa-card); color: var(--qa-accent);
  border: 1px solid var(--qa-border); }
#viewer .qa-zoom-button { margin: 0; }  /* not Gradio's margin under buttons in HTML */
.qa-zoom-fit { font-size: 0.85rem; }
.qa-zoom-button[aria-disabled="true"] { color: var(--qa-muted); cursor: default; }
.qa-zoom-button:focus-visible, .qa-page-scroll:focus-visible { outline: 2px solid var(--qa-focus);
  outline-offset: 2px; }
.qa-zoom-level { min-width: 3.5em; text-align: center; font-size: 0.85rem; color: var(--qa-text);
  font-variant-numeric: tabular-nums; }
@media (pointer: coarse) { .qa-zoom-button { min-width: 44px; min-height: 44px; } }
.qa-page-scroll { max-height: 70vh; overflow: auto; }
.qa-page { position: relative; width: 100%; background: #ffffff; }
.qa-page img { display: block; width: 100%; max-width: none; height: auto; }
.qa-page-mark { position: absolute; pointer-events: none; }
"""

# Clicking a citation marker shows its answer's passages, outlines the cited one and opens it in the
# viewer (one request to the server, through a hidden textbox and button); the viewer's buttons zoom a
# PDF page; Copy puts the answer's plain text and sources on the clipboard.
JS = """
() => {
  // A request refused for want of a session (it expired, or the user logged out elsewhere) says so,
  // instead of Gradio's bare "Error", and offers the login page.
  const realFetch = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const response = await realFetch(...args);
    const url = String((args[0] && args[0].url) || args[0]);
    if (response.status === 401 && url.includes('/gradio_api/') && !document.getElementById('qa-session-ended')) {
      const banner = document.createElement('div');
      banner.id = 'qa-session-ended';
      banner.setAttribute('role', 'alert');
      banner.className = 'qa-session-ended';
      banner.textContent = 'Your session has ended (it expired, or you logged out elsewhere): nothing more was '
        + 'sent or saved. ';
      const link = document.createElement('a');
      link.href = 'login?reason=ended';
      link.textContent = 'Log in again';
      banner.appendChild(link);
      document.body.prepend(banner);
    }
    return response;
  };
  const openInViewer = (turn, rank) => {
    const box = document.querySelector('#open-request textarea, #open-request input');
    const button = document.querySelector('#open-button');
    if (!box || !button) return;
    box.value = JSON.stringify({turn: Number(turn), rank: Number(rank), at: Date.now()});
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => button.click(), 0);
  };
  const showTurn = (turn) => {
    document.querySelectorAll('#sources .qa-turn').forEach((section) => {
      section.hidden = section.dataset.turn !== String(turn);
    });
  };
  const focus = (target) => {
    document.querySelectorAll('.qa-focus').forEach((el) => el.classList.remove('qa-focus'));
    target.classList.add('qa-focus');
    const details = target.closest('details');
    if (details) details.open = true;
  };
  // The page's zoom buttons: each step widens the page (in widths of the viewer) inside its scrolling box,
  // keeping the highlighted quote where it is on screen when it is in view (else the middle of the view).
  const zoomPage = (button) => {
    const view = button.closest('.qa-page-view');
    if (button.getAttribute('aria-disabled') === 'true' || !view) return;
    const box = view.querySelector('.qa-page-scroll');
    const page = view.querySelector('.qa-page');
    const zooms = view.dataset.zooms.split(',').map(Number);
    const now = Number(view.dataset.zoom);
    const step = button.dataset.zoomStep;
    const next = step === 'fit' ? 0 : Math.max(0, Math.min(zooms.length - 1, now + (step === 'in' ? 1 : -1)));
    const seen = box.getBoundingClientRect();
    const mark = view.querySelector('.qa-page-mark');
    const quote = mark && mark.getBoundingClientRect();
    const inView = quote && quote.bottom > seen.top && quote.top < seen.bottom && quote.right > seen.left
      && quote.left < seen.right;
    const at = inView ? [Math.max(quote.left, seen.left), Math.max(quote.top, seen.top)]
      : [seen.left + box.clientWidth / 2, seen.top + box.clientHeight / 2];
    const before = page.getBoundingClientRect();
    const share = [(at[0] - before.left) / before.width, (at[1] - before.top) / before.height];
    view.dataset.zoom = String(next);
    page.style.width = `${zooms[next] * 100}%`;
    const after = page.getBoundingClientRect();
    if (before.width && before.height) {  // (an image still loading has no size to keep a point of)
      box.scrollLeft += after.left + share[0] * after.width - at[0];
      box.scrollTop += after.top + share[1] * after.height - at[1];
    }
    view.querySelector('.qa-zoom-level').textContent = `${Math.round(zooms[next] * 100)}%`;
    view.querySelectorAll('.qa-zoom-button').forEach((other) => {
      const limit = other.dataset.zoomStep === 'in' ? next === zooms.length - 1 : next === 0;
      other.setAttribute('aria-disabled', String(limit));
    });
  };
  document.addEventListener('click', async (event) => {
    const link = event.target.closest('a.qa-cite');
    if (link) {
      event.preventDefault();
      const [, turn, rank] = link.getAttribute('href').slice(1).split('-');
      showTurn(turn);
      const target = document.getElementById(`cite-${turn}-${rank}`);
      if (target) focus(target);
      openInViewer(turn, rank);
      return;
    }
    const open = event.target.closest('button.qa-open');
    if (open) {
      focus(open.closest('.qa-source'));
      openInViewer(open.dataset.turn, open.dataset.rank);
      return;
    }
    const zoom = event.target.closest('#viewer .qa-zoom-button');
    if (zoom) {
      zoomPage(zoom);
      return;
    }
    const copy = event.target.closest('button.qa-copy');
    if (copy) {
      const text = copy.closest('.message, .message-content, body').querySelector('.qa-copy-text');
      if (!text) return;
      await navigator.clipboard.writeText(text.textContent);
      copy.textContent = 'Copied';
      setTimeout(() => { copy.textContent = 'Copy answer with sources'; }, 2000);
    }
  });
}
"""

# Run once the viewer shows a document: bring the highlighted quote into view inside it. The viewer's
# `data-opened` then counts the documents shown and placed (what a test waits for after a click).
_PLACE_JS = """
() => {
  const viewer = document.querySelector('#viewer');
  const done = () => { if (viewer) viewer.dataset.opened = String(Number(viewer.dataset.opened || 0) + 1); };
  const target = document.querySelector('#viewer .qa-scroll-target');
  const body = target && target.closest('.qa-page-scroll, .qa-viewer-body');  // a PDF page scrolls in its own box
  if (!target || !body) return done();
  const place = () => {
    body.scrollTop += target.getBoundingClientRect().top - body.getBoundingClientRect().top - body.clientHeight / 3;
    INTO_VIEW
    done();
  };
  const image = body.querySelector('img');
  if (image && !image.complete) {
    image.addEventListener('load', place, {once: true});
    image.addEventListener('error', done, {once: true});
  } else place();
}
"""

# After a click on a citation: place the quote in the viewer and bring the viewer into view.
SCROLL_JS = _PLACE_JS.replace("INTO_VIEW", "viewer.scrollIntoView({block: 'nearest'});")
# After a new answer opens its own citation: place the quote, but never move the page away from the chat.
LATEST_JS = _PLACE_JS.replace("INTO_VIEW", "")
