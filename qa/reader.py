"""The answer reader: whether a sentence answers a question, and which of its words do.

`Reader` is the role the extractive answerer depends on; `AnswerabilityReader` fills it with the
project's own model (a MiniLM cross-encoder trained from the shipped embedding weights; see
docs/answerability-model.md), loaded from `qa/models/answerability/` on first use.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Judgement:
    """The reader's view of one sentence."""

    probability: float  # calibrated: that the sentence answers the question
    span: tuple[int, int] | None  # the answering words, as offsets into the sentence
    span_score: float = 0.0  # how sure the span head is of those words (its start + end logits)


class Reader(Protocol):
    """Judges candidate sentences against a question."""

    def judge(self, question: str, sentences: Sequence[str], contexts: Sequence[str]) -> list[Judgement]:
        """One judgement per sentence; `contexts[i]` is the sentence before `sentences[i]` ("" for none)."""
        ...


MODEL_DIR = Path(__file__).resolve().parent / "models" / "answerability"
CONFIG_FILE = "answerability.json"  # thresholds, calibration, training record, the weights' SHA-256
WEIGHTS_FILE = "model.safetensors"  # fp16
MAX_LEN = 128  # word pieces of question, sentence and context together
MAX_QUESTION_TOKENS = 40
MAX_CONTEXT_TOKENS = 24
MAX_SPAN_TOKENS = 30
_run_lock = threading.Lock()  # eager torch passes run one at a time (thread counts are per thread)


class ModelFileError(ValueError):
    """The model folder is missing a file, or its weights do not match their fingerprint."""


def weights_fingerprint(folder: Path) -> str:
    """SHA-256 of the weights file."""
    return hashlib.sha256((folder / WEIGHTS_FILE).read_bytes()).hexdigest()


def read_config(folder: Path) -> dict[str, Any]:
    """The model's config, after checking its weights against their recorded fingerprint."""
    for name in (CONFIG_FILE, WEIGHTS_FILE, "config.json", "tokenizer.json"):
        if not (folder / name).is_file():
            raise ModelFileError(f"{folder / name}: missing; reinstall, or retrain with `make train-answerability`")
    config: dict[str, Any] = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    found = weights_fingerprint(folder)
    if found != config.get("weights_sha256"):
        raise ModelFileError(
            f"{folder / WEIGHTS_FILE}: SHA-256 {found[:12]}… does not match the recorded "
            f"{str(config.get('weights_sha256'))[:12]}…; the weights were changed or damaged"
        )
    return config


@dataclass(frozen=True)
class Encoded:
    """One tokenised (question, sentence, context) triple, and where the sentence's word pieces sit."""

    ids: list[int]
    types: list[int]
    first: int  # position of the sentence's first word piece
    offsets: list[tuple[int, int]]  # character offsets of the sentence's word pieces


def encode(tokenizer: Any, question: str, sentence: str, context: str = "", max_len: int = MAX_LEN) -> Encoded:
    """`[CLS] question [SEP] sentence [SEP] context [SEP]`; the context is cut first, then the sentence."""
    q = tokenizer(question, add_special_tokens=False)["input_ids"][:MAX_QUESTION_TOKENS]
    s = tokenizer(sentence, add_special_tokens=False, return_offsets_mapping=True)
    c = tokenizer(context, add_special_tokens=False)["input_ids"][:MAX_CONTEXT_TOKENS] if context else []
    s_ids = s["input_ids"][: max_len - len(q) - 3]
    c = c[: max(0, max_len - len(q) - len(s_ids) - 4)]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    ids = [cls, *q, sep, *s_ids, sep] + ([*c, sep] if c else [])
    types = [0] * (len(q) + 2) + [1] * (len(ids) - len(q) - 2)
    return Encoded(ids, types, len(q) + 2, [(int(a), int(b)) for a, b in s["offset_mapping"][: len(s_ids)]])


