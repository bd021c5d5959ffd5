"""The kind of answer a question expects, and whether a sentence offers one.

Classic question-answering heuristics: "how many" wants a number, "when" a date,
"who" and "where" a name. A sentence that restates the question without such a
new token rarely answers it, so a match earns the sentence a small bonus.
"""

from __future__ import annotations

import re
from typing import Literal

from index.words import split_words

AnswerType = Literal["number", "date", "name", "other"]

_NUMBER = re.compile(
    r"\b(\d[\d,.]*%?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty"
    r"|fifty|hundreds?|thousands?|millions?|billions?|dozens?|half|several)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(1\d{3}|20\d{2}|\d{1,4}s|January|February|March|April|May|June|July|August|September|October|November"
    r"|December|century|centuries|BC|AD|BCE|CE|decade)\b"
)
_NAME = re.compile(r"\b[A-Z][\w'’-]*")  # searched from the second character: not the sentence's first word

_QUESTION_TYPES: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|far|old|large|big|tall|high|fast|often)\b"
            r"|\bwhat (percentage|percent|number|amount|size|age|population)\b"
        ),
    ),
    ("date", re.compile(r"\bwhen\b|\b(what|which) (year|years|date|day|month|century|decade|time|period|era)\b")),
    ("name", re.compile(r"\b(who|whom|whose|where)\b|\b(what|which) (city|country|town|state|place|region)\b")),
]


def question_type(question: str) -> AnswerType:
    """The answer type a question asks for ("other" when it is not clear)."""
    lowered = question.lower()
    for answer_type, pattern in _QUESTION_TYPES:
        if pattern.search(lowered):
            return answer_type
    return "other"


def offers_answer_type(answer_type: AnswerType, sentence: str, question: str) -> bool:
    """Whether `sentence` holds a token of the wanted type that the question does not already contain."""
    pattern = {"number": _NUMBER, "date": _DATE, "name": _NAME}.get(answer_type)
    if pattern is None:
        return False
    asked = set(split_words(question))
    start = 1 if answer_type == "name" else 0
    return any(match.group(0).lower() not in asked for match in pattern.finditer(sentence, start))
