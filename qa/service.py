"""`QA`: the one object every front-end calls. It wires the parts and delegates; it decides nothing itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from access.library import UPLOADS, Library
from access.permissions import ADMIN, User
from index.embedder import Embedder
from index.manifest import DEFAULT_COLLECTION
from index.store import ChunkStore
from qa import components
from qa.answering import Answering
from qa.errors import IndexMissingError, writer_errors
from qa.extractive import ExtractiveAnswerer
from qa.langchain_retriever import QARetriever
from qa.request import AnswerMode, AskOptions, Request, RetrievalMode, check_paths, check_question
from qa.retrieval import HybridRetriever
from qa.settings import Settings, settings_for
from qa.types import Answer, Passage

if TYPE_CHECKING:  # the LLM and sync stacks load only when used: `qa ask` starts faster without them
    from langchain_core.language_models import BaseChatModel

    from index.check import CheckReport
    from index.sync import Progress, SyncReport
    from index.writer import IndexWriter
    from qa.generative import LLMAnswerer


class QA:
    """Question answering over a folder of documents, with cited answers.

    Example:
        >>> from qa import QA
        >>> qa = QA(data_dir=".qa")
        >>> qa.ingest("seeds/")
        >>> answer = qa.ask("Who leads the Libyan National Army?")
        >>> print(answer.text, answer.citations[0].source)

    Nothing heavy happens in the constructor: the index opens and the model loads on first use.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        settings: Settings | None = None,
        chat_model: BaseChatModel | None = None,
        **overrides: Any,
    ):
        """Configure from `settings`, or from `load_settings(**overrides)`, in `data_dir` if given.

        `chat_model` replaces the model `settings.llm` would build (any LangChain chat model).
        """
        self._chat_model = chat_model
        self.settings = settings_for(settings, data_dir, overrides)

    def __repr__(self) -> str:
        return f"QA(data_dir={str(self.settings.data_dir)!r})"

    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first embedding (`ConfigError` if it is missing or cannot run here)."""
        return components.embedder(self.settings)

    @cached_property
    def store(self) -> ChunkStore:
        """The index (Chroma and SQLite), opened on first use; `ConfigError` if it cannot be (see `index.chroma`)."""
        return components.store(self.settings, self.embedder)

    @cached_property
    def writer(self) -> IndexWriter:
        """The index's one writer: lock, sync, removal, check and repair."""
        return components.writer(self.settings, self.store)

    @cached_property
    def retriever(self) -> HybridRetriever:
        """Dense + keyword retrieval over the index."""
        return components.retriever(self.settings, self.store, self.embedder)

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        """The extractive (no LLM) answerer."""
        return components.extractive_answerer(self.settings, self.store)

    @cached_property
    def llm_answerer(self) -> LLMAnswerer:
        """The LLM answerer (`ConfigError` when no model is configured or its package is missing)."""
        return components.llm_answerer(self.settings, self._chat_model, self.embedder, self.store)

    @cached_property
    def answering(self) -> Answering:
        """Chooses between the extractive answer, the LLM's, and the fallback."""
        return Answering(self._retrieve, self.embedder, self.answerer, lambda: self.llm_answerer, self.default_mode)

    @cached_property
    def library(self) -> Library:
        """Collections and sources as each user may see and change them (`collections`, `create`, `document_file`)."""
        return Library(self.store)

    @property
    def default_mode(self) -> AnswerMode:
        """ "llm" when a language model is configured, else "extractive"."""
        return components.default_mode(self.settings, self._chat_model)

    def ingest(
        self,
        *paths: str | Path,
        progress: Progress | None = None,
        collection: str = DEFAULT_COLLECTION,
        user: User = ADMIN,
        require_text: bool = False,
    ) -> list[SyncReport]:
        """Sync files or folders (default: the seeds folder) into a collection `user` may change (`index.sync`;
        `require_text`: a file without text fails, as an upload should); `IngestError` for a missing path or a
        busy index, `PermissionDeniedError`, `ConfigError` (no parser)."""
        targets = check_paths(paths) or [self.settings.seeds_dir]
        self.library.writable(collection, user)
        with writer_errors():
            return self.writer.ingest(targets, progress, collection, require_text)

    def check(self, repair: bool = False) -> CheckReport:
        """Compare the index's stores; with `repair`, purge what disagrees for the next ingest to restore
        (`IngestError` if an ingest is writing the index after `settings.writer_wait` seconds)."""
        from index.check import CheckReport

        if not components.index_exists(self.settings):
            return CheckReport()
        with writer_errors():
            return self.writer.check(repair)

    def remove(self, source: str, user: User = ADMIN) -> int:
        """Remove a source `user` may change, and its uploaded copy; returns how many chunks were deleted
        (`SourceNotFoundError`, also for a source `user` may not read, or `PermissionDeniedError`)."""
        copy = self.library.removable(source, user, self.settings.data_dir / UPLOADS)
        with writer_errors():
            deleted = self.writer.remove(source)
        if copy is not None:
            copy.unlink(missing_ok=True)
        return deleted

    def sources(self, user: User = ADMIN) -> dict[str, int]:
        """The sources `user` may read, with their chunk counts."""
        return self.library.sources(user) if components.index_exists(self.settings) else {}

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        retrieval: RetrievalMode = "hybrid",
        user: User = ADMIN,
    ) -> list[Passage]:
        """The passages most relevant to `question` that `user` may read, best first (see `ask`)."""
        options = AskOptions(k=k, sources=sources, retrieval=retrieval, user=user)
        request = self._ready(Request.checked(question, self.settings.retrieval.top_k, **options))
        return self._retrieve(request, request.question)

    def as_retriever(self, k: int | None = None, sources: Sequence[str] | None = None, **more: Any) -> QARetriever:
        """This index's retrieval as a LangChain retriever (`user=`, `retrieval=` too; `qa.langchain_retriever`)."""
        return QARetriever(qa=self, k=k, sources=sources, **more)

    def ask(self, question: str, **options: Unpack[AskOptions]) -> Answer:
        """Answer `question` with cited sentences, or abstain.

        `k` passages are retrieved (default `settings.retrieval.top_k`) from `sources` (default: all),
        by `retrieval` ("hybrid", "dense" or "keyword"). `history` holds the conversation's earlier
        questions, oldest first, so that a follow-up is understood. `mode` is "extractive" or "llm"
        (default "llm" when a model is configured; see `qa.answering` for the fallback).

        Raises `IndexMissingError` (nothing ingested yet) or `QAError` (`qa.request` names the wrong argument).
        """
        *_, final = self.ask_stream(question, **options)
        if not isinstance(final, Answer):  # pragma: no cover - ask_stream always ends with an Answer
            raise TypeError("ask_stream ended without an Answer")
        return final

    def ask_stream(self, question: str, **options: Unpack[AskOptions]) -> Iterator[str | Answer]:
        """Like `ask`, but yields the answer's text as an LLM writes it, then the final `Answer`."""
        request = Request.checked(question, self.settings.retrieval.top_k, **options)
        yield from self.answering.stream(self._ready(request))

    def _ready(self, request: Request) -> Request:
        """The request with the collections its user may read, once the index holds every source it names."""
        if not components.index_exists(self.settings) or self.store.is_empty():
            raise IndexMissingError(
                f"nothing is indexed in {self.settings.data_dir} yet; run `qa ingest` (or `qa ingest PATH`) first"
            )
        collections = self.library.readable(request.user)
        if request.sources:
            request.require_known(self.store.chunk_counts(collections))
        return dataclasses.replace(request, collections=collections)

    def _retrieve(self, request: Request, query: str) -> list[Passage]:
        """Passages for the request, searched with `query` (the question, or a model's rewording of it)."""
        query = check_question(query)
        return self.retriever.retrieve(query, request.k, request.sources, request.retrieval, request.collections)
