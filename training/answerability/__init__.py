"""The answerability model: SQuAD 2.0 pairs (data.py), joint answer/span training (train.py), and the
calibration of its confidence through the product's own pipeline (calibrate.py). See
docs/answerability-model.md; run `python -m training.answerability --help`."""
