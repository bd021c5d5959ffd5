"""LLM answers: an LCEL chain that condenses a follow-up, retrieves, streams a cited answer and checks it.

    condense(question, history) -> hybrid retrieval -> prompt | chat model (streamed) -> citation check

`LLMAnswerer.stream` yields the answer's text as the model writes it, then one final `Answer`
whose sentences have been checked against their passages (see `qa/citecheck.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessageChunk
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda, RunnablePassthrough

from qa.citecheck import CheckedSentence, CitationChecker
from qa.prompts import NO_ANSWER_TOKEN, Prompts, format_history, format_passages
from qa.types import SOURCES_DO_NOT_ANSWER, Answer, Passage

Retrieve = Callable[[str], list[Passage]]


class LLMAnswerer:
    """Grounded generation with a LangChain chat model and verified citations."""

    def __init__(self, model: BaseChatModel, prompts: Prompts, checker: CitationChecker) -> None:
        """Use `model` with the prompt files; `checker` verifies what it writes."""
        self.model = model
        self.prompts = prompts
        self.checker = checker

    def chain(self, retrieve: Retrieve) -> Runnable[dict[str, Any], str | Answer]:
        """The LCEL chain: input {"question", "history"}; streams text pieces, then the checked Answer."""
        condense = self.prompts.condense | self.model | StrOutputParser()
        generate = self.prompts.answer | self.model
        return (
            RunnablePassthrough.assign(standalone=RunnableLambda(lambda x: self._condense(condense, x)))
            | RunnablePassthrough.assign(passages=RunnableLambda(lambda x: retrieve(x["standalone"])))
            | RunnablePassthrough.assign(generation=RunnableLambda(_answer_inputs) | generate)
            | RunnableGenerator(self._finish)
        )

    def stream(self, question: str, history: Sequence[str], retrieve: Retrieve) -> Iterator[str | Answer]:
        """Run the chain: text pieces as they are generated, then the final Answer."""
        yield from self.chain(retrieve).stream({"question": question, "history": list(history)})

    @staticmethod
    def _condense(condense: Runnable[dict[str, Any], str], inputs: dict[str, Any]) -> str:
        if not inputs["history"]:
            return str(inputs["question"])
        standalone = condense.invoke({"question": inputs["question"], "history": format_history(inputs["history"])})
        return standalone.strip().splitlines()[0].strip() if standalone.strip() else str(inputs["question"])

    def _finish(self, parts: Iterator[dict[str, Any]]) -> Iterator[str | Answer]:
        state: dict[str, Any] = {}
        text = ""
        for part in parts:
            chunk = part.pop("generation", None)
            state.update(part)
            if isinstance(chunk, BaseMessageChunk) and isinstance(chunk.content, str) and chunk.content:
                text += chunk.content
                yield chunk.content
        yield self.answer(state["question"], text, state["passages"])

    def answer(self, question: str, text: str, passages: Sequence[Passage]) -> Answer:
        """Check a generated answer; an explicit 'no answer' from the model becomes an abstention."""
        if text.strip().strip(".").upper() == NO_ANSWER_TOKEN or not passages:
            return Answer(question, SOURCES_DO_NOT_ANSWER, (), tuple(passages), abstained=True, mode="llm")
        checked = self.checker.check(text, passages)
        return compose(question, checked, passages)


def compose(question: str, checked: Sequence[CheckedSentence], passages: Sequence[Passage]) -> Answer:
    """The Answer from checked sentences: supported ones cited, unsupported ones flagged."""
    citations = {(c.marker, c.start): c for s in checked for c in s.citations}
    return Answer(
        question=question,
        text=" ".join(s.render() for s in checked),
        citations=tuple(citations.values()),
        passages=tuple(passages),
        mode="llm",
        unsupported=tuple(s.text for s in checked if not s.supported),
    )


def _answer_inputs(inputs: dict[str, Any]) -> dict[str, str]:
    return {"question": inputs["standalone"], "passages": format_passages(inputs["passages"])}
