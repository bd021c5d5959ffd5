"""How a checked request becomes an answer: extractive, by a language model, or extractive as a fallback.

The policy, in one place:
- "extractive" (the default with no model configured): retrieve, then select cited sentences;
- "llm": the model writes a cited answer (`qa.generative`), every sentence checked against the
  passages; if no model is configured, its package is missing, the model fails, or none of its
  sentences is supported by the sources, the extractive answer is given instead, with
  `mode="extractive-fallback"` and a notice saying why.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from index.reader import QueryEncoder
from qa.errors import ConfigError, QAError
from qa.extractive import ExtractiveAnswerer
from qa.followup import fold_follow_up
from qa.request import AnswerMode, Request
from qa.types import Answer, Passage

if TYPE_CHECKING:
    from qa.generative import LLMAnswerer

Retrieve = Callable[[Request, str], list[Passage]]  # passages for a request, searched with this query
log = logging.getLogger(__name__)


class Answering:
    """Answers requests with the extractive answerer, or a language model with the extractive one behind it."""

    def __init__(
        self,
        retrieve: Retrieve,
        encoder: QueryEncoder,
        extractive: ExtractiveAnswerer,
        llm: Callable[[], LLMAnswerer],
        default_mode: AnswerMode,
    ) -> None:
        """`llm` builds the LLM answerer when first needed (raising `ConfigError` if none is configured)."""
        self.retrieve = retrieve
        self.encoder = encoder
        self.extractive = extractive
        self.llm = llm
        self.default_mode = default_mode

    def stream(self, request: Request) -> Iterator[str | Answer]:
        """The answer's text as a model writes it (nothing for extractive answers), then the final `Answer`."""
        if (request.mode or self.default_mode) == "extractive":
            yield self.extract(request)
            return
        try:
            yield from self._generate(request)
        except ConfigError as err:  # no model configured, or its package missing
            yield self._fallback(request, str(err))
        except QAError:
            raise
        except Exception as err:  # the model's own failures: connection, timeout, HTTP errors
            log.warning("language model failed: %r", err)
            yield self._fallback(request, f"the language model failed ({type(err).__name__}: {err})")

    def extract(self, request: Request) -> Answer:
        """The extractive answer: a follow-up is read in the context of the earlier questions."""
        query = fold_follow_up(request.question, request.history)
        passages = self.retrieve(request, query)
        answer = self.extractive.answer(query, self.encoder.query_vector(query), passages)
        return dataclasses.replace(answer, question=request.question)

    def _generate(self, request: Request) -> Iterator[str | Answer]:
        llm = self.llm()
        for item in llm.stream(request.question, request.history, lambda query: self.retrieve(request, query)):
            if isinstance(item, Answer) and not item.abstained and not item.citations:
                yield self._fallback(request, "no sentence of the model's answer is supported by the sources")
                return
            yield item

    def _fallback(self, request: Request, notice: str) -> Answer:
        answer = self.extract(request)
        notice = f"{notice}; showing the extractive answer"
        return dataclasses.replace(answer, mode="extractive-fallback", notice=notice)
