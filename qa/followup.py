"""Follow-up questions in extractive mode: fold the previous question into the retrieval query.

"When did it start?" after "What was Haftar's offensive?" cannot be answered on its own words; asked as
"What was Haftar's offensive? When did it start?" it can. Only questions that lean on the conversation
(a pronoun or "what about ...") are folded; a self-contained question is asked as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_REFERS_BACK = re.compile(
    r"\b(it|its|he|him|his|she|her|they|them|their|this|that|these|those|there|then)\b"
    r"|^\s*(and|also|what about|how about)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """Whether the question refers back to the conversation."""
    return bool(_REFERS_BACK.search(question))


def fold_follow_up(question: str, history: Sequence[str]) -> str:
    """The retrieval query: the question, prefixed by the previous question when it refers back to it."""
    previous = [q.strip() for q in history if q.strip()]
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1]} {question}"
