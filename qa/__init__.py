"""Cited question answering over your documents.

The public Python API: `QA`, its result types, and `load_settings`.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from qa.errors import ConfigError, IndexMissingError, IngestError, QAError, SourceNotFoundError  # noqa: E402
from qa.service import QA  # noqa: E402
from qa.settings import Settings, load_settings  # noqa: E402
from qa.types import Answer, Citation, Passage  # noqa: E402

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
