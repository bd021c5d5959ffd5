"""Parsing in a separate process, with a time and a memory limit, so no file can hang or kill an ingest.

`IsolatedParser` keeps one worker process (a fresh interpreter running this module, so
nothing of the parent's torch or Chroma state is inherited) and sends it one file at a time.
The worker limits its own address space (RLIMIT_AS); the parent waits at most the time
limit for the answer. A file that runs out of time or memory, or crashes the parser, is a
`LoadError` saying so, and the next file gets a new worker. Files over the size limit are
refused from their size alone, before anything reads them.

The time limit is for a file; a PDF gets more for each page (1/600 of the limit: 0.1 s at the
default 60 s), so that long filings are never cut off: the worker reads the page count first
(from the page tree, before any page is parsed) and tells the parent, which extends its wait.

The worker starts on the first file (about 0.2 s) and serves every later one; it is closed
by `close()` / the end of a `with` block, or once it has been idle for `idle_close` seconds
(an ingest parses back to back, ahead of the embedder, so a few idle seconds mean it is over).
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import warnings
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from types import TracebackType
from typing import Protocol

from index.formats import LoadError, load_file
from index.pdf import MAX_PDF_PAGES, PdfError, count_pages
from index.types import Document

START_TIMEOUT = 120.0  # seconds a new worker may take to import the parsers on a busy machine
PAGES_PER_TIMEOUT = 600  # a PDF gets the time limit once more for every this many pages (0.1 s a page at 60 s)
_MB = 1 << 20
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


class Parser(Protocol):
    """Turns one file into a Document, or raises LoadError naming the file and the reason."""

    def __call__(self, path: Path, source: str) -> Document:
        """Parse `path` as the source `source`."""
        ...


class ParserStartError(RuntimeError):
    """The worker process could not be started: an installation problem, not a file's."""


