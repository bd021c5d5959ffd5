"""One command: build the pairs, train, calibrate; the model folder is what `qa` loads.

    python -m training.answerability                      # the shipped model (about 25 minutes on 2 cores)
    python -m training.answerability calibrate            # only recalibrate the shipped weights
    python -m training.answerability --out DIR --limit 200 --max-steps 3   # a smoke run (the tests' recipe check)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qa.reader import MODEL_DIR  # noqa: E402
from training.answerability import data  # noqa: E402
from training.answerability.calibrate import calibrate  # noqa: E402
from training.answerability.train import Recipe, train  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.answerability", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", nargs="?", choices=["all", "calibrate"], default="all")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model folder (default: the shipped one)")
    parser.add_argument("--train-dir", type=Path, default=data.TRAIN_DIR, help="the SQuAD 2.0 slices")
    parser.add_argument("--limit", type=int, default=0, help="use the first N pairs and questions (smoke runs)")
    parser.add_argument("--max-steps", type=int, default=Recipe.max_steps)
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--seed", type=int, default=Recipe.seed)
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                        help="bf16 autocast (auto: where the CPU computes it natively)")
    args = parser.parse_args(argv)
    train_articles, heldout = data.split(data.load_articles(args.train_dir))
    if args.step == "all":
        began = time.perf_counter()
        pairs = [p for a in train_articles for p in data.article_pairs(a)]
        held = [p for a in heldout for p in data.article_pairs(a)]
        if args.limit:
            pairs, held = pairs[: args.limit], held[: args.limit]
        print(f"{len(pairs)} training pairs ({sum(p.label for p in pairs)} positive), {len(held)} held out")
        recipe = Recipe(epochs=args.epochs, max_steps=args.max_steps, seed=args.seed)
        record = train(pairs, held, args.out, recipe, _bf16(args.bf16))
        print(f"trained in {time.perf_counter() - began:.0f} s: {record}")
    sets = data.heldout_sets(heldout)
    if args.limit:
        sets = {name: (docs, questions[: max(20, args.limit // 10)]) for name, (docs, questions) in sets.items()}
    calibration = calibrate(args.out, sets)
    print(f"calibrated: answer above {calibration['answer_above']}, unsure above {calibration['unsure_above']}")
    print(f"held out: {calibration['heldout']}")
    return 0


def _bf16(choice: str) -> bool:
    if choice != "auto":
        return choice == "on"
    from index.backends import detect_cpu

    return detect_cpu().native_bf16


if __name__ == "__main__":
    raise SystemExit(main())
