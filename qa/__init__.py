"""The engine: what `QA` is made of (requests, retrieval, answering, citations, types, settings, errors).

Role: the public Python API, `from qa import QA, Answer, ...`. Imports `index/` and `access/` (who may read
what); never `evaluation` or a front-end (`cli`, `api`, `ui`). `qa.errors`, `qa.settings` and `qa.types`
are the product's vocabulary, which `access/` imports too; so the names below load on first use, and
importing one of those modules does not load the whole engine.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

if TYPE_CHECKING:
    from qa.errors import ConfigError, IndexMissingError, IngestError, QAError, SourceNotFoundError
    from qa.service import QA
    from qa.settings import Settings, load_settings
    from qa.types import Answer, Citation, Passage

_HOMES = {
    "QA": "qa.service",
    "Answer": "qa.types",
    "Citation": "qa.types",
    "Passage": "qa.types",
    "ConfigError": "qa.errors",
    "IndexMissingError": "qa.errors",
    "IngestError": "qa.errors",
    "QAError": "qa.errors",
    "SourceNotFoundError": "qa.errors",
    "Settings": "qa.settings",
    "load_settings": "qa.settings",
}
__all__ = [
    "QA",
    "Answer",
    "Citation",
    "ConfigError",
    "IndexMissingError",
    "IngestError",
    "Passage",
    "QAError",
    "Settings",
    "SourceNotFoundError",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    """`qa.QA` and the rest, imported from their modules when first asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
