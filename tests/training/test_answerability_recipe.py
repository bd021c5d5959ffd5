"""The answerability model: the shipped weights are the fingerprinted ones, and the training recipe still runs.

CI does not train: a few steps on a tiny slice of `../shared/train/` check that the recipe (pairs, training,
saving, calibration through the product's pipeline) cannot rot.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.confidence import FEATURES
from qa.reader import CONFIG_FILE, MODEL_DIR, WEIGHTS_FILE, AnswerabilityReader, ModelFileError, read_config
from training.answerability import data
from training.answerability.__main__ import main


def test_the_shipped_weights_match_their_fingerprint_and_fit_the_size_budget() -> None:
    config = read_config(MODEL_DIR)  # raises on a mismatch
    assert (MODEL_DIR / WEIGHTS_FILE).stat().st_size <= 50 * 2**20
    assert tuple(config["calibration"]["features"]) == FEATURES
    assert 0 < config["calibration"]["unsure_above"] <= config["calibration"]["answer_above"] < 1


def test_changed_weights_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MODEL_DIR, copy)
    weights = bytearray((copy / WEIGHTS_FILE).read_bytes())
    weights[-1] ^= 0xFF
    (copy / WEIGHTS_FILE).write_bytes(bytes(weights))
    with pytest.raises(ModelFileError, match="does not match"):
        read_config(copy)


def test_pairs_hold_positives_with_their_answer_and_near_miss_negatives() -> None:
    training, heldout = data.split(data.load_articles())
    assert {a["title"] for a in heldout} == data.HELDOUT_ARTICLES
    pairs = data.article_pairs(training[0])
    positives = [p for p in pairs if p.label]
    assert positives and all(p.span and p.sentence[p.span[0] : p.span[1]].strip() for p in positives)
    assert {"same_paragraph", "other_paragraph"} <= {p.kind for p in pairs if not p.label}
    sets = data.heldout_sets(heldout)
    assert any(q["unanswerable"] for q in sets["absent"][1]) and any(q["unanswerable"] for q in sets["squad2"][1])


def test_a_few_training_steps_on_a_tiny_slice_make_a_loadable_calibrated_model(tmp_path: Path) -> None:
    out = tmp_path / "model"
    assert main(["--out", str(out), "--limit", "96", "--max-steps", "3", "--epochs", "1"]) == 0
    config = json.loads((out / CONFIG_FILE).read_text())
    assert config["training"]["steps"] == 3 and config["training"]["recipe"]["seed"] == 13
    assert read_config(out)["weights_sha256"] == config["weights_sha256"]
    assert set(config["calibration"]) >= {"weights", "answer_above", "unsure_above", "heldout"}
    judged = AnswerabilityReader(out).judge("When did the war end?", ["The war ended in 1763."], [""])
    assert 0 <= judged[0].probability <= 1
