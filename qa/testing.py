"""Fakes for tests and demos: language models only (vectors and ranking always use the real model).

Each is one of LangChain's fake chat models, or a thin subclass, and says so in its name.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage


class FakeFailingChatModel(FakeListChatModel):
    """A fake chat model that raises the way an unreachable server does."""

    responses: list[str] = []
    error: str = "Connection refused"

    def _call(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        raise ConnectionError(self.error)

    def _stream(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError(self.error)