def build_net(encoder: Any) -> Any:
    """The network: the MiniLM encoder, a [CLS] head (answers or not) and a start/end head (which words)."""
    import torch
    from torch import nn

    class AnswerabilityNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            hidden = encoder.config.hidden_size
            self.encoder = encoder
            self.dropout = nn.Dropout(0.1)
            self.cls_head = nn.Linear(hidden, 1)
            self.span_head = nn.Linear(hidden, 2)

        def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> tuple[Any, Any, Any]:
            states = self.encoder(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            states = self.dropout(states)
            start, end = self.span_head(states).unbind(-1)
            return self.cls_head(states[:, 0]).squeeze(-1), start, end

    return AnswerabilityNet()


def collate(items: Sequence[Encoded], multiple: int = 1) -> dict[str, Any]:
    """A padded batch; `span_mask` marks the sentence's word pieces (where an answer may be)."""
    import torch

    length = -(-max(len(e.ids) for e in items) // multiple) * multiple
    ids = torch.zeros(len(items), length, dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    span_mask = torch.zeros(len(items), length, dtype=torch.bool)
    for row, e in enumerate(items):
        ids[row, : len(e.ids)] = torch.tensor(e.ids)
        types[row, : len(e.types)] = torch.tensor(e.types)
        mask[row, : len(e.ids)] = 1
        span_mask[row, e.first : e.first + len(e.offsets)] = True
    return {"ids": ids, "mask": mask, "types": types, "span_mask": span_mask}


def best_span(start: Any, end: Any, e: Encoded) -> tuple[tuple[int, int] | None, float]:
    """The sentence's best (start, end) characters, the highest start + end score (end not before start), and
    that score, as log-probabilities over the sentence's word pieces."""
    import torch

    n = len(e.offsets)
    if n == 0:
        return None, -math.inf
    first = torch.log_softmax(start[e.first : e.first + n].float(), 0)
    last = torch.log_softmax(end[e.first : e.first + n].float(), 0)
    scores = first[:, None] + last[None, :]
    allowed = torch.ones(n, n, dtype=torch.bool).triu() & ~torch.ones(n, n, dtype=torch.bool).triu(MAX_SPAN_TOKENS)
    flat = int(scores.masked_fill(~allowed, -math.inf).argmax())
    i, j = divmod(flat, n)
    return (e.offsets[i][0], e.offsets[j][1]), float(scores[i, j])


class AnswerabilityReader:
    """The project's answerability model as a `Reader`, loaded on first use (offline, fingerprint checked).

    bf16 where the CPU computes it natively (AMX or AVX512-BF16), fp32 elsewhere; one core per pass
    (two threads on two busy cores ran ten times slower than one).
    """

    def __init__(self, folder: Path = MODEL_DIR, bf16: bool | None = None) -> None:
        self.folder = folder
        self._bf16 = bf16
        self._loaded: tuple[Any, Any, dict[str, Any]] | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The model's config: calibration, thresholds, training record."""
        return self._load()[2]

    def _load(self) -> tuple[Any, Any, dict[str, Any]]:
        if self._loaded is None:
            with _run_lock:
                if self._loaded is None:
                    self._loaded = _load(self.folder)
        return self._loaded

    @property
    def bf16(self) -> bool:
        """Whether passes run in bf16 (autocast) rather than fp32."""
        if self._bf16 is None:
            from index.backends import detect_cpu

            self._bf16 = detect_cpu().native_bf16
        return self._bf16

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        self.judge("warm up?", ["Warm up."], [""])

    def judge(self, question: str, sentences: Sequence[str], contexts: Sequence[str]) -> list[Judgement]:
        """Calibrated probability that each sentence answers the question, and its answering words."""
        if not sentences:
            return []
        import torch

        net, tokenizer, config = self._load()
        items = [encode(tokenizer, question, s, c) for s, c in zip(sentences, contexts, strict=True)]
        batch = collate(items)
        with _run_lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            before = torch.get_num_threads()
            torch.set_num_threads(1)  # one core per question, as the embedder's: the other serves the next one
            try:
                logit, start, end = net(batch["ids"], batch["mask"], batch["types"])
            finally:
                torch.set_num_threads(before)
        scaled = logit.float() * float(config.get("platt_a", 1.0)) + float(config.get("platt_b", 0.0))
        probabilities = torch.sigmoid(scaled).tolist()
        return [
            Judgement(float(p), *best_span(start[i].float(), end[i].float(), e))
            for i, (p, e) in enumerate(zip(probabilities, items, strict=True))
        ]


def _load(folder: Path) -> tuple[Any, Any, dict[str, Any]]:
    """(network in eval mode, tokenizer, config) from a model folder."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig, BertModel

    config = read_config(folder)
    net = build_net(BertModel(BertConfig.from_pretrained(folder), add_pooling_layer=False))
    net.load_state_dict({k: v.float() for k, v in load_file(str(folder / WEIGHTS_FILE)).items()})
    return net.eval(), AutoTokenizer.from_pretrained(folder), config
