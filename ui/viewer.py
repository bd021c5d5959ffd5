"""The document viewer beside the chat: a cited passage shown where it is in its document.

A PDF citation shows its page, rendered when the citation is opened (never per answer), with the
quoted sentence's area highlighted; other formats show the document's text around the passage
with the quote highlighted. The document itself can be downloaded, from the app's own route
(`ui.routes`), never from Gradio's file cache. Requests name a turn and a passage rank; the source
comes from that turn's answer and is opened only if the session's user may read it (the turns come
back from the browser, so they are not trusted to name a source).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import gradio as gr

from access.permissions import User
from index.pdf.page_image import PdfError, render_page
from qa.errors import QAError
from qa.service import QA
from qa.types import Citation, Passage
from ui.document_info import display_title, document_file, document_text, file_changed
from ui.history import Turn, turn_answer
from ui.render import escape_text
from ui.routes import document_url
from ui.session import Sessions

CONTEXT_CHARS = 6000  # text shown either side of a passage of a non-PDF document
ZOOMS = (1, 1.5, 2, 3)  # a PDF page's widths, in widths of the viewer: Fit, then each "+"
GONE = "The file is no longer where it was indexed from (or it was removed): the passage is shown alone."
CHANGED = "The file has changed since it was indexed: the highlight may be off."
NO_PASSAGE = "The latest answer cites no passage: there is nothing to show here."
UNSURE = "The latest answer makes no claim: its closest passages are listed below; click one to see it here."


def viewer_html(title: str, where: str, body: str, notice: str = "") -> str:
    """The viewer's frame: title, file and page, a notice if any, then the page or text."""
    notice_html = f'<div class="qa-notice">{escape_text(notice)}</div>' if notice else ""
    return (
        f'<div class="qa-viewer"><div class="qa-viewer-head"><span class="qa-title">{escape_text(title)}</span>'
        f'<div class="qa-where">{escape_text(where)}</div></div>{notice_html}'
        f'<div class="qa-viewer-body">{body}</div></div>'
    )


def text_window(text: str, start: int, end: int, quote: tuple[int, int] | None) -> str:
    """The text around [start, end) as escaped HTML, the quote (or the whole passage) in a <mark>."""
    mark_start, mark_end = quote or (start, end)
    begin = max(0, text.rfind("\n", 0, max(0, start - CONTEXT_CHARS)) + 1) if start > CONTEXT_CHARS else 0
    stop = text.find("\n", end + CONTEXT_CHARS)
    stop = len(text) if stop < 0 else stop
    before = "…" if begin > 0 else ""
    after = "…" if stop < len(text) else ""
    return (
        f'<div class="qa-doc">{before}{escape_text(text[begin:mark_start])}'
        f'<mark class="qa-doc-quote qa-scroll-target">{escape_text(text[mark_start:mark_end])}</mark>'
        f"{escape_text(text[mark_end:stop])}{after}</div>"
    )


def page_html(png: bytes, width: int, height: int, page: int, boxes: tuple[tuple[float, ...], ...]) -> str:
    """The rendered page, fitted to the viewer's width, under its zoom buttons; an invisible anchor on the first
    highlighted box to scroll to.

    The buttons (−, +, Fit; the zoom level between them) are handled by the page script (`ui.theme.JS`): each
    step of `ZOOMS` widens the page, which then scrolls both ways inside its own box, keeping the quote (or the
    middle of the view) where it was. Pinch zoom stays the browser's own.
    """
    image = base64.b64encode(png).decode("ascii")
    anchor = ""
    if boxes:
        left, top, right, bottom = boxes[0]
        anchor = (
            f'<span class="qa-page-mark qa-scroll-target" style="left:{100 * left / width:.2f}%;'
            f"top:{100 * top / height:.2f}%;width:{100 * (right - left) / width:.2f}%;"
            f'height:{100 * (bottom - top) / height:.2f}%"></span>'
        )
    return (
        f'<div class="qa-page-view" data-zooms="{",".join(f"{zoom:g}" for zoom in ZOOMS)}" data-zoom="0">'
        f"{_zoom_bar()}"
        f'<div class="qa-page-scroll" tabindex="0" role="region" aria-label="Page {page}, scrolls when zoomed">'
        f'<div class="qa-page" data-page="{page}" data-boxes="{len(boxes)}">'
        f'<img src="data:image/png;base64,{image}" alt="Page {page} of the document, the quoted sentence highlighted"'
        f' width="{width}" height="{height}">{anchor}</div></div></div>'
    )


