"""The embedding model behind LangChain's `Embeddings` interface.

sentence-transformers loads all-MiniLM-L6-v2 from a local directory (never the
Hub), once per process; vectors are L2-normalised so a dot product is cosine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load_model(model_path: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return SentenceTransformer(model_path, device="cpu", local_files_only=True)


class SentenceTransformerEmbedder(Embeddings):
    """Normalised MiniLM embeddings, batched; the model loads on first use."""

    def __init__(self, model_path: Path, batch_size: int = 16) -> None:
        """Store the configuration; nothing is loaded until the first embedding."""
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self._query_cache = lru_cache(maxsize=256)(self._embed_one)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_path.name!r})"

    @property
    def name(self) -> str:
        """What made the vectors, recorded in the index."""
        return f"sentence-transformers:{self.model_path.name}"

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        with _load_lock:
            _load_model(str(self.model_path))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into a (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        self.warm_up()
        model = _load_model(str(self.model_path))
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _embed_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.encode([text])[0]
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
