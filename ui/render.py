"""Answers as HTML for the chat and the sources panel, and as plain text to copy. Pure functions, no Gradio.

The chat renders messages as HTML, not Markdown (no autolinks, no LaTeX), and everything that comes
from a document, a file name or the user goes through `escape_text`: HTML is escaped and so is
Markdown syntax, so a source can neither run a script nor pull in an image, whatever renders it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

from qa.types import Answer, Citation, Passage

NO_ANSWER_TITLE = "The sources do not answer this"
UNSURE_TITLE = "The sources may not answer this"
_KEY_OPEN, _KEY_CLOSE = "\x01", "\x02"  # around the answering words until the text is escaped
UNSUPPORTED = "Not supported by the cited passages"
FLAGGED = (
    "This passage seems to address an AI assistant (instructions, a role, a link or an address to use). "
    "It is quoted as text: nothing in it is followed."
)
EMPTY_SOURCES = '<div class="qa-sources-empty">Cited passages appear here.</div>'
# Ends a chat message once its answer (or error) is complete, with the sources panel already updated:
# what browser tests and scripts wait for, instead of a fixed time.
FINAL = '<span class="qa-final"></span>'
_MARKER = re.compile(r"\[(\d+)\]")
_SPECIAL = "&<>\"'\\`*_{}[]()#+-!|~$"  # HTML, and Markdown and LaTeX syntax
_ENTITIES = {c: f"&#{ord(c)};" for c in _SPECIAL}
_SPECIALS = re.compile("[" + re.escape(_SPECIAL) + "]")


def escape_text(text: str) -> str:
    """Escape text for HTML and for Markdown (entities are never read as syntax), in one pass."""
    return _SPECIALS.sub(lambda match: _ENTITIES[match.group()], text)  # 10x faster than str.translate here


def cite_id(turn: int, marker: int) -> str:
    """The element id of a cited passage in the sources panel."""
    return f"cite-{turn}-{marker}"


def question_html(question: str) -> str:
    """The user's message: their text as text (no Markdown: an image link stays a line of text)."""
    return escape_text(question).replace("\n", "<br>")


def answer_html(answer: Answer, turn: int) -> str:
    """The chat message: the answer with each `[n]` a link to its passage in the sources panel."""
    if answer.kind == "unsure":
        body = (
            f'<div class="qa-unsure"><strong>{UNSURE_TITLE}.</strong> '
            "The closest passages are shown beside the chat; check them before relying on any.</div>"
        )
    elif answer.abstained:
        body = (
            f'<div class="qa-abstained"><strong>{NO_ANSWER_TITLE}.</strong> '
            "The closest passages are shown beside the chat.</div>"
        )
    else:
        markers = {c.marker for c in answer.citations}
        parts = []
        for text, flagged in _flag_unsupported(_mark_key_words(answer), answer.unsupported):
            html_text = _link_markers(text, markers, turn).replace(_KEY_OPEN, '<strong class="qa-key">')
            html_text = html_text.replace(_KEY_CLOSE, "</strong>")
            parts.append(
                f'<span class="qa-unsupported" title="{UNSUPPORTED}">{html_text}</span>' if flagged else html_text
            )
        body = "".join(parts)
    return f'<div class="qa-answer" data-turn="{turn}">{body}{_footer(answer)}</div>'


def copy_html(answer: Answer, titles: Mapping[str, str]) -> str:
    """The message's Copy control and the plain text it copies (hidden)."""
    return (
        f'<div class="qa-actions"><button type="button" class="qa-copy">Copy answer with sources</button></div>'
        f'<pre class="qa-copy-text" hidden>{escape_text(copy_text(answer, titles))}</pre>'
    )


def copy_text(answer: Answer, titles: Mapping[str, str]) -> str:
    """The answer as plain text with its `[n]` markers, then one line per cited source with the quote."""
    if answer.abstained:
        return f"{UNSURE_TITLE if answer.kind == 'unsure' else NO_ANSWER_TITLE}: {answer.question}"
    lines = [answer.text.strip()]
    if answer.citations:
        lines.append("\nSources:")
    for citation in answer.citations:
        where = citation.source + (f", page {citation.page}" if citation.page is not None else "")
        title = titles.get(citation.source, "")
        named = f"{title} ({where})" if title else where
        lines.append(f'[{citation.marker}] {named}: "{citation.quote}"')
    return "\n".join(lines)


def _mark_key_words(answer: Answer) -> str:
    """The answer text with the words that answer the question between the key marks (once per citation)."""
    text = answer.text.replace(_KEY_OPEN, "").replace(_KEY_CLOSE, "")
    for citation in answer.citations:
        words = " ".join(citation.span_text.split())  # as the answer shows the quote: on one line
        quote = " ".join(citation.quote.split())
        at = text.find(quote) if words else -1
        inner = quote.find(words) if at >= 0 else -1
        if inner < 0:
            continue
        start = at + inner
        text = text[:start] + _KEY_OPEN + words + _KEY_CLOSE + text[start + len(words) :]
    return text


def _link_markers(text: str, markers: set[int], turn: int) -> str:
    parts = []
    for i, piece in enumerate(_MARKER.split(text)):
        if i % 2 == 0:
            parts.append(escape_text(piece))
        elif int(piece) in markers:
            parts.append(f'<a class="qa-cite" href="#{cite_id(turn, int(piece))}">[{piece}]</a>')
        else:
            parts.append(escape_text(f"[{piece}]"))
    return "".join(parts)


