"""A question asking for one thing is not answered with its opposite.

"What time does the canteen open?" shares every word but one with "The canteen closes at 16:00.", so
similarity alone would pick it. A sentence that holds the opposite of a word the question asks about, and
not the word itself, does not answer the question. The pairs are common English opposites, matched by
word form ("open", "opens", "opening", "opened").

The test is made on the clauses that speak of what the question asks about: in "The canteen closes at
16:00, and the coffee bar stays open until 17:30" the clause about the canteen says "closes", so the
sentence does not say when the canteen opens, whatever the coffee bar does.
"""

from __future__ import annotations

import re

from index.words import content_words, split_words

# Each side is a regular expression over one lower-cased word.
_PAIRS: tuple[tuple[str, str], ...] = (
    (r"open(s|ed|ing)?", r"clos(e|es|ed|ing)"),
    (r"start(s|ed|ing)?|begin(s|ning)?|began|begun", r"end(s|ed|ing)?|finish(es|ed|ing)?|stop(s|ped|ping)?"),
    (r"arriv(e|es|ed|ing|al|als)", r"depart(s|ed|ing|ure|ures)?|leav(e|es|ing)|left"),
    (r"buy(s|ing)?|bought|purchas(e|es|ed|ing)", r"sell(s|ing)?|sold"),
    (r"import(s|ed|ing)?", r"export(s|ed|ing)?"),
    (
        r"increas(e|es|ed|ing)|ris(e|es|ing)|rose|grow(s|ing|n)?|grew",
        r"decreas(e|es|ed|ing)|fall(s|ing|en)?|fell|declin(e|es|ed|ing)|shr[iau]nk(s|ing)?",
    ),
    (r"profits?|gains?", r"loss(es)?"),
    (r"win(s|ning)?|won", r"los(e|es|ing)|lost"),
    (r"allow(s|ed|ing)?|permit(s|ted)?", r"forbid(s|den)?|prohibit(s|ed)?|banned"),
    (r"hir(e|es|ed|ing)", r"fir(e|es|ed|ing)|dismiss(es|ed|ing)?"),
    (r"born|birth", r"died|death|dies"),
    (r"minimum|min|lowest|smallest|shortest|earliest|first", r"maximum|max|highest|largest|longest|latest|last"),
    (r"paid", r"unpaid"),
    (r"deposit(s|ed|ing)?", r"withdraw(s|n|al|als|ing)?|withdrew"),
    (r"income|revenues?|earnings", r"expenses?|expenditures?|costs?"),
)
_COMPILED = tuple((re.compile(f"(?:{a})"), re.compile(f"(?:{b})")) for a, b in _PAIRS)
_CLAUSE = re.compile(r"[,;:]\s+|\s+(?:and|but|while|whereas)\s+")


def _has(pattern: re.Pattern[str], words: set[str]) -> bool:
    return any(pattern.fullmatch(w) for w in words)


def asks_the_opposite(question: str, sentence: str) -> bool:
    """Whether `sentence` (or its clauses about the question's subject) holds the opposite of a word the
    question asks about, and not that word."""
    asked = set(split_words(question))
    subject = set(content_words(question))
    clauses = [set(split_words(c)) for c in _CLAUSE.split(sentence)]
    about = [words for words in clauses if _names_subject(subject, words)] or [set(split_words(sentence))]
    return any(_says_opposite(asked, said) for said in about)


def _names_subject(subject: set[str], words: set[str]) -> bool:
    """Whether a clause shares a content word with the question other than the opposites themselves."""
    shared = subject & words
    return any(not any(a.fullmatch(w) or b.fullmatch(w) for a, b in _COMPILED) for w in shared)


def _says_opposite(asked: set[str], said: set[str]) -> bool:
    for one, other in _COMPILED:
        for wanted, opposite in ((one, other), (other, one)):
            if _has(wanted, asked) and not _has(opposite, asked) and _has(opposite, said) and not _has(wanted, said):
                return True
    return False