def check_size(path: Path, max_mb: float) -> None:
    """Refuse a file over `max_mb` from its size alone (nothing is read).

    Raises:
        LoadError: the file is too large, or cannot be looked at.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if size > max_mb * _MB:
        raise LoadError(
            str(path), f"file is {size / _MB:.1f} MB, over the {max_mb:g} MB limit (QA_INGEST__MAX_FILE_MB)"
        )


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection

    def stop(self) -> int:
        """Close the connection (the worker exits on it), kill the process if it lingers; its exit code."""
        self.conn.close()
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


class IsolatedParser:
    """`load_file` in a worker process with a size, time and memory limit.

    Example:
        >>> with IsolatedParser(max_file_mb=25, timeout=60, memory_mb=2048) as parse:
        ...     document = parse(Path("docs/report.pdf"), "report.pdf")
    """

    def __init__(
        self,
        max_file_mb: float = 25,
        timeout: float = 60,
        memory_mb: int = 2048,
        idle_close: float = 5,
        timeout_per_page: float | None = None,
    ) -> None:
        """Set the limits (`timeout_per_page` defaults to `timeout / PAGES_PER_TIMEOUT`); nothing starts yet."""
        self.max_file_mb = max_file_mb
        self.timeout = timeout
        self.timeout_per_page = timeout / PAGES_PER_TIMEOUT if timeout_per_page is None else timeout_per_page
        self.memory_mb = memory_mb
        self.idle_close = idle_close
        self.workers_started = 0  # how many worker processes this parser has started (for tests and logs)
        self._worker: _Worker | None = None
        self._finalizer: weakref.finalize[[], IsolatedParser] | None = None
        self._last_used = 0.0
        self._held = 0  # `with` blocks open: no idle close inside one
        self._cond = threading.Condition()

    def __repr__(self) -> str:
        return f"IsolatedParser(timeout={self.timeout:g}s, memory={self.memory_mb}MB, max_file={self.max_file_mb:g}MB)"

    def __call__(self, path: Path, source: str) -> Document:
        """Parse one file in the worker.

        Raises:
            LoadError: the file is too large, takes too long, needs too much memory, crashes
                the parser, or fails to parse (the loader's own reason).
            ParserStartError: no worker process could be started.
        """
        check_size(path, self.max_file_mb)
        with self._cond:
            try:
                return self._parse(path, source)
            finally:
                self._last_used = time.monotonic()

    def close(self) -> None:
        """Stop the worker (a later call starts a new one)."""
        with self._cond:
            self._stop()

    def __enter__(self) -> IsolatedParser:
        """Use as a context manager: the worker stays up for the whole block and is closed at its end.

        An ingest parses ahead of the embedder and can wait on it longer than `idle_close`: closing the
        worker then would only start another one (a second of CPU each time) for the next file.
        """
        with self._cond:
            self._held += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        """Close the worker."""
        with self._cond:
            self._held -= 1
        self.close()

    def time_limit(self, pages: int = 0) -> float:
        """Seconds a file may take to parse: the timeout, plus `timeout_per_page` for each of a PDF's pages."""
        return self.timeout + self.timeout_per_page * pages

    def _parse(self, path: Path, source: str) -> Document:
        worker = self._running()
        started, pages = time.monotonic(), 0
        try:
            worker.conn.send((str(path), source))
            while True:
                if not worker.conn.poll(max(0.0, started + self.time_limit(pages) - time.monotonic())):
                    self._stop()
                    raise LoadError(str(path), self._timeout_reason(pages))
                kind, value = worker.conn.recv()
                if kind != "pages" or not isinstance(value, int):
                    break
                pages = value  # a PDF: the worker read its page count, the wait grows with it
        except (EOFError, OSError):  # the worker died (between files, or on this one)
            self._stop()
            raise LoadError(str(path), self._death_reason(worker)) from None
        if kind == "ok" and isinstance(value, Document):
            return value
        if kind == "memory":
            self._stop()  # its heap is fragmented and it exits anyway
            reason = f"parsing needed more than {self.memory_mb} MB (QA_INGEST__PARSE_MEMORY_MB)"
            raise LoadError(str(path), reason)
        raise LoadError(str(path), str(value))

    def _timeout_reason(self, pages: int) -> str:
        if not pages:
            return f"parsing took longer than {self.timeout:g} s (QA_INGEST__PARSE_TIMEOUT)"
        return (
            f"parsing took longer than {self.time_limit(pages):.3g} s ({self.timeout:g} s (QA_INGEST__PARSE_TIMEOUT)"
            f" + {self.timeout_per_page:.3g} s for each of its {pages} pages)"
        )

    def _death_reason(self, worker: _Worker) -> str:
        code = worker.process.wait()  # it closed the connection: it has exited
        how = signal.Signals(-code).name if code < 0 and -code in signal.valid_signals() else f"exit code {code}"
        return f"the parser crashed ({how}); the file may need more than {self.memory_mb} MB or be malformed"

    def _running(self) -> _Worker:
        if self._worker is not None and self._worker.process.poll() is None:
            return self._worker
        self._stop()
        self._worker = self._start()
        self.workers_started += 1
        threading.Thread(target=self._reap, args=(self._worker,), name="parser-reaper", daemon=True).start()
        return self._worker

    def _start(self) -> _Worker:
        ours, theirs = Pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "index.parsing", str(theirs.fileno()), str(self.memory_mb)]
        try:
            process = subprocess.Popen(command, pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise ParserStartError(f"cannot start the parsing process: {exc}") from exc
        finally:
            theirs.close()
        worker = _Worker(process, ours)
        self._finalizer = weakref.finalize(self, worker.stop)  # a forgotten parser still ends its worker
        if not ours.poll(START_TIMEOUT):
            worker.stop()
            raise ParserStartError(f"the parsing process did not start within {START_TIMEOUT:g} s")
        try:
            ours.recv()  # "ready": the parsers are imported and the memory limit is set
        except (EOFError, OSError) as exc:
            code = worker.process.wait()
            raise ParserStartError(f"the parsing process exited on start (exit code {code})") from exc
        return worker

    def _stop(self) -> None:
        if self._worker is not None:
            if self._worker.process.poll() is None:
                self._worker.process.kill()  # idle, or stuck in a parser: nothing to wait for
            if self._finalizer is not None:
                self._finalizer()  # closes the connection and reaps the process
            self._worker = None
        self._cond.notify_all()

    def _reap(self, worker: _Worker) -> None:
        """Close `worker` once it has been idle for `idle_close` seconds."""
        with self._cond:
            while self._worker is worker:
                idle = time.monotonic() - self._last_used
                if idle >= self.idle_close and not self._held:
                    self._stop()
                    return
                self._cond.wait(max(self.idle_close - idle, 0.0) or self.idle_close)


def _serve(conn: Connection, memory_mb: int) -> None:
    """The worker: parse files sent over `conn` until it closes; exit after running out of memory."""
    logging.disable(logging.CRITICAL)  # parser warnings about hostile files: the outcome's reason says enough
    warnings.simplefilter("ignore")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    conn.send(("ready", None))
    while True:
        try:
            path, source = conn.recv()
        except EOFError:
            return
        pages = _page_count(Path(path))
        if pages:
            conn.send(("pages", pages))
        try:
            reply: tuple[str, object] = ("ok", load_file(Path(path), source))
        except LoadError as err:
            reply = ("error", err.reason)
        except MemoryError:
            reply = ("memory", None)
        try:
            conn.send(reply)
        except MemoryError:  # the document itself is too large to send back
            reply = ("memory", None)
            conn.send(reply)
        if reply[0] == "memory":
            return


def _page_count(path: Path) -> int | None:
    """A PDF's page count (at most the number read), for the time limit; None for other files or on errors."""
    if path.suffix.lower() != ".pdf":
        return None
    try:
        return min(count_pages(path), MAX_PDF_PAGES)
    except (PdfError, OSError):  # load_file says what is wrong with the file
        return None


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
