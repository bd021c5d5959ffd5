"""The embedder: normalised vectors from the bundled model, sentence vectors pooled in the same pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedder import SentenceTransformerEmbedder, _sentence_transformer, pool_spans
from index.sentences import split_sentences


@pytest.fixture(scope="module")
def embedder(model_path: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model_path)


def test_vectors_are_unit_length_and_384_wide(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.encode(["A lighthouse on the cliff.", "Ferries leave hourly."])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_fp32_vectors_equal_sentence_transformers_own_encoding(model_path: Path) -> None:
    texts = ["The lamp was lit at dusk. Ships steered clear of the rocks.", "Bread is baked at six."]
    reference = _sentence_transformer(str(model_path)).encode(texts, normalize_embeddings=True)
    chunks, _ = SentenceTransformerEmbedder(model_path, backend="torch-fp32").encode_chunks(
        texts, [split_sentences(t) for t in texts]
    )
    assert np.allclose(chunks, reference, atol=1e-5)


def test_bf16_vectors_stay_close_to_the_fp32_reference(model_path: Path) -> None:
    texts = ["The lamp was lit at dusk.", "Bread is baked at six.", "Ferries leave the harbour every hour."]
    fp32 = SentenceTransformerEmbedder(model_path, backend="torch-fp32").encode(texts)
    bf16 = SentenceTransformerEmbedder(model_path, backend="torch-bf16").encode(texts)
    assert np.min(np.sum(fp32 * bf16, axis=1)) > 0.99


def test_each_sentence_gets_its_own_unit_vector_closest_to_its_topic(embedder: SentenceTransformerEmbedder) -> None:
    text = "The harbour ferry leaves every hour. The bakery sells rye bread at dawn."
    spans = split_sentences(text)
    _, sentences = embedder.encode_chunks([text], [spans])
    assert sentences[0].shape == (2, 384)
    assert np.allclose(np.linalg.norm(sentences[0], axis=1), 1.0, atol=1e-5)
    query = embedder.query_vector("Where can I buy bread?")
    assert float(sentences[0][1] @ query) > float(sentences[0][0] @ query)


def test_pool_spans_averages_the_tokens_inside_each_span() -> None:
    tokens = np.array([[9.0, 9.0], [1.0, 0.0], [0.0, 1.0], [0.0, 3.0], [9.0, 9.0]])
    offsets = [(0, 0), (0, 3), (4, 7), (8, 11), (0, 0)]  # [CLS], three words, [SEP]
    pooled = pool_spans(tokens, offsets, [(0, 7), (8, 11)], fallback=np.array([1.0, 0.0]))
    assert np.allclose(pooled[0], np.array([1.0, 1.0]) / np.sqrt(2))
    assert np.allclose(pooled[1], [0.0, 1.0])


def test_pool_spans_falls_back_when_a_span_has_no_tokens() -> None:
    pooled = pool_spans(np.ones((2, 2)), [(0, 0), (0, 3)], [(10, 12)], fallback=np.array([0.0, 2.0]))
    assert np.allclose(pooled[0], [0.0, 1.0])


@pytest.mark.parametrize("backend", ["torch-bf16", "torch-fp32"])
def test_after_warm_up_questions_go_through_a_traced_graph_equal_to_the_eager_model(
    model_path: Path, backend: str
) -> None:
    embedder = SentenceTransformerEmbedder(model_path, backend=backend)  # type: ignore[arg-type]
    assert embedder._graph is None  # a one-shot question runs the eager model
    embedder.warm_up()
    assert embedder._graph is not None  # questions now take the traced path
    questions = ["Bread?", "Where can I buy rye bread at dawn near the harbour?", "harbour " * 300]
    traced = np.stack([embedder.query_vector(q) for q in questions])
    eager = embedder.encode(questions)  # batches always run the eager transformer
    assert np.min(np.sum(traced * eager, axis=1)) > 0.9995
    assert np.allclose(np.linalg.norm(traced, axis=1), 1.0, atol=1e-5)


def test_batches_pad_to_a_multiple_of_16_and_padding_leaves_vectors_unchanged(model_path: Path) -> None:
    from index.embedder import PAD_MULTIPLE, _load_model, _tensors

    tokenizer = _load_model(str(model_path), "torch-fp32").tokenizer
    short, long = "Bread is baked at six.", "The harbour ferry leaves every hour for the island. " * 3
    batch = _tensors(tokenizer.encode_batch([short, long]))
    assert batch["input_ids"].shape[1] % PAD_MULTIPLE == 0  # few shapes: oneDNN reuses its kernels
    single = _tensors([tokenizer.encode(short)])
    assert int(single["attention_mask"].sum()) == single["input_ids"].shape[1]  # one text: no padding
    embedder = SentenceTransformerEmbedder(model_path, backend="torch-fp32")
    alone, padded = embedder.encode([short]), embedder.encode([short, long])
    assert np.allclose(alone[0], padded[0], atol=1e-5)
