"""The embedding model behind LangChain's `Embeddings` interface.

sentence-transformers loads all-MiniLM-L6-v2 from a local directory (never the Hub), once per
process. Texts go through its tokenizer and transformer directly and are mean-pooled and
L2-normalised here (what the model's own pooling does), so that one forward pass over a chunk
also gives a vector per sentence: the mean of that sentence's token embeddings. Sentence
vectors pooled in context rank answer sentences better than sentences embedded alone (0.80 vs
0.79 top-1 on squad-a) and cost nothing extra.

Back ends (`embedding.backend`):
- `torch-bf16` (default): the weights in bfloat16; 2.5x the fp32 throughput on these CPUs and the
  same retrieval quality (see the README's speed benchmark);
- `torch-fp32`: the reference.

A question is one short unpadded sequence, where torch's per-operator overhead is most of the
time. Processes that answer many questions (the UI, `qa eval`, benchmarks) call `warm_up`, which
also traces the transformer into a frozen TorchScript graph (half a second, once per process) that
questions then go through, about a quarter faster; a one-shot `qa ask` runs the eager model.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Backend = Literal["torch-bf16", "torch-fp32"]
DIMENSIONS = 384
_load_lock = threading.Lock()
# Eager passes and tracing run one at a time (tracing must not overlap a pass of the module it
# traces); passes through the traced question graph run concurrently, one core each, so that
# questions asked at the same time use both cores. Thread counts are per thread (OpenMP).
_run_lock = threading.Lock()
# Batches are padded to a multiple of 16 tokens. oneDNN builds and caches kernels per input shape, so
# exact lengths (up to 256 of them) cost memory that grew with the corpus (+840 MB over 3,000
# abstracts) and time; 16 lengths measured +170 MB and 15% more chunks/s.
PAD_MULTIPLE = 16


class _Model(NamedTuple):
    tokenizer: Any  # tokenizers.Tokenizer, truncating and padding
    transformer: Any


@lru_cache(maxsize=4)
def _load_model(model_path: str, backend: Backend = "torch-fp32") -> _Model:
    """The tokenizer and transformer of the model directory, loaded once per process.

    The fp32 reference goes through sentence-transformers itself. The bf16 back end loads the same
    files with transformers directly: importing sentence-transformers costs two seconds of start-up
    (it pulls in scikit-learn), and the pooling it would add is done in this module (a test checks
    that the fp32 vectors equal sentence-transformers' own).
    """
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    if backend == "torch-fp32":
        st = _sentence_transformer(model_path)
        transformer: Any = st[0].auto_model
        return _Model(_fast_tokenizer(model_path, int(st.max_seq_length or 256)), transformer.eval())
    from transformers import AutoModel

    config = json.loads((Path(model_path) / "sentence_bert_config.json").read_text())
    transformer = AutoModel.from_pretrained(model_path, local_files_only=True, dtype=torch.bfloat16).eval()
    return _Model(_fast_tokenizer(model_path, int(config["max_seq_length"])), transformer)


def _fast_tokenizer(model_path: str, max_length: int) -> Any:
    """The model's tokenizer.json through `tokenizers` itself: truncating to the window, padding a batch.

    Calling it directly skips the transformers wrapper, a tenth of the ingest time at small batches.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(
        pad_id=pad_id if pad_id is not None else 0, pad_token="[PAD]", pad_to_multiple_of=PAD_MULTIPLE
    )
    return tokenizer


def _tensors(encodings: Sequence[Any]) -> dict[str, Any]:
    """Model inputs of a batch; a single text is left unpadded (the question path and its traced graph)."""
    import torch

    keep = sum(encodings[0].attention_mask) if len(encodings) == 1 else None
    return {
        "input_ids": torch.tensor([e.ids[:keep] for e in encodings]),
        "attention_mask": torch.tensor([e.attention_mask[:keep] for e in encodings]),
        "token_type_ids": torch.tensor([e.type_ids[:keep] for e in encodings]),
    }


@lru_cache(maxsize=4)
def _query_graph(model_path: str, backend: Backend) -> Any:
    """The transformer traced and frozen for one unpadded sequence (a question), once per process."""
    import torch

    model = _load_model(model_path, backend)
    example = tuple(_tensors([model.tokenizer.encode("which sentence answers this question")]).values())
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # tracing reads every attribute; some warn
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings about branches that a batch of one never takes
            with torch.inference_mode():
                traced = torch.jit.trace(model.transformer, example, strict=False)  # type: ignore[no-untyped-call]
            return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))
    finally:
        hf_logging.set_verbosity(verbosity)


@lru_cache(maxsize=2)
def _sentence_transformer(model_path: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path, device="cpu", local_files_only=True)


class SentenceTransformerEmbedder(Embeddings):
    """Normalised MiniLM embeddings, batched; the model loads on first use."""

    def __init__(self, model_path: Path, batch_size: int = 16, backend: Backend = "torch-bf16") -> None:
        """Store the configuration; nothing is loaded until the first embedding."""
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self.backend: Backend = backend
        self._query_cache = lru_cache(maxsize=256)(self._embed_one)
        self._graph: Any | None = None  # the traced question graph, made by warm_up

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_path.name!r}, {self.backend!r})"

    @property
    def name(self) -> str:
        """What makes the vectors, recorded in the index so that vectors of different makers never mix."""
        return f"{self.model_path.name}/{self.backend}"

    def _model(self) -> _Model:
        with _load_lock:
            return _load_model(str(self.model_path), self.backend)

    def warm_up(self) -> None:
        """Load the model and run it once now rather than on the first question; trace the question graph."""
        self.encode(["warm up"])
        with _run_lock:  # tracing runs the model: nothing else may run it meanwhile
            self._graph = _query_graph(str(self.model_path), self.backend)

    def _forward(
        self, texts: Sequence[str], threads: int | None = None, graph: Any | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[list[tuple[int, int]]]]:
        """Token embeddings (float32), attention mask and character offsets of one batch.

        `threads` caps torch's threads for this pass (restored afterwards); `graph`, a traced
        transformer, runs instead of the eager one.
        """
        import torch

        model = self._model()
        encodings = model.tokenizer.encode_batch(list(texts))
        inputs = _tensors(encodings)
        offsets = [e.offsets[: inputs["input_ids"].shape[1]] for e in encodings]
        with _run_lock if graph is None else contextlib.nullcontext(), torch.inference_mode():
            before = torch.get_num_threads()
            torch.set_num_threads(threads or before)
            try:
                if graph is None:
                    hidden = model.transformer(**inputs).last_hidden_state
                else:
                    out = graph(inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"])
                    hidden = out["last_hidden_state"] if isinstance(out, dict) else out[0]
            finally:
                torch.set_num_threads(before)
        return hidden.float().numpy(), inputs["attention_mask"].numpy(), offsets

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
        hidden, mask, _ = self._forward([text], threads=1, graph=self._graph)
        vector = mean_pool(hidden[0], mask[0])
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
    """Unit mean of the token vectors inside each character span (`fallback` for a span with no tokens)."""
    if not spans:
        return np.zeros((0, tokens.shape[-1]), dtype=np.float32)
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts  # special and padding tokens have empty offsets
    pooled = []
    for start, end in spans:
        inside = real & (starts >= start) & (ends <= end)
        vector = tokens[: len(offsets)][inside].mean(axis=0) if inside.any() else fallback
        pooled.append(vector / (np.linalg.norm(vector) or 1.0))
    return np.asarray(pooled, dtype=np.float32).reshape(len(spans), -1)
