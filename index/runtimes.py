"""The transformer's forward pass, in torch or OpenVINO: token ids in, token embeddings out.

Both runners take numpy inputs (`input_ids`, `attention_mask`, `token_type_ids`) and return
float32 token embeddings; tokenising and pooling stay in `index/embedder.py`, so every back end
pools identically.

- `TorchRunner`: fp32 through sentence-transformers' own model (the reference), bf16 through
  transformers directly. A batch holds the process-wide run lock (eager torch passes run one at a
  time); after `warm_up`, single questions go through a frozen TorchScript trace, one core each,
  concurrently.
- `OpenVINORunner`: the same weights converted to OpenVINO's format once, on first use, from the
  bundled model, and cached (`cached_ir`); nothing is downloaded. One compiled model for batches
  (all cores) and one for questions (one core, so the keyword search gets the other); each thread
  has its own infer request, so passes run concurrently.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Inputs = dict[str, np.ndarray]
log = logging.getLogger(__name__)
_load_lock = threading.Lock()
# Eager torch passes and tracing run one at a time (tracing must not overlap a pass of the module it
# traces); thread counts are per thread (OpenMP).
_run_lock = threading.Lock()


class Runner(Protocol):
    """A forward pass of the transformer."""

    def run_batch(self, inputs: Inputs) -> np.ndarray:
        """Token embeddings (n, length, 384) of a padded batch, using every core."""
        ...

    def run_question(self, inputs: Inputs) -> np.ndarray:
        """Token embeddings (1, length, 384) of one unpadded question, on one core."""
        ...

    def warm_up(self) -> None:
        """Prepare the question path now rather than on the first question."""
        ...


def load_runner(model_path: Path, backend: str, cache_dir: Path) -> Runner:
    """The runner of `backend` for the model in `model_path`, loaded once per process."""
    with _load_lock:
        return _load_runner(str(model_path), backend, str(cache_dir))


@lru_cache(maxsize=4)
def _load_runner(model_path: str, backend: str, cache_dir: str) -> Runner:
    runtime, precision = backend.split("-")
    if runtime == "openvino":
        return OpenVINORunner(cached_ir(Path(model_path), Path(cache_dir)), precision)
    return TorchRunner(_torch_transformer(model_path, precision))


def _torch_transformer(model_path: str, precision: str) -> Any:
    """The fp32 reference through sentence-transformers itself; bf16 through transformers directly.

    Importing sentence-transformers costs two seconds of start-up (it pulls in scikit-learn), and the
    pooling it would add is done in `index/embedder.py` (a test checks the vectors equal its own).
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    if precision == "fp32":
        transformer: Any = sentence_transformer(model_path)[0].auto_model
        return transformer.eval()
    import torch
    from transformers import AutoModel

    return AutoModel.from_pretrained(model_path, local_files_only=True, dtype=torch.bfloat16).eval()


