"""Text in a document that addresses an assistant ("ignore previous instructions", "you are now ...").

Such text is answered like any other text: it is data, never an instruction, and nothing in it is
followed, fetched or rendered. It is only *flagged*, so the sources panel can tell the reader that a
passage tries to steer an assistant. The patterns are the shapes prompt injections take in the wild
(overriding instructions, assigning a role, naming the prompt, dictating the reply, asking for a
link to be opened or data to be sent); ordinary prose about assistants or instructions does not match.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:previous|prior|above|earlier|all|any|your)\b"
    r"[^.\n]{0,20}\b(?:instructions?|prompts?|rules|directions|guidelines|messages)\b",
    r"\byou\s+(?:are|will\s+be|must\s+act\s+as|act\s+as)\s+now\b",
    r"\b(?:you\s+are|you're)\s+now\s+(?:a|an|the|in)\b",
    r"\b(?:system|developer|hidden)\s+prompt\b|\b(?:reveal|print|repeat|show)\s+(?:your|the)\s+instructions\b",
    r"\b(?:assistants?|chatbots?|ai|language\s+models?|llms?)\b[^.\n]{0,30}\b(?:must|should|shall|will)\s+"
    r"(?:always\s+|now\s+|only\s+)?(?:answer|respond|reply|say|state|reveal|ignore|tell|output|print|include)\b",
    r"\b(?:respond|answer|reply)\s+(?:only\s+)?with\s+[\"“']",
    r"\bdo\s+not\s+(?:cite|mention|reveal|disclose|tell\s+the\s+user)\b",
    r"\b(?:send|e-?mail|forward|post|upload)\b[^.\n]{0,40}(?:the\s+user|conversation|chat\s+history|passwords?|"
    r"credentials|api\s+keys?)[^.\n]{0,40}\b(?:to|at)\s+\S+@\S+\.\w+",
    r"\b(?:click|visit|open|follow|fetch|go\s+to)\s+(?:this|the\s+following|the)?\s*(?:link|url|page)?\s*:?\s*https?://",
    r"\[/?INST\]|<\|im_(?:start|end)\|>|^\s*#{2,}\s*(?:system|instructions?)\b",
]
_INSTRUCTIONS = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)


def addresses_assistant(text: str) -> bool:
    """Whether `text` holds words aimed at steering an assistant rather than informing a reader."""
    return _INSTRUCTIONS.search(text) is not None