def _zoom_bar() -> str:
    """The zoom buttons of a page at its first step (Fit): zoom out and Fit do nothing there yet."""
    return (
        '<div class="qa-zoom-bar" role="toolbar" aria-label="Zoom">'
        '<button type="button" class="qa-zoom-button" data-zoom-step="out" aria-label="Zoom out"'
        ' aria-disabled="true">−</button>'
        '<output class="qa-zoom-level" aria-live="polite" title="Zoom, in widths of the viewer">'
        f"{ZOOMS[0]:.0%}</output>"
        '<button type="button" class="qa-zoom-button" data-zoom-step="in" aria-label="Zoom in">+</button>'
        '<button type="button" class="qa-zoom-button qa-zoom-fit" data-zoom-step="fit"'
        ' aria-label="Fit the page to the viewer\'s width" aria-disabled="true">Fit</button></div>'
    )


class CitationViewer:
    """Opens the passages of answers in their documents, for one engine."""

    def __init__(self, qa: QA, sessions: Sessions | None = None) -> None:
        """Show documents of `qa` to the users of `sessions` (default: login off)."""
        self.qa = qa
        self.sessions = sessions or Sessions(None, qa.settings)
        self._changed: dict[tuple[str, int, int], bool] = {}  # (source, mtime, size) -> changed since indexed

    def open(self, wanted: str, turns: list[Turn], request: gr.Request) -> tuple[str, Any]:
        """The viewer's HTML and download link for a request `{"turn": t, "rank": n}` of the session's user."""
        hidden = gr.update(visible=False)
        found = self._find(wanted, turns)
        if found is None:
            return _problem("That passage is no longer in this chat."), hidden
        try:
            user = self.sessions.user(request)
        except QAError as err:
            return _problem(str(err)), hidden
        passage, citations = found
        chunk = passage.chunk
        title = display_title(self.qa, chunk.source, chunk.title, user)
        where = chunk.source + (f" · page {chunk.page}" if chunk.page is not None else "")
        path = document_file(self.qa, chunk.source, user)
        if path is None:  # gone, removed, or not the user's to read: the passage they were given, alone
            alone = text_window(chunk.text, 0, len(chunk.text), None)
            return viewer_html(title, where, alone, GONE), hidden
        notice = CHANGED if self._file_changed(chunk.source, path, user) else ""
        download = gr.update(link=document_url(chunk.source), value=f"Download {path.name}", visible=True)
        return viewer_html(title, where, self._body(path, passage, citations, user), notice), download

    def latest(self, turns: list[Turn], request: gr.Request) -> tuple[str, Any]:
        """The viewer after a new turn: the first passage the latest answer cites, or a note that it cites none.

        So the viewer never shows an earlier answer's document beside a new answer or an abstention.
        """
        answer = turn_answer(turns[-1]) if turns else None
        if answer is None or not answer.citations:
            note = NO_PASSAGE if answer is None or answer.abstained else UNSURE
            return f'<div class="qa-viewer-empty" id="viewer-note">{escape_text(note)}</div>', gr.update(visible=False)
        return self.open(json.dumps({"turn": len(turns) - 1, "rank": answer.citations[0].marker}), turns, request)

    def _file_changed(self, source: str, path: Path, user: User) -> bool:
        """Whether the file's content is no longer what was indexed (hashed once per version of the file)."""
        stat = path.stat()
        key = (source, stat.st_mtime_ns, stat.st_size)
        if key not in self._changed:
            self._changed[key] = file_changed(self.qa, source, path, user)
        return self._changed[key]

    def _find(self, request: str, turns: list[Turn]) -> tuple[Passage, list[Citation]] | None:
        try:
            wanted = json.loads(request)
            turn, rank = int(wanted["turn"]), int(wanted["rank"])
            answer = turn_answer(turns[turn]) if 0 <= turn < len(turns) else None
        except (ValueError, KeyError, TypeError):
            return None
        passage = next((p for p in answer.passages if p.rank == rank), None) if answer else None
        if answer is None or passage is None:
            return None
        return passage, [c for c in answer.citations if c.marker == rank]

    def _body(self, path: Path, passage: Passage, citations: list[Citation], user: User) -> str:
        chunk = passage.chunk
        if path.suffix.lower() == ".pdf" and chunk.page is not None:
            page = next((c.page for c in citations if c.page is not None), chunk.page)
            quotes = [c.quote for c in citations if c.page in (page, None)] or [chunk.text]
            try:
                image = render_page(path, page, quotes)
            except PdfError as err:
                return f'<div class="qa-error">Page {page} cannot be shown: {escape_text(str(err))}</div>'
            return page_html(image.png, image.width, image.height, page, image.boxes)
        text = document_text(self.qa, chunk.source, user)
        if text[chunk.start : chunk.end] != chunk.text:  # re-indexed since the answer: show the passage alone
            return text_window(chunk.text, 0, len(chunk.text), None)
        quote = (min(c.start for c in citations), max(c.end for c in citations)) if citations else None
        return text_window(text, chunk.start, chunk.end, quote)


def _problem(message: str) -> str:
    return f'<div class="qa-viewer"><div class="qa-notice">{escape_text(message)}</div></div>'
