"""The answer reader: whether a sentence answers a question, and which of its words do.

`Reader` is the role the extractive answerer depends on; `AnswerabilityReader` fills it with the
project's own model (a MiniLM cross-encoder trained from the shipped embedding weights; see
docs/answerability-model.md), loaded from `qa/models/answerability/` on first use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import warnings
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
log = logging.getLogger(__name__)


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

    Run by OpenVINO where it is installed (the network converted in memory at load, about 2 s): in bf16
    where the CPU computes it natively (AMX or AVX512-BF16), fp32 elsewhere; else by torch (bf16 autocast
    where native). One core per pass (two threads on two busy cores ran ten times slower than one). On a
    2-core Xeon with AMX, 8 candidates took 22-24 ms in OpenVINO bf16 against 40 ms in torch bf16.
    """

    def __init__(self, folder: Path = MODEL_DIR, bf16: bool | None = None, runtime: str = "auto") -> None:
        """`runtime`: "auto" (OpenVINO if installed, else torch), "openvino" or "torch"."""
        self.folder = folder
        self._bf16 = bf16
        self.runtime = runtime
        self._loaded: tuple[Any, Any, dict[str, Any], Any] | None = None
        self._config: dict[str, Any] | None = None
        self._requests = threading.local()

    @property
    def config(self) -> dict[str, Any]:
        """The model's config (calibration, thresholds, training record), its weights' fingerprint checked;
        the network itself loads on the first question."""
        if self._config is None:
            self._config = read_config(self.folder)
        return self._config

    def _load(self) -> tuple[Any, Any, dict[str, Any], Any]:
        if self._loaded is None:
            with _run_lock:
                if self._loaded is None:
                    config = self.config  # checked once: hashing the weights is the slow part of a load
                    net, tokenizer = _load(self.folder)
                    compiled = _openvino(net, tokenizer, self.bf16) if self.runtime != "torch" else None
                    if compiled is None and self.runtime == "openvino":
                        raise ModelFileError("the answerability model cannot run in OpenVINO here")
                    self._loaded = (net, tokenizer, config, compiled)
        return self._loaded

    @property
    def bf16(self) -> bool:
        """Whether passes run in bf16 rather than fp32."""
        if self._bf16 is None:
            from index.backends import detect_cpu

            self._bf16 = detect_cpu().native_bf16
        return self._bf16

    @property
    def uses_openvino(self) -> bool:
        """Whether OpenVINO runs the passes (else torch)."""
        return self._load()[3] is not None

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        self.judge("warm up?", ["Warm up."], [""])

    def judge(self, question: str, sentences: Sequence[str], contexts: Sequence[str]) -> list[Judgement]:
        """Calibrated probability that each sentence answers the question, and its answering words."""
        if not sentences:
            return []
        import torch

        net, tokenizer, config, compiled = self._load()
        items = [encode(tokenizer, question, s, c) for s, c in zip(sentences, contexts, strict=True)]
        batch = collate(items)
        if compiled is not None:
            logit, start, end = self._run_openvino(compiled, batch)
        else:
            logit, start, end = self._run_torch(net, batch)
        scaled = logit.float() * float(config.get("platt_a", 1.0)) + float(config.get("platt_b", 0.0))
        probabilities = torch.sigmoid(scaled).tolist()
        return [
            Judgement(float(p), *best_span(start[i].float(), end[i].float(), e))
            for i, (p, e) in enumerate(zip(probabilities, items, strict=True))
        ]

    def _run_torch(self, net: Any, batch: dict[str, Any]) -> tuple[Any, Any, Any]:
        import torch

        with _run_lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            before = torch.get_num_threads()
            torch.set_num_threads(1)  # one core per question, as the embedder's: the other serves the next one
            try:
                out: tuple[Any, Any, Any] = net(batch["ids"], batch["mask"], batch["types"])
                return out
            finally:
                torch.set_num_threads(before)

    def _run_openvino(self, compiled: Any, batch: dict[str, Any]) -> tuple[Any, Any, Any]:
        import torch

        request = getattr(self._requests, "request", None)
        if request is None:  # one infer request per thread: passes run concurrently
            request = self._requests.request = compiled.create_infer_request()
        out = request.infer({name: batch[name].numpy() for name in ("ids", "mask", "types")})
        return tuple(torch.from_numpy(out[i].copy()) for i in range(3))  # type: ignore[return-value]


def _load(folder: Path) -> tuple[Any, Any]:
    """(network in eval mode, tokenizer) from a model folder whose config has been checked."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig, BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # its notes on unused config keys are noise here
    net = build_net(BertModel(BertConfig.from_pretrained(folder), add_pooling_layer=False))
    net.load_state_dict({k: v.float() for k, v in load_file(str(folder / WEIGHTS_FILE)).items()})
    return net.eval(), AutoTokenizer.from_pretrained(folder)


def _openvino(net: Any, tokenizer: Any, bf16: bool) -> Any | None:
    """The network converted to OpenVINO and compiled for one core (bf16 or fp32), or None where it cannot be."""
    try:
        import openvino as ov
    except ImportError:
        return None
    import torch

    example = collate([encode(tokenizer, "Which words answer?", "These words answer.", "")])
    shapes = [(name, [-1, -1], ov.Type.i64) for name in ("ids", "mask", "types")]
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracing warns of branches a batch never takes
            model = ov.convert_model(net, example_input=(example["ids"], example["mask"], example["types"]),
                                     input=shapes)
        hints = {"INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32", "INFERENCE_NUM_THREADS": 1,
                 "PERFORMANCE_HINT": "LATENCY"}
        return ov.Core().compile_model(model, "CPU", hints)
    except Exception as err:  # noqa: BLE001  # any conversion failure: torch runs it instead
        log.warning("answerability model: OpenVINO conversion failed, running in torch (%s)", err)
        return None
