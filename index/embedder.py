"""The embedding model behind LangChain's `Embeddings` interface.

all-MiniLM-L6-v2 loads from a local directory (never the Hub), once per process. Texts are
tokenised here (`tokenizers` directly), run through the transformer by a back end's runner
(`index/runtimes.py`), and mean-pooled and L2-normalised here (what the model's own pooling does),
so that one forward pass over a chunk also gives a vector per sentence: the mean of that
sentence's token embeddings. Sentence vectors pooled in context rank answer sentences better than
sentences embedded alone (0.80 vs 0.79 top-1 on squad-a) and cost nothing extra.

The back end (`embedding.backend`, default `auto`) is chosen for the CPU at hand by
`index/backends.py`. Vectors of every back end of one model agree (cosine 0.999 or better), so
the index records the model, not the back end.

Processes that answer many questions (the UI, `qa eval`, benchmarks) call `warm_up`, which
prepares the question path (torch: a frozen TorchScript trace, about a quarter faster).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from index.backends import AUTO, BackendChoice, resolve_backend  # noqa: E402
from index.runtimes import Inputs, Runner, load_runner  # noqa: E402

DIMENSIONS = 384
# Batches are padded to a multiple of 16 tokens. oneDNN builds and caches kernels per input shape, so
# exact lengths (up to 256 of them) cost memory that grew with the corpus (+840 MB over 3,000
# abstracts) and time; 16 lengths measured +170 MB and 15% more chunks/s.
PAD_MULTIPLE = 16


def default_cache_dir() -> Path:
    """Where converted models are cached: $XDG_CACHE_HOME/qa, else ~/.cache/qa."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"


def model_identity(model_path: Path) -> str:
    """The model's name and a fingerprint of its weights: what the index records and refuses to mix.

    Back ends of one model share it; another model (even of the same shape) does not.
    """
    weights = next(p for p in (model_path / "model.safetensors", model_path / "pytorch_model.bin") if p.exists())
    digest = hashlib.sha256((model_path / "config.json").read_bytes())
    with weights.open("rb") as file:
        digest.update(file.read(1 << 20))
    name = model_path.parent.name if model_path.name == "model" else model_path.name
    return f"{name}@{digest.hexdigest()[:12]}"


@lru_cache(maxsize=4)
def load_tokenizer(model_path: str) -> Any:
    """The model's tokenizer.json through `tokenizers` itself: truncating to the window, padding a batch.

    Calling it directly skips the transformers wrapper, a tenth of the ingest time at small batches.
    """
    import json

    from tokenizers import Tokenizer

    max_length = int(json.loads((Path(model_path) / "sentence_bert_config.json").read_text())["max_seq_length"])
    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(
        pad_id=pad_id if pad_id is not None else 0, pad_token="[PAD]", pad_to_multiple_of=PAD_MULTIPLE
    )
    return tokenizer


def model_inputs(encodings: Sequence[Any]) -> Inputs:
    """Model inputs of a batch; a single text is left unpadded (the question path)."""
    keep = sum(encodings[0].attention_mask) if len(encodings) == 1 else None
    return {
        "input_ids": np.array([e.ids[:keep] for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask[:keep] for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids[:keep] for e in encodings], dtype=np.int64),
    }


