"""The engine's retrieval as a LangChain retriever, for Python developers' own chains: `QA.as_retriever()`.

    retriever = qa.as_retriever(k=4, sources=["report.pdf"])
    docs = retriever.invoke("What did revenue do in 2022?")       # or .invoke(question, k=2)
    docs[0].metadata   # {"source": "report.pdf", "title": ..., "page": 3, "start": 120, "end": 980,
                       #  "score": 0.61, "rank": 1}

It is the product's hybrid retrieval (dense + keyword, fused), with its permission check: a retriever made
for a user finds only what that user may read. LangChain's standard retriever tests run against it
(`tests/api/test_langchain_retriever.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from access.permissions import ADMIN, User
from qa.request import RetrievalMode
from qa.types import Passage


@runtime_checkable
class PassageSearch(Protocol):
    """What the retriever searches: `QA`, or anything with its `retrieve`."""

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        retrieval: RetrievalMode = "hybrid",
        user: User = ADMIN,
    ) -> list[Passage]: ...


class QARetriever(BaseRetriever):
    """Passages of a `QA` index as LangChain `Document`s, best first.

    Attributes:
        qa: the engine to search (a `QA`).
        k: passages to return (None: `settings.retrieval.top_k`); `invoke(query, k=n)` overrides it.
        sources: only search these sources (None: all).
        retrieval: "hybrid" (the default), "dense" or "keyword".
        user: whose permissions apply (default: an admin, as for the Python API).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    qa: PassageSearch
    k: int | None = None
    sources: Sequence[str] | None = None
    retrieval: RetrievalMode = "hybrid"
    user: User = ADMIN

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        passages = self.qa.retrieve(
            query,
            k=kwargs.get("k", self.k),
            sources=kwargs.get("sources", self.sources),
            retrieval=kwargs.get("retrieval", self.retrieval),
            user=self.user,
        )
        return [to_document(passage) for passage in passages]


def to_document(passage: Passage) -> Document:
    """A passage as a LangChain `Document`: its text, with source, title, page, offsets, score and rank."""
    chunk = passage.chunk
    metadata = {
        "source": chunk.source,
        "title": chunk.title,
        "page": chunk.page,
        "start": chunk.start,
        "end": chunk.end,
        "score": round(passage.score, 4),
        "rank": passage.rank,
    }
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.id)
