"""What every format module shares: the `Parsed` text a loader returns and the errors it raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.types import PageSpan


@dataclass(frozen=True)
class Parsed:
    """A file's text as its loader read it; `load_file` adds the source id, and a title from the name if none.

    Attributes:
        text: the visible text.
        title: the document's own title (metadata, first heading), or None.
        pages: page spans for paginated formats, empty otherwise.
    """

    text: str = field(repr=False)
    title: str | None = None
    pages: tuple[PageSpan, ...] = ()


Loader = Callable[[Path], Parsed]


class LoadError(Exception):
    """A supported file that could not be read; str() is "<path>: <reason>".

    Attributes:
        path: the path as given to the loader.
        reason: what went wrong, e.g. "encrypted PDF (a password is needed)".
    """

    def __init__(self, path: str, reason: str) -> None:
        """Record the file and the reason (both kept in `args`, so the error pickles)."""
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        """Return "<path>: <reason>"."""
        return f"{self.path}: {self.reason}"


class InvalidFile(Exception):
    """Raised by a loader for a file that is not what its suffix says; str() says how.

    `load_file` reports it as "not a valid <format label> (<str>)", e.g. "not a valid Word .docx
    file (not a zip archive)", so a loader need not know how its format is named.
    """
