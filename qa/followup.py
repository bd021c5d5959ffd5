"""Follow-up questions in extractive mode: read the question with the previous one.

"When did it start?" after "What was Haftar's offensive?" cannot be answered on its own words. When the
previous question names its subject plainly ("What is the budget of Project Falcon?" -> "Project Falcon",
"What was Haftar's offensive on Tripoli?" -> "Haftar's offensive on Tripoli"), the pronoun is replaced by
it: "Who leads it?" becomes "Who leads Project Falcon?", so the answer is about the new question, not the
old one again. Otherwise the previous question is folded in front ("What ...? When did it start?").
Only questions that lean on the conversation (a pronoun or "what about ...") are changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_REFERS_BACK = re.compile(
    r"\b(it|its|he|him|his|she|her|they|them|their|this|that|these|those|there|then)\b"
    r"|^\s*(and|also|what about|how about)\b",
    re.IGNORECASE,
)
# "What is|was|are X?" and "Tell me about X": X is the subject a later "it" stands for.
_ASKS_ABOUT = re.compile(
    r"^\s*(?:(?:what|who|which)\s+(?:is|was|are|were)\s+|tell me (?:more )?about\s+|describe\s+)"
    r"(?P<x>.+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# "the budget of X", "the head of X": an attribute of X; "it" then stands for X, not for the attribute.
_ATTRIBUTE_OF = re.compile(r"^(?:the|a|an)\s+(?:\w+\s+){0,2}?\w+\s+(?:of|for)\s+(?P<x>.+)$", re.IGNORECASE)
_NAMES = re.compile(r"(?<=\S)\s+[A-Z][\w'’-]*")  # a capitalised word after the first: the question names something
_THING = re.compile(r"\b(it|its|this|that)\b(?!\s+(?:is|was)\s+(?:said|reported))", re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    """Whether the question refers back to the conversation: it opens with "and", "what about" and the like,
    or holds a pronoun and names nothing itself ("When did it start?", not "When did Haftar announce his
    offensive?", whose "his" is Haftar's)."""
    found = _REFERS_BACK.search(question)
    if found is None:
        return False
    return bool(found.group(2)) or not _NAMES.search(question)


def subject_of(question: str) -> str | None:
    """What a question asks about, when it says so plainly ("What is the budget of X?" -> "X"), else None."""
    asked = _ASKS_ABOUT.match(question)
    if asked is None:
        return None
    subject = asked.group("x")
    attribute = _ATTRIBUTE_OF.match(subject)
    return attribute.group("x") if attribute else subject


def fold_follow_up(question: str, history: Sequence[str]) -> str:
    """The question to search and answer: its "it" replaced by the previous question's subject, or the
    previous question put in front; unchanged when it does not refer back."""
    previous = [q.strip() for q in history if q.strip()]
    if not previous or not is_follow_up(question):
        return question
    subject = subject_of(previous[-1])
    if subject and _THING.search(question):
        return _THING.sub(lambda m: _replacement(m.group(1), subject), question, count=1)
    return f"{previous[-1]} {question}"


def _replacement(pronoun: str, subject: str) -> str:
    possessive = pronoun.lower() == "its"
    if possessive:
        return subject + ("'" if subject.endswith("s") else "'s")
    return subject