class Embedder(Embeddings):
    """Normalised MiniLM embeddings, batched; the back end is chosen and the model loaded on first use."""

    def __init__(
        self, model_path: Path, batch_size: int = 16, backend: str = AUTO, cache_dir: Path | None = None
    ) -> None:
        """Store the configuration; nothing is loaded until the first embedding.

        Args:
            model_path: the model directory (the bundled all-MiniLM-L6-v2 by default in settings).
            batch_size: texts per forward pass.
            backend: `auto` (chosen for this CPU) or one of `index.backends.BACKENDS`.
            cache_dir: where converted models are kept (default: `default_cache_dir()`).
        """
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self.setting = backend
        self.cache_dir = cache_dir or default_cache_dir()
        self._query_cache = lru_cache(maxsize=256)(self._embed_one)

    def __repr__(self) -> str:
        return f"Embedder({self.model_path.name!r}, {self.setting!r})"

    @cached_property
    def choice(self) -> BackendChoice:
        """The back end that runs, and why.

        Raises:
            BackendUnavailableError: an explicit back end whose runtime is not installed.
        """
        return resolve_backend(self.setting)

    @property
    def backend(self) -> str:
        """The back end that runs (`auto` resolved)."""
        return self.choice.backend

    @cached_property
    def identity(self) -> str:
        """The model's identity, recorded in the index: vectors of different models never mix."""
        return model_identity(self.model_path)

    @property
    def tokenizer(self) -> Any:
        """The model's fast tokenizer (truncating to the window, padding batches)."""
        return load_tokenizer(str(self.model_path))

    @cached_property
    def runner(self) -> Runner:
        """The forward pass of the chosen back end (loaded, or converted and cached, on first use).

        Kept on the instance: every batch and question uses it, and the process-wide load takes a lock.
        """
        return load_runner(self.model_path, self.backend, self.cache_dir)

    def warm_up(self) -> None:
        """Load the model and run it once now rather than on the first question; prepare the question path."""
        self.encode(["warm up"])
        self.runner.warm_up()

    def _forward(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[list[tuple[int, int]]]]:
        """Token embeddings (float32), attention mask and character offsets of one batch."""
        encodings = self.tokenizer.encode_batch(list(texts))
        inputs = model_inputs(encodings)
        offsets = [e.offsets[: inputs["input_ids"].shape[1]] for e in encodings]
        return self.runner.run_batch(inputs), inputs["attention_mask"], offsets

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into a (n, 384) float32 array of unit vectors."""
        vectors, _ = self.encode_chunks(texts, [[] for _ in texts])
        return vectors

    def encode_chunks(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed chunks, and their sentences (character `spans` of each text) in the same pass.

        Returns:
            (n, 384) unit chunk vectors, and per chunk a (len(spans), 384) array of unit sentence vectors.
        """
        chunks, sentences = np.zeros((len(texts), DIMENSIONS), dtype=np.float32), [np.empty(0)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad least
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            hidden, mask, offsets = self._forward([texts[i] for i in batch])
            for row, i in enumerate(batch):
                chunks[i] = mean_pool(hidden[row], mask[row])
                sentences[i] = pool_spans(hidden[row], offsets[row], spans[i], fallback=chunks[i])
        return chunks, sentences

    def _embed_one(self, text: str) -> np.ndarray:
        # one core for a single question: retrieval runs the keyword search on the other meanwhile
        inputs = model_inputs([self.tokenizer.encode(text)])
        vector = mean_pool(self.runner.run_question(inputs)[0], inputs["attention_mask"][0])
        vector.setflags(write=False)
        return vector

    def query_vector(self, text: str) -> np.ndarray:
        """Embed a question; recent questions are cached, so retrieval and answering share one pass."""
        return self._query_cache(text)

    def clear_cache(self) -> None:
        """Forget cached question vectors (benchmarks use it to time cold questions)."""
        self._query_cache.cache_clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed passages."""
        vectors: list[list[float]] = self.encode(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed one question."""
        vector: list[float] = self.query_vector(text).tolist()
        return vector


def mean_pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit mean of the token vectors the attention mask keeps (the model's own pooling)."""
    vector = tokens[mask.astype(bool)].mean(axis=0)
    return np.asarray(vector / (np.linalg.norm(vector) or 1.0), dtype=np.float32)


def pool_spans(
    tokens: np.ndarray, offsets: Sequence[Sequence[int]], spans: Sequence[tuple[int, int]], fallback: np.ndarray
) -> np.ndarray:
    """Unit mean of the token vectors inside each character span (`fallback` for a span with no tokens).

    Word pieces are in text order, so the tokens inside a span are a contiguous run: its sum is a
    difference of two prefix sums, for every span at once.
    """
    if not spans:
        return np.zeros((0, tokens.shape[-1]), dtype=np.float32)
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts  # special and padding tokens have empty offsets
    prefix = np.zeros((int(real.sum()) + 1, tokens.shape[-1]), dtype=np.float64)
    np.cumsum(tokens[: len(offsets)][real], axis=0, out=prefix[1:])
    first = np.searchsorted(starts[real], [a for a, _ in spans], side="left")
    last = np.searchsorted(ends[real], [b for _, b in spans], side="right")
    counts = (last - first)[:, None]
    pooled = np.where(counts > 0, (prefix[last] - prefix[first]) / np.maximum(counts, 1), fallback[None, :])
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.where(norms > 0, norms, 1.0), dtype=np.float32)
