"""The project's own models, trained from the shipped MiniLM weights on `../shared/train/` by one seeded command.

Role: offline tooling, never imported by the product. May import `qa` (the model's network and reader live in
`qa/reader.py`, so training and answering share one definition), `evaluation` and `index`.
"""