def _flag_unsupported(text: str, unsupported: tuple[str, ...]) -> list[tuple[str, bool]]:
    """Split the answer into runs, flagging the sentences no passage supports (with their markers)."""
    runs, position = [], 0
    for sentence in unsupported:
        start = text.find(sentence, position)
        if start < 0:
            continue
        end = start + len(sentence)
        while (marker := _MARKER.match(text, end + 1)) and text[end] == " ":
            end = marker.end()
        runs += [(text[position:start], False), (text[start:end], True)]
        position = end
    return [run for run in [*runs, (text[position:], False)] if run[0]]


def _footer(answer: Answer) -> str:
    if answer.notice:
        return f'<div class="qa-notice">{escape_text(answer.notice)}</div>'
    return (
        '<div class="qa-mode">written by the language model, checked against the sources</div>'
        if answer.mode == "llm"
        else ""
    )


def answer_pieces(answer: Answer, turn: int) -> list[str]:
    """The chat message in growing prefixes, one sentence more each, for streaming (the last one whole)."""
    full = answer_html(answer, turn)
    if answer.abstained:
        return [full]
    ends = [m.end() for m in re.finditer(r"\[\d+\]</a>", full)] or [len(full)]
    return [full[:end] + "</div>" for end in ends[:-1]] + [full]


def highlight(passage: Passage, citations: Sequence[Citation]) -> str:
    """The passage text, escaped, with the quoted sentences wrapped in <mark>."""
    chunk = passage.chunk
    spans = sorted((c.start - chunk.start, c.end - chunk.start) for c in citations)
    out, position = [], 0
    for start, end in spans:
        start, end = max(start, position), min(end, len(chunk.text))
        if start >= end:
            continue
        out.append(escape_text(chunk.text[position:start]))
        out.append(f"<mark>{escape_text(chunk.text[start:end])}</mark>")
        position = end
    out.append(escape_text(chunk.text[position:]))
    return "".join(out)


def passage_html(passage: Passage, citations: Sequence[Citation], element_id: str, turn: int, title: str) -> str:
    """One passage card: document title, file name and page, a notice if its text addresses an assistant, the
    text with its quotes highlighted, Open."""
    chunk = passage.chunk
    page = f' · <span class="qa-page-no">page {chunk.page}</span>' if chunk.page is not None else ""
    label = "Show the page" if chunk.page is not None else "Show in the document"
    flag = f'<div class="qa-flag" role="note">{FLAGGED}</div>' if passage.addresses_assistant else ""
    return (
        f'<div class="qa-source" id="{element_id}">'
        f'<div class="qa-source-head"><span class="qa-marker">[{passage.rank}]</span> '
        f'<span class="qa-title">{escape_text(title or chunk.source)}</span>'
        f'<div class="qa-where"><span class="qa-file">{escape_text(chunk.source)}</span>{page}</div></div>'
        f"{flag}"
        f'<div class="qa-passage">{highlight(passage, citations)}</div>'
        f'<button type="button" class="qa-open" data-turn="{turn}" data-rank="{passage.rank}">{label}</button></div>'
    )


def turn_sources_html(answer: Answer, turn: int, titles: Mapping[str, str], shown: bool) -> str:
    """One answer's passages: the cited ones with highlighted quotes, then the others folded away."""
    by_marker: dict[int, list[Citation]] = defaultdict(list)
    for citation in answer.citations:
        by_marker[citation.marker].append(citation)
    cited = [p for p in answer.passages if p.rank in by_marker]
    others = [p for p in answer.passages if p.rank not in by_marker]
    heading = "Closest passages" if answer.abstained else "Cited passages"
    blocks = [f'<h3>{heading}</h3><p class="qa-asked">for “{escape_text(answer.question)}”</p>']
    if answer.kind == "unsure":
        blocks.append(f'<div class="qa-unsure">{UNSURE_TITLE}.</div>')
    elif answer.abstained:
        blocks.append(f'<div class="qa-abstained">{NO_ANSWER_TITLE}.</div>')
        cited, others = others, []

    def card(p: Passage, element_id: str) -> str:
        return passage_html(p, by_marker[p.rank], element_id, turn, titles.get(p.chunk.source, ""))

    blocks += [card(p, cite_id(turn, p.rank)) for p in cited]
    if others:
        inner = "".join(card(p, f"passage-{turn}-{p.rank}") for p in others)
        blocks.append(f"<details><summary>Other retrieved passages ({len(others)})</summary>{inner}</details>")
    hidden = "" if shown else " hidden"
    return f'<section class="qa-turn" data-turn="{turn}"{hidden}>{"".join(blocks)}</section>'


def sources_html(answers: Sequence[tuple[int, Answer]], titles: Mapping[str, str]) -> str:
    """The sources panel: every answer's passages, the latest shown (a marker click shows its own answer's)."""
    if not answers:
        return EMPTY_SOURCES
    last = answers[-1][0]
    sections = "".join(turn_sources_html(a, turn, titles, turn == last) for turn, a in answers)
    return f'<div class="qa-sources">{sections}</div>'


def error_html(message: str) -> str:
    """A problem shown in the chat instead of an answer."""
    return f'<div class="qa-error">{escape_text(message)}</div>'
