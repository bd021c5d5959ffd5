"""Words hyphenated at a line end: "evac-" + "uation" -> "evacuation", but "year-on-" + "year" keeps its hyphen.

A line-end hyphen is either typesetting (drop it) or part of the word (keep it). The document
itself is the dictionary: the form it uses elsewhere wins ("evacuation" vs "evac-uation");
otherwise the hyphen stays before a capital or digit ("Non-GAAP", "COVID-19"), in compounds
("back-to-school"), and between two words the document uses on their own ("revenue-generating"),
and is dropped everywhere else. PDFium marks the hyphens it recognised as U+FFFE; a soft hyphen
(U+00AD) is always dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

HYPHENS = "-\ufffe\xad"
_BEFORE = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)([-\ufffe\xad])$")  # "evac-", "year-on-"
_AFTER = re.compile(r"\w[\w'’-]*")
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_MIN_PART = 3  # parts shorter than this are not taken as words of their own ("with-in")

HyphenPair = tuple[str, str, str]  # the word before the hyphen, the hyphen, the word after


def hyphen_pair(upper: str, lower: str) -> HyphenPair | None:
    """The (word before, hyphen, word after) when `upper` ends in a word and a hyphen, else None."""
    before = _BEFORE.search(upper)
    after = _AFTER.match(lower)
    if before is None or after is None:
        return None
    return before.group(1), before.group(2), after.group(0).rstrip("'’-")


class Hyphens:
    """Decides, for each line-end hyphen of one document, whether the joined word keeps it."""

    def __init__(self, pairs: Iterable[HyphenPair], texts: Iterable[str]) -> None:
        """Count the document's words (`texts`), less the halves of the hyphenated words (`pairs`)."""
        pairs = list(pairs)
        self._counts: Counter[str] = Counter()
        if not pairs:  # nothing to decide: skip counting a long document's words
            return
        for text in texts:
            self._counts.update(_TOKEN.findall(text.lower()))
        for before, _, after in pairs:
            self._counts.subtract(_TOKEN.findall(f"{before} {after}".lower()))

    def joint(self, before: str, hyphen: str, after: str) -> str:
        """What joins `before` and `after`: "" (one word) or "-" (a hyphenated word)."""
        if hyphen == "\xad":
            return ""
        tail = _TOKEN.match(after.lower())
        start = tail.group(0) if tail else ""
        head = before.lower()
        joined, hyphenated = self._counts[head + start], self._counts[f"{head}-{start}"]
        if joined != hyphenated:
            return "" if joined > hyphenated else "-"
        if not after[:1].islower() or "-" in after or "-" in before:
            return "-"
        if min(len(head), len(start)) >= _MIN_PART and self._counts[head] > 0 and self._counts[start] > 0:
            return "-"
        return ""
