"""Moved: formats and `load_file` to `index.formats`, `find_files` to `index.discovery`.

Kept only while an import of it remains (qa/evaluation/eval_index.py, being moved in parallel); delete it then.
"""

from index.discovery import Skipped, find_files, source_id
from index.formats import SUPPORTED_SUFFIXES, LoadError, load_file

__all__ = ["SUPPORTED_SUFFIXES", "LoadError", "Skipped", "find_files", "load_file", "source_id"]