@lru_cache(maxsize=2)
def sentence_transformer(model_path: str) -> SentenceTransformer:
    """The model as sentence-transformers loads it (from the local directory, never the Hub)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path, device="cpu", local_files_only=True)


def _torch_inputs(inputs: Inputs) -> dict[str, Any]:
    import torch

    return {name: torch.from_numpy(array) for name, array in inputs.items()}


class TorchRunner:
    """The transformer in torch (eager for batches, traced for questions after `warm_up`)."""

    def __init__(self, transformer: Any) -> None:
        self.transformer = transformer
        self._graph: Any | None = None

    def run_batch(self, inputs: Inputs) -> np.ndarray:
        import torch

        with _run_lock, torch.inference_mode():
            return np.asarray(self.transformer(**_torch_inputs(inputs)).last_hidden_state.float().numpy())

    def run_question(self, inputs: Inputs) -> np.ndarray:
        import torch

        graph = self._graph
        with _run_lock if graph is None else contextlib.nullcontext(), torch.inference_mode():
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                if graph is None:
                    hidden = self.transformer(**_torch_inputs(inputs)).last_hidden_state
                else:
                    tensors = _torch_inputs(inputs)
                    out = graph(tensors["input_ids"], tensors["attention_mask"], tensors["token_type_ids"])
                    hidden = out["last_hidden_state"] if isinstance(out, dict) else out[0]
            finally:
                torch.set_num_threads(before)
        return np.asarray(hidden.float().numpy())

    def warm_up(self) -> None:
        """Trace the transformer for one unpadded sequence (half a second, once per process)."""
        if self._graph is None:
            with _run_lock:  # tracing runs the model: nothing else may run it meanwhile
                self._graph = _trace(self.transformer)


def _trace(transformer: Any) -> Any:
    import torch
    from transformers.utils import logging as hf_logging

    example = tuple(_torch_inputs(_example_inputs()).values())
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # tracing reads every attribute; some warn
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings about branches that a batch of one never takes
            with torch.inference_mode():
                traced = torch.jit.trace(transformer, example, strict=False)  # type: ignore[no-untyped-call]
            return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))
    finally:
        hf_logging.set_verbosity(verbosity)


def _example_inputs() -> Inputs:
    ids = np.array([[101, 2029, 6251, 6998, 2023, 3160, 102]], dtype=np.int64)  # "which sentence answers this question"
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


class OpenVINORunner:
    """The transformer compiled by OpenVINO for this CPU, in fp32 or bf16."""

    def __init__(self, ir_path: Path, precision: str) -> None:
        import openvino as ov

        core = ov.Core()
        model = core.read_model(str(ir_path))
        hint = {"INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32", "PERFORMANCE_HINT": "LATENCY"}
        try:
            self._batch = core.compile_model(model, "CPU", hint)
        except RuntimeError:
            if precision != "bf16":
                raise
            # bf16 asked for where OpenVINO has no bf16 kernels (a CPU without them, or oneDNN capped below
            # them): fp32 gives the same vectors, so run that rather than fail
            log.warning("OpenVINO cannot compile the model in bf16 on this CPU; running it in fp32")
            hint["INFERENCE_PRECISION_HINT"] = "f32"
            self._batch = core.compile_model(model, "CPU", hint)
        self.precision = "bf16" if hint["INFERENCE_PRECISION_HINT"] == "bf16" else "fp32"
        self._core, self._model, self._hint = core, model, hint
        self._question: Any | None = None  # compiled on the first question: an ingest never needs it
        self._compile_lock = threading.Lock()
        self._requests = threading.local()

    def _question_model(self) -> Any:
        with self._compile_lock:
            if self._question is None:
                one_core = {**self._hint, "INFERENCE_NUM_THREADS": 1}
                self._question = self._core.compile_model(self._model, "CPU", one_core)
            return self._question

    def _request(self, name: str) -> Any:
        request = getattr(self._requests, name, None)
        if request is None:
            compiled = self._batch if name == "batch" else self._question_model()
            request = compiled.create_infer_request()
            setattr(self._requests, name, request)
        return request

    def run_batch(self, inputs: Inputs) -> np.ndarray:
        return np.array(self._request("batch").infer(inputs)[0])  # a copy: the request reuses its output buffer

    def run_question(self, inputs: Inputs) -> np.ndarray:
        return np.array(self._request("question").infer(inputs)[0])

    def warm_up(self) -> None:
        self.run_question(_example_inputs())


def cached_ir(model_path: Path, cache_dir: Path) -> Path:
    """The model in OpenVINO's format (model.xml + model.bin), converted on first use and cached.

    The cache key covers the weights file and the OpenVINO version, so a changed model or runtime
    converts again. Conversion writes to a temporary folder renamed into place: concurrent first
    uses never read a half-written model.
    """
    import openvino as ov

    weights = next(p for p in (model_path / "model.safetensors", model_path / "pytorch_model.bin") if p.exists())
    stat = weights.stat()
    key = hashlib.sha256(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{ov.__version__}".encode())
    target = cache_dir / "openvino" / f"{model_path.name}-{key.hexdigest()[:16]}"
    if (target / "model.xml").is_file():
        return target / "model.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        ov.save_model(_convert(str(model_path)), str(scratch / "model.xml"), compress_to_fp16=False)
        (scratch / "source.json").write_text(json.dumps({"model": str(model_path), "openvino": ov.__version__}))
        with contextlib.suppress(OSError):  # another process renamed its conversion first: use that one
            os.rename(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target / "model.xml"


def _convert(model_path: str) -> Any:
    """The fp32 transformer converted through OpenVINO's PyTorch front end.

    The front end is called directly rather than through `openvino.convert_model`, whose wrapper
    sends usage telemetry by default; the product makes no calls home.
    """
    import torch
    from openvino.frontend import FrontEndManager
    from openvino.frontend.pytorch.ts_decoder import TorchScriptPythonDecoder

    transformer = _torch_transformer(model_path, "fp32")
    # two rows, so that the batch dimension stays dynamic
    example = {name: torch.cat([tensor, tensor]) for name, tensor in _torch_inputs(_example_inputs()).items()}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        decoder = TorchScriptPythonDecoder(transformer, example_input=example)
        front_end = FrontEndManager().load_by_framework("pytorch")
        return front_end.convert(front_end.load(decoder))
