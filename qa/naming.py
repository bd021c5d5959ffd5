"""Which documents a question names: "3M", "American Express", "Foot Locker" in a folder of filings.

A question that names a document ("What drove 3M's operating margin in FY2022?") is about that
document, and the pages that answer it (a statement of income, a balance sheet) rarely repeat the
name: among every filing they are drowned by the same tables of the other companies. A source's
name is the words of its path (folders and file name, without the file type); a question names a
source when it uses one of those words, alone or run together ("American Express" names
AMERICANEXPRESS_2022_10K.pdf, "Foot Locker" names FOOTLOCKER_2022_8K.pdf).

Only distinctive words written as names name anything:
- written as a name in the question, with a capital or a digit first ("Adobe", "3M"; not "the death
  of vegetation" for Black_Death.txt);
- not a number (a year is in many file names, and a question about 2021 is often answered by the
  2022 filing), a stopword or a single letter;
- not used freely by the rest of the collection: "French" does not name French_and_Indian_War.txt
  among history articles that speak of the French everywhere.
Among the named sources, those matching the most of the question's name words (its company and its
year, say) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from index.words import STOPWORDS

_TOKEN = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[A-Za-z0-9]+")
_LETTERS_DIGITS = re.compile(r"[A-Za-z]+|[0-9]+")
MAX_RUN = 3  # words a name may run together: "american express" -> "americanexpress"
COMMON_OUTSIDE = 0.01  # a word in more than this share of the other sources' chunks names nothing


@dataclass(frozen=True)
class Mention:
    """Question words that spell a name token: `token` as in the source name, `words` as in the question
    (lower-cased), and whether they are written as a name (a capital or a digit first: "Adobe", "3M")."""

    token: str
    words: tuple[str, ...]
    as_name: bool


def name_tokens(source: str) -> frozenset[str]:
    """The words of a source's path (folders and file name, not its type), lower-cased.

    Titles are left out: a paper's or article's title is its content ("Structural Homeostasis: ...
    Dendritic Arbor Geometry"), and a claim using one of its words is not naming it (on SciFact,
    reading titles as names cost 0.04 of nDCG@10); a PDF's metadata title is often a filing
    number or "UNITED STATES SECURITIES AND EXCHANGE COMMISSION".
    """
    path = PurePosixPath(source)
    text = " ".join([*path.parent.parts, path.stem if path.suffix else path.name]).lower()
    return frozenset(t for t in _TOKEN.findall(text) if _can_name(t))


def _can_name(token: str) -> bool:
    return len(token) >= 2 and token not in STOPWORDS


def is_number(token: str) -> bool:
    """Whether a name token is a number (a year, a version): such tokens narrow, but never name."""
    return token.isdigit()


def mentions(question: str) -> dict[str, Mention]:
    """Every name token the question could spell: its words, runs of up to `MAX_RUN` of them, and the
    letter and digit parts of a word ("FY2022" spells "fy2022", "fy" and "2022"), with the words that spell it."""
    written = _WORD.findall(question)
    found: dict[str, Mention] = {}

    def add(words: Sequence[str]) -> None:
        run = tuple(w.lower() for w in words)
        token = "".join(run)
        mention = Mention(token, run, not words[0][0].islower())
        if token not in found or (mention.as_name and not found[token].as_name):
            found[token] = mention

    for i in range(len(written)):
        for n in range(1, MAX_RUN + 1):
            if i + n <= len(written):
                add(written[i : i + n])
        for part in _LETTERS_DIGITS.findall(written[i]):
            add([part])
    return found


@dataclass(frozen=True)
class Naming:
    """The sources a question names, and the question's words that name them ("American", "Express")."""

    sources: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    def without_names(self, question: str) -> str:
        """The question without the words that name the sources: searching only those sources, the
        name is no longer a clue (every page of the 3M filing is 3M's) but noise that ranks first the
        pages that repeat it (exhibit lists, signatures, a company's subsidiaries)."""
        if not self.words:
            return question
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in sorted(set(self.words), key=len, reverse=True)) + r")\b"
        stripped = " ".join(re.sub(pattern, " ", question, flags=re.IGNORECASE).split())
        return stripped if re.search(r"\w", stripped) else question


@dataclass(frozen=True)
class SourceNames:
    """The name tokens of every source, and the sources bearing each token (so a question costs
    a look-up per word, not a pass over every source)."""

    count: int
    bearers: Mapping[str, tuple[str, ...]]


def source_names(sources: Iterable[str]) -> SourceNames:
    """Name the sources by their paths (`name_tokens`)."""
    bearers: dict[str, list[str]] = {}
    count = 0
    for source in sources:
        count += 1
        for token in name_tokens(source):
            bearers.setdefault(token, []).append(source)
    return SourceNames(count, {token: tuple(named) for token, named in bearers.items()})


def named_sources(
    question: str,
    names: SourceNames,
    outside_share: Callable[[tuple[str, ...], Sequence[str]], float],
    common_outside: float = COMMON_OUTSIDE,
) -> Naming:
    """The sources the question names, best matches only; none when it names none (or every one).

    Args:
        question: the question (or retrieval query).
        names: the sources' names (`source_names`).
        outside_share: the share of the chunks of all sources but the given ones that contain
            the given words as a phrase (how freely the rest of the collection uses them).
        common_outside: a word used in a larger share of the other sources' chunks names nothing.
    """
    spelled = mentions(question)
    bearers = {token: names.bearers[token] for token in spelled if token in names.bearers}
    matched: dict[str, set[str]] = {}
    for token, sources in bearers.items():
        for source in sources:
            matched.setdefault(source, set()).add(token)
    naming = {
        token
        for token, sources in bearers.items()
        if not is_number(token)
        and spelled[token].as_name
        and len(sources) < names.count
        and outside_share(spelled[token].words, sources) <= common_outside
    }
    named = [source for source, tokens in matched.items() if tokens & naming]
    if not named or len(named) == names.count:
        return Naming()
    best = max(len(matched[s]) for s in named)
    kept = sorted(s for s in named if len(matched[s]) == best)
    used = {token for s in kept for token in matched[s] & naming}
    words = {word for token in used for word in (token, *spelled[token].words)}  # "Footlocker", "Foot Locker"
    return Naming(tuple(kept), tuple(sorted(words)))
