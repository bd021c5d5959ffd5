"""The chat's stylesheet and page script.

Colours are variables with a light and a dark set: Gradio marks the page `.dark` when the
system prefers a dark theme. Every pair of text and background colour here is at least
WCAG AA (4.5:1); `tests/ui/test_themes.py` measures them in the browser in both schemes.
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
.qa-hidden, .qa-copy-text { display: none !important; }
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
.qa-doc { white-space: pre-wrap; font-size: 0.92rem; line-height: 1.5; color: var(--qa-text); }
.qa-page { position: relative; background: #ffffff; }
.qa-page img { display: block; width: 100%; height: auto; cursor: zoom-in; }
.qa-page.qa-zoom { width: 200%; }
.qa-page.qa-zoom img { cursor: zoom-out; }
.qa-page-mark { position: absolute; pointer-events: none; }
"""

# Clicking a citation marker shows its answer's passages, outlines the cited one and opens it in the
# viewer (one request to the server, through a hidden textbox and button); Copy puts the answer's
# plain text and sources on the clipboard.
JS = """
() => {
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
    const shown = event.target.closest('#viewer .qa-page');
    if (shown) {  // a click on the page zooms in (twice the panel's width) and out
      shown.classList.toggle('qa-zoom');
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

# Run once the viewer shows a document: bring the highlighted quote into view inside it.
SCROLL_JS = """
() => {
  const target = document.querySelector('#viewer .qa-scroll-target');
  const body = document.querySelector('#viewer .qa-viewer-body');
  if (!target || !body) return;
  const place = () => {
    body.scrollTop += target.getBoundingClientRect().top - body.getBoundingClientRect().top - body.clientHeight / 3;
    document.querySelector('#viewer').scrollIntoView({block: 'nearest'});
  };
  const image = body.querySelector('img');
  if (image && !image.complete) image.addEventListener('load', place, {once: true}); else place();
}
"""
