"""Uploads, the same for the chat and the HTTP API: a file is indexed under the name it was given, or refused
with the reason; nothing already indexed is lost either way.

    desk = UploadDesk(qa)
    result = desk.add("report.pdf", source_file, collection="alice-private", user=alice)   # or UploadRefusedError

The file is kept in `DATA_DIR/uploads/` (`uploads/<collection>/` outside the default collection), where
removing the document deletes it. Refused, with a message naming the file: a name that is not a plain file
name (folders, a leading dot, control characters, over 200 bytes) or of an unsupported type, a file over
`ui.max_upload_mb`, a file with no text (`UploadRefusedError`, `UploadTooLargeError`), a collection the user
may not change (`PermissionDeniedError`), an index busy past `writer_wait` (`IngestError`). A name is
never changed: the person learns why it cannot be kept. When an upload replaces a document of the same
name and fails, the earlier file and its passages stay as they were. Uploads take a lock per data
directory, so two at once (threads or processes) wait for each other instead of failing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, BinaryIO

from access.library import UPLOADS
from access.permissions import User, private_collection
from access.private_file import locked
from index.formats import SUPPORTED_SUFFIXES
from index.manifest import DEFAULT_COLLECTION
from qa.errors import UploadRefusedError, UploadTooLargeError

if TYPE_CHECKING:
    from qa.service import QA

MB = 1024 * 1024
MAX_NAME_BYTES = 200  # file systems allow 255; room for the copy's temporary prefix


@dataclass(frozen=True)
class UploadResult:
    """An indexed upload: its source id, collection, status ("added", "updated", "unchanged") and passages."""

    name: str
    source: str
    collection: str
    status: str
    chunks: int


def check_name(name: str | None) -> str:
    """`name` if it can be kept as given: a plain file name of a supported type.

    Raises:
        UploadRefusedError: why not, naming the file.
    """
    if not name:
        raise UploadRefusedError("file: the upload has no file name")
    shown = repr(name)
    if "/" in name or "\\" in name:
        raise UploadRefusedError(f"file: {shown} is not a plain file name (it names folders)")
    if name.startswith("."):
        raise UploadRefusedError(f"file: {shown} starts with a dot (a hidden file); rename it")
    bad = next((ch for ch in name if not ch.isprintable() or unicodedata.category(ch) == "Cf"), None)
    if bad is not None:
        raise UploadRefusedError(
            f"file: {shown} holds an invisible or control character (U+{ord(bad):04X}); rename the file"
        )
    if name != name.strip():
        raise UploadRefusedError(f"file: {shown} starts or ends with a space; rename the file")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UploadRefusedError(f"file: {shown} is longer than {MAX_NAME_BYTES} bytes; rename the file")
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UploadRefusedError(f"file: {shown} is of an unsupported type {suffix or '(none)'!r} (allowed: {allowed})")
    return name


def default_collection(user: User, login: bool) -> str:
    """Where an upload goes unless the user chooses: their private collection (login off: the default one)."""
    return private_collection(user) if login else DEFAULT_COLLECTION


class UploadDesk:
    """Checks, keeps and indexes uploaded files of one engine."""

    def __init__(self, qa: QA) -> None:
        """Keep uploads of `qa` in `DATA_DIR/uploads`."""
        self.qa = qa
        self.folder = qa.settings.data_dir / UPLOADS
        self.max_bytes = int(qa.settings.ui.max_upload_mb * MB)

    def collection(self, named: str | None, user: User, login: bool) -> str:
        """The collection an upload goes to, if `user` may change it (their private one is made when needed).

        Raises:
            QAError / PermissionDeniedError: there is no such collection, or `user` may not change it.
        """
        name = named or default_collection(user, login)
        if login and name == private_collection(user):
            self.qa.library.ensure(name, user)
        self.qa.library.writable(name, user)
        return name

    def check_size(self, name: str, size: int) -> None:
        """Refuse a file over the limit, or one with no bytes at all (`UploadRefusedError`)."""
        if size > self.max_bytes:
            raise UploadTooLargeError(
                f"file: {name!r} is {size / MB:.1f} MB, over the {self.max_bytes / MB:g} MB limit"
            )
        if size == 0:
            raise UploadRefusedError(f"file: {name!r} is empty: there is no text to index")

    def add(self, name: str, content: BinaryIO | Path, collection: str, user: User) -> UploadResult:
        """Keep and index one file as `name` in `collection` (already checked with `collection()`).

        Raises:
            UploadRefusedError: the name, size or content is refused (nothing of it is kept).
            IngestError: the index stayed busy past `writer_wait`.
        """
        check_name(name)
        folder = self.folder if collection == DEFAULT_COLLECTION else self.folder / collection
        folder.mkdir(parents=True, exist_ok=True)
        with locked(self.folder / ".uploading"), _staged(folder, name, content) as staged:
            self.check_size(name, staged.stat().st_size)
            with _in_place(staged, folder / name) as kept:
                report = self.qa.ingest(kept, collection=collection, user=user, require_text=True)[0]
                source = name if collection == DEFAULT_COLLECTION else f"{collection}/{name}"
                outcome = next((f for f in report.files if f.source == source), None)
                if outcome is None or outcome.status in ("failed", "skipped"):
                    reason = outcome.reason if outcome else "it was not indexed"
                    raise UploadRefusedError(f"file: {name!r} was not indexed: {reason}")
        chunks = self.qa.sources(user).get(source, 0)
        return UploadResult(name, source, collection, outcome.status, chunks)


@contextmanager
def _staged(folder: Path, name: str, content: BinaryIO | Path) -> Iterator[Path]:
    """`content` written to a hidden file in `folder` (deleted on the way out unless moved into place)."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=PurePath(name).suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(content, Path):
                with content.open("rb") as source:
                    shutil.copyfileobj(source, out)
            else:
                shutil.copyfileobj(content, out)
        yield Path(tmp)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)


@contextmanager
def _in_place(staged: Path, target: Path) -> Iterator[Path]:
    """Move `staged` to `target`; if what runs inside fails, put back the file that was there (or none)."""
    backup = target.with_name(f".previous-{target.name}") if target.exists() else None
    if backup is not None:
        os.replace(target, backup)
    os.replace(staged, target)
    try:
        yield target
    except BaseException:
        if backup is not None:
            os.replace(backup, target)
        else:
            target.unlink(missing_ok=True)
        raise
    if backup is not None:
        backup.unlink(missing_ok=True)
