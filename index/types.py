"""Values that flow through ingestion: loaded documents and their chunks.

Pure data, no I/O. Offsets are character offsets into `Document.text`, so
`document.text[chunk.start:chunk.end] == chunk.text` always holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageSpan:
    """One page of a paginated document (PDF): its 1-based number and text span."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A loaded source file as plain text.

    Attributes:
        source: path relative to the folder that was ingested, with forward slashes.
        title: a human title (document metadata, first heading, or the file stem).
        text: the visible text; every offset in the index points into it.
        pages: page spans for paginated formats, empty otherwise.
    """

    source: str
    title: str
    text: str = field(repr=False)
    pages: tuple[PageSpan, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """Return the 1-based page holding character `offset`, or None if unpaginated."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return None


@dataclass(frozen=True)
class Chunk:
    """A span of a document small enough for the embedding model's window.

    `context` is the heading of the chunk's page when the chunk does not hold it (a balance sheet's
    "CONSOLIDATED BALANCE SHEETS" for its lower rows): it is embedded and keyword-indexed with the
    text, but it is not part of the text, so offsets stay exact.
    """

    source: str
    title: str
    text: str = field(repr=False)
    start: int
    end: int
    page: int | None = None
    context: str = field(default="", repr=False)
    collection: str = "default"  # index.manifest.DEFAULT_COLLECTION; not part of the id (the source names it)

    @property
    def id(self) -> str:
        """Content-derived id: the same chunk of the same file always gets the same id."""
        key = f"{self.source}\x00{self.page}\x00{self.start}\x00{self.title}\x00{self.text}"
        if self.context:
            key += f"\x00{self.context}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    @property
    def indexed_text(self) -> str:
        """What is embedded and keyword-indexed: the context, if any, on a line before the text."""
        return f"{self.context}\n{self.text}" if self.context else self.text
