"""Words as the keyword search, the extractive answerer and the citation check read them.

A word is a run of letters, digits or underscores, lower-cased; content words are the words that
are not `STOPWORDS`. Two words match when they are equal or share their first `STEM_LENGTH`
letters ("supported", "supporting"): a crude stem that needs no stemmer and no language.
"""

from __future__ import annotations

import re
from collections.abc import Set

STEM_LENGTH = 5  # letters two words must share to match as one stem; shorter words match only themselves
_WORD = re.compile(r"\w+")

STOPWORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before being "
    "below between both but by can could did do does doing down during each few for from further had "
    "has have having he her here hers herself him himself his how i if in into is it its itself just "
    "me more most my myself no nor not of off on once only or other our ours ourselves out over own "
    "same she should so some such than that the their theirs them themselves then there these they "
    "this those through to too under until up very was we were what when where which while who whom "
    "why will with would you your yours yourself yourselves".split()
)


def split_words(text: str) -> list[str]:
    """The lower-cased words of `text`, in order."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """The distinct lower-cased words of `text` that are not stopwords, in order."""
    return list(dict.fromkeys(w for w in split_words(text) if w not in STOPWORDS))


def stem_match(term: str, words: Set[str]) -> bool:
    """Whether `term` is one of `words`, or shares its first `STEM_LENGTH` letters with one."""
    if term in words:
        return True
    stem = term[:STEM_LENGTH]
    return len(term) >= STEM_LENGTH and any(len(w) >= STEM_LENGTH and w[:STEM_LENGTH] == stem for w in words)
