"""Prompt files from `prompts/`, loaded by name into LangChain templates, every variable required.

Each prompt declares the variables it must use; a file that drops one, or uses an unknown one,
is a configuration error naming the file, and rendering without a variable raises instead of
leaving a hole.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from qa.errors import ConfigError
from qa.types import Passage

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
REQUIRED = {"system": {"no_answer"}, "answer": {"question", "passages"}, "condense": {"history", "question"}}
NO_ANSWER_TOKEN = "NO_ANSWER"  # what the model writes when the passages do not answer


def load_template(name: str, prompts_dir: Path = PROMPTS_DIR) -> PromptTemplate:
    """Load `prompts/<name>.txt`, checking that it uses exactly its required variables."""
    path = prompts_dir / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read prompt ({err.strerror})") from err
    found = {field for _, field, _, _ in string.Formatter().parse(text) if field}
    expected = REQUIRED[name]
    if found != expected:
        missing, unknown = sorted(expected - found), sorted(found - expected)
        raise ConfigError(
            f"{path}: prompt variables wrong (missing: {missing or 'none'}, unknown: {unknown or 'none'})"
        )
    return PromptTemplate.from_template(text)


@dataclass(frozen=True)
class Prompts:
    """The three prompts of the LLM mode."""

    answer: ChatPromptTemplate
    condense: PromptTemplate

    @classmethod
    def load(cls, prompts_dir: Path = PROMPTS_DIR) -> Prompts:
        """Load and check every prompt file."""
        messages = [("system", load_template("system", prompts_dir)), ("human", load_template("answer", prompts_dir))]
        answer = ChatPromptTemplate.from_messages([(role, t.template) for role, t in messages])
        return cls(answer=answer.partial(no_answer=NO_ANSWER_TOKEN), condense=load_template("condense", prompts_dir))


def format_passages(passages: Sequence[Passage]) -> str:
    """Passages numbered by rank and delimited as data; a delimiter inside a passage is defused."""
    blocks = []
    for p in passages:
        page = f' page="{p.chunk.page}"' if p.chunk.page is not None else ""
        text = p.chunk.text.replace("</passage>", "</ passage>").replace("<passage", "< passage")
        blocks.append(f'<passage n="{p.rank}" source="{p.chunk.source}"{page}>\n{text}\n</passage>')
    return "\n\n".join(blocks)


def format_history(questions: Sequence[str]) -> str:
    """Earlier questions, one per line."""
    return "\n".join(f"- {q}" for q in questions)
