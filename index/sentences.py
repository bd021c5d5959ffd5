"""Split text into sentence spans with a few regular expressions.

Pure and fast: one pass of `re` per paragraph, no models. Offsets always point into
the original text, so callers can slice `text[start:end]` to get a sentence.

A line break is a sentence end only where the text's structure says so: a heading, a list item,
a table row, a short line. Inside a paragraph wrapped at a fixed width (a .txt or .md file at
80 columns, a table cell on two lines) it is a space, so a sentence is never cut at a line end.
A table row is one sentence: its cells are quoted together.
"""

from __future__ import annotations

import re

# Matched case-insensitively: these are written in lower case in running text.
_LOWER_ABBREVIATIONS = frozenset({"vs", "etc", "e.g", "i.e", "cf", "al", "approx", "a.m", "p.m", "pp"})

# Matched as written or in capitals: lower-case "no." can end a sentence, "No. 5" can't.
_TITLE_ABBREVIATIONS = frozenset(
    [
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Prof",
        "Sr",
        "Jr",
        "St",
        "Fig",
        "Figs",
        "No",
        "Nos",
        "Vol",
        "Inc",
        "Ltd",
        "Co",
        "Corp",
        "Gen",
        "Col",
        "Lt",
        "Sgt",
        "Rev",
        "Eq",
        "Eqs",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "U.S",
        "U.K",
        "U.N",
    ]
)
_UPPER_ABBREVIATIONS = frozenset(word.upper() for word in _TITLE_ABBREVIATIONS)

_LINE = re.compile(r"[^\n]+")
# A line that starts a block of its own: a list item, a heading, a quote, a table row.
_BLOCK_START = re.compile(r"\s*(?:[-*+•–]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s|#|>|\|)")
# A line that ends a sentence, a clause introducing a list, or a label.
_LINE_END = re.compile(r"[.!?:;][\"”’')\]]*$")
WRAPPED_LINE = 60  # a line at least this long that stops mid-sentence was wrapped, not ended
# A run of terminators, optional closing quotes/brackets, then whitespace; the
# lookahead captures the first character of what follows.
_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+(\S))")
# The word just before a period: letters/digits, possibly dotted ("e.g", "U.S.A").
_WORD_BEFORE = re.compile(r"(?<![\w.])(?:\w+\.)*\w+$")
# Single letters each followed by a period, the last period excluded ("U.S.A", "J").
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_OPENERS = frozenset("\"“‘'([")
_LOOKBACK = 32


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return the sentence spans of `text[start:end]`.

    A blank line ends a sentence; a single line break does unless the next line
    continues the paragraph (see `continues`). Within a paragraph, a sentence ends
    after `.`, `!` or `?` (plus closing quotes or brackets) when whitespace and then
    an upper-case letter, a digit or an opening quote or bracket follow, unless the
    period belongs to an abbreviation or an initial. A table row is never split.

    Args:
        text: the whole text; offsets are relative to it.
        start: first character to consider.
        end: one past the last character to consider; None means `len(text)`.

    Returns:
        (start, end) offsets into `text`, in order, non-overlapping, never empty,
        each stripped of surrounding whitespace.
    """
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for first, last in _paragraphs(text, start, stop):
        if first == last and is_table_row(text[first[0] : first[1]]):
            _append_stripped(spans, text, first[0], first[1])
        else:
            spans.extend(_line_sentences(text, first[0], last[1]))
    return spans


def is_table_row(line: str) -> bool:
    """Whether a line is a table row: Markdown's `| a | b |`, or cells joined by " | " (Word, HTML)."""
    return line.lstrip().startswith("|") or " | " in line


def continues(line: str, following: str) -> bool:
    """Whether `following` goes on with the paragraph of `line` (a wrapped line), not a block of its own.

    It does when neither is a heading, list item, quote or table row, and `following` opens in lower
    case or `line` is long and stops mid-sentence ("... a scheduled duration" / "of more than ...").
    """
    if is_table_row(line) or is_table_row(following) or line.lstrip().startswith("#"):
        return False
    if _BLOCK_START.match(following):
        return False
    head = following.lstrip()[:1]
    if head.islower():
        return True
    return len(line.strip()) >= WRAPPED_LINE and not _LINE_END.search(line.rstrip())


def _paragraphs(text: str, start: int, stop: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(first line, last line) spans of each run of lines that reads as one paragraph."""
    runs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    previous: tuple[int, int] | None = None
    for match in _LINE.finditer(text, start, stop):
        line = match.span()
        if not text[line[0] : line[1]].strip():
            previous = None
            continue
        joined = previous is not None and text[previous[1] : line[0]] == "\n"
        if joined and previous is not None and continues(text[previous[0] : previous[1]], text[line[0] : line[1]]):
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
        previous = line
    return runs


def _line_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph `text[start:end]` (its line breaks are spaces)."""
    spans: list[tuple[int, int]] = []
    begin = start
    for match in _END.finditer(text, start, end):
        if _is_boundary(text, match):
            _append_stripped(spans, text, begin, match.end())
            begin = match.end()
    _append_stripped(spans, text, begin, end)
    return spans


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    """Whether a terminator match really ends a sentence."""
    following = match.group(1)
    if not (following.isupper() or following.isdigit() or following in _OPENERS):
        return False
    terminator = match.group(0).rstrip("\"”’')]")
    if terminator != ".":
        return True
    period = match.start()
    return not _is_abbreviation(text[max(0, period - _LOOKBACK) : period])


def _is_abbreviation(before: str) -> bool:
    """Whether the word ending `before` (its period removed) is an abbreviation or initial."""
    found = _WORD_BEFORE.search(before)
    if found is None:
        return False
    word = found.group(0)
    if word.lower() in _LOWER_ABBREVIATIONS:
        return True
    if word in _TITLE_ABBREVIATIONS or word in _UPPER_ABBREVIATIONS:
        return True
    if len(word) == 1:
        return word.isupper()
    return _INITIALISM.fullmatch(word) is not None


def _append_stripped(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Append `(start, end)` shrunk to exclude surrounding whitespace, unless it is blank."""
    piece = text[start:end]
    stripped = piece.lstrip()
    if not stripped:
        return
    left = start + len(piece) - len(stripped)
    spans.append((left, left + len(stripped.rstrip())))
