"""Split text into sentence spans with a few regular expressions.

Pure and fast: one pass of `re` per line, no models. Offsets always point into
the original text, so callers can slice `text[start:end]` to get a sentence.
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

    A newline always ends a sentence (headings, list items, table rows). Within a
    line, a sentence ends after `.`, `!` or `?` (plus closing quotes or brackets)
    when whitespace and then an upper-case letter, a digit or an opening quote or
    bracket follow, unless the period belongs to an abbreviation or an initial.

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
    for line in _LINE.finditer(text, start, stop):
        spans.extend(_line_sentences(text, line.start(), line.end()))
    return spans


def _line_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of one line `text[start:end]`, which holds no newline."""
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
