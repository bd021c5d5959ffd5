"""Split documents into chunks of whole sentences that fit the embedder's window.

all-MiniLM-L6-v2 reads at most 256 word pieces including [CLS] and [SEP] and
silently drops the rest, so every chunk is measured with the model's own
tokenizer. Offsets point into `Document.text`: `doc.text[c.start:c.end] == c.text`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import tokenizers

from index.sentences import split_sentences
from index.types import Chunk, Document

Span = tuple[int, int]
Unit = tuple[int, int, int]  # start, end, word pieces
HEADING_LINES = 3  # a page heading is at most this many short lines...
HEADING_WORDS = 15  # ...of at most this many words each
_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")  # lines up to a blank line


class Tokenizer(Protocol):
    """Anything that can locate the word pieces of a text."""

    def token_spans(self, text: str) -> list[Span]:
        """Character spans (into text) of each word piece, without special tokens."""
        ...


@runtime_checkable
class BatchTokenizer(Tokenizer, Protocol):
    """A tokenizer that can also count the word pieces of many texts at once."""

    def count(self, texts: Sequence[str]) -> list[int]:
        """Number of word pieces of each text, without special tokens."""
        ...


class WordPieceTokenizer:
    """The embedding model's tokenizer (tokenizer.json), via the fast `tokenizers` package."""

    def __init__(self, model_dir: Path) -> None:
        """Load `model_dir / "tokenizer.json"` with truncation and padding turned off."""
        self._tokenizer = tokenizers.Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def token_spans(self, text: str) -> list[Span]:
        """Character spans (into text) of each word piece, without special tokens."""
        return list(self._tokenizer.encode(text, add_special_tokens=False).offsets)

    def count(self, texts: Sequence[str]) -> list[int]:
        """Number of word pieces of each text, without special tokens."""
        encodings = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk sizes in word pieces.

    Attributes:
        max_tokens: target chunk size; sentences are packed up to it.
        overlap_tokens: at most this many tokens of whole trailing sentences of a
            chunk are repeated at the start of the next one.
        hard_limit: no chunk is ever longer (the model window minus [CLS] and [SEP]).
    """

    max_tokens: int = 200
    overlap_tokens: int = 40
    hard_limit: int = 254


def split_document(doc: Document, tokenizer: Tokenizer, config: ChunkingConfig = ChunkingConfig()) -> list[Chunk]:
    """Split a document into overlapping chunks of whole sentences.

    Paginated documents are split page by page, so a chunk belongs to one page; a sentence
    that runs on into the next page stays whole, in the chunk of the page where it starts
    (see `page_regions`). A sentence longer than `config.max_tokens` is cut at word-piece boundaries,
    preferably at whitespace; no text is ever dropped.

    Args:
        doc: the document to split.
        tokenizer: measures word pieces; batched through `count` when it has one.
        config: chunk and overlap sizes.

    Returns:
        Chunks in document order; empty for a blank document.
    """
    limit = min(config.max_tokens, config.hard_limit)
    regions = page_regions(doc)
    sentences = [split_sentences(doc.text, start, end) for start, end, _ in regions]
    counts = iter(_count(tokenizer, [doc.text[s:e] for spans in sentences for s, e in spans]))
    chunks: list[Chunk] = []
    for (region_start, region_end, page), spans in zip(regions, sentences, strict=True):
        units = [(s, e, next(counts)) for s, e in spans]
        units = _fit_units(doc.text, units, tokenizer, limit)
        heading = page_heading(doc.text, region_start, region_end) if page is not None else None
        context, context_tokens = "", 0
        if heading:
            context = " ".join(doc.text[heading[0] : heading[1]].split())
            context_tokens = _count(tokenizer, [context])[0] + 1  # and the line break after it
        for first, last in _pack([n for _, _, n in units], limit, config.overlap_tokens):
            start, end = units[first][0], units[last - 1][1]
            size = sum(n for _, _, n in units[first:last])
            above = heading is not None and start >= heading[1] and size + context_tokens <= config.hard_limit
            chunks.append(Chunk(doc.source, doc.title, doc.text[start:end], start, end, page, context if above else ""))
    return chunks


def page_regions(doc: Document) -> list[tuple[int, int, int | None]]:
    """The `(start, end, page)` spans to split: the pages, each extended over the end of a sentence that
    runs on into the next page.

    Pages whose texts the loader joined by a single space (a sentence going on, see `index.pdf.text.runs_on`)
    share that sentence: the earlier page takes the text up to the sentence's end, the later one starts after it.
    """
    if not doc.pages:
        return [(0, len(doc.text), None)]
    starts, ends = [p.start for p in doc.pages], [p.end for p in doc.pages]
    for i in range(1, len(doc.pages)):
        if doc.text[ends[i - 1] : starts[i]] != " ":
            continue
        line_end = doc.text.find("\n", starts[i], ends[i])
        first = split_sentences(doc.text, starts[i], ends[i] if line_end < 0 else line_end)
        if first:
            ends[i - 1] = first[0][1]
            rest = doc.text[first[0][1] : ends[i]]
            starts[i] = ends[i] - len(rest.lstrip())
    return [(start, end, p.number) for start, end, p in zip(starts, ends, doc.pages, strict=True)]


def page_heading(text: str, start: int, end: int) -> Span | None:
    """The span of the short lines that open a page, if it opens with any: a statement's company, name and units.

    They are up to `HEADING_LINES` paragraphs of one line each, of at most `HEADING_WORDS` words, starting
    with a capital, a digit or a bracket (not in lower case: that is a sentence going on from the page
    before; not with a bullet: that is a list item).
    """
    found: Span | None = None
    for count, paragraph in enumerate(_PARAGRAPH.finditer(text, start, end)):
        line = paragraph.group().strip()
        if count == HEADING_LINES or "\n" in line or len(line.split()) > HEADING_WORDS or not _opens_heading(line):
            break
        found = (found[0] if found else paragraph.start(), paragraph.end())
    return found


def _opens_heading(line: str) -> bool:
    return line[:1] == "(" or line[:1].isupper() or line[:1].isdigit()


def _count(tokenizer: Tokenizer, texts: Sequence[str]) -> list[int]:
    """Word pieces of each text, in one batch when the tokenizer supports it."""
    if not texts:
        return []
    if isinstance(tokenizer, BatchTokenizer):
        return tokenizer.count(texts)
    return [len(tokenizer.token_spans(text)) for text in texts]


def _fit_units(text: str, units: list[Unit], tokenizer: Tokenizer, limit: int) -> list[Unit]:
    """Replace every unit longer than `limit` tokens by consecutive pieces that fit."""
    if all(n <= limit for _, _, n in units):
        return units
    fitted: list[Unit] = []
    for unit in units:
        fitted.extend(_split_long(text, unit, tokenizer, limit) if unit[2] > limit else [unit])
    return fitted


def _split_long(text: str, unit: Unit, tokenizer: Tokenizer, limit: int) -> list[Unit]:
    """Cut one over-long sentence into pieces of at most `limit` tokens, losing no text."""
    start, end, _ = unit
    spans = tokenizer.token_spans(text[start:end])
    cuts = _cut_points(text[start:end], spans, limit)
    if not cuts:  # only a tokenizer whose counts disagree with its spans gets here
        return [unit]
    pieces: list[Span] = []
    begin = start
    for cut in cuts:
        pieces.extend(_strip(text, begin, start + cut))
        begin = start + cut
    pieces.extend(_strip(text, begin, end))
    counts = _count(tokenizer, [text[s:e] for s, e in pieces])
    result: list[Unit] = []
    for (s, e), n in zip(pieces, counts, strict=True):
        # A cut inside a word can re-tokenize differently: split again if needed.
        result.extend(_split_long(text, (s, e, n), tokenizer, limit) if n > limit else [(s, e, n)])
    return result


def _cut_points(sentence: str, spans: list[Span], limit: int) -> list[int]:
    """Character offsets where to cut so each piece holds at most `limit` word pieces."""
    cuts: list[int] = []
    first = 0
    while len(spans) - first > limit:
        cut = _best_cut(sentence, spans, first, limit)
        cuts.append(spans[cut][0])
        first = cut
    return cuts


def _best_cut(sentence: str, spans: list[Span], first: int, limit: int) -> int:
    """Index of the token starting the next piece: after whitespace, else punctuation, else last."""
    candidates = range(first + limit, first + limit // 2, -1)
    for k in candidates:
        if sentence[spans[k - 1][1] : spans[k][0]].isspace():
            return k
    for k in candidates:
        if not (sentence[spans[k - 1][1] - 1].isalnum() and sentence[spans[k][0]].isalnum()):
            return k
    return first + limit


def _strip(text: str, start: int, end: int) -> list[Span]:
    """`(start, end)` without surrounding whitespace, or nothing if it is blank."""
    piece = text[start:end]
    stripped = piece.lstrip()
    if not stripped:
        return []
    left = start + len(piece) - len(stripped)
    return [(left, left + len(stripped.rstrip()))]


def _pack(counts: Sequence[int], limit: int, overlap: int) -> list[Span]:
    """Group consecutive units into `[first, last)` windows of at most `limit` tokens.

    Each window after the first repeats the trailing units of the previous one
    that total at most `overlap` tokens, as long as a new unit still fits.
    """
    windows: list[Span] = []
    first = 0
    while first < len(counts):
        last, total = first + 1, counts[first]
        while last < len(counts) and total + counts[last] <= limit:
            total += counts[last]
            last += 1
        windows.append((first, last))
        if last == len(counts):
            break
        first = _overlap_start(counts, first, last, limit, overlap)
    return windows


def _overlap_start(counts: Sequence[int], first: int, last: int, limit: int, overlap: int) -> int:
    """First unit of the window after `[first, last)`: always past `first`, at most `last`."""
    start, repeated = last, 0
    while start - 1 > first:
        size = counts[start - 1]
        if repeated + size > overlap or repeated + size + counts[last] > limit:
            break
        repeated += size
        start -= 1
    return start
