"""Uploads from the chat: into a collection the user may change, kept in `DATA_DIR/uploads`, and nowhere else.

A logged-in user uploads to their own private collection (`alice-private`, made on their first upload)
unless they choose another collection they may change; with login off, uploads go to the default
collection. The copy Gradio made when the file arrived is deleted as soon as the file is indexed or
rejected, so the only copy left is the kept one, which goes when the document is removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gradio.utils import get_upload_folder

from access.permissions import User, may_change, private_collection
from index.formats import SUPPORTED_SUFFIXES
from index.manifest import DEFAULT_COLLECTION
from qa.errors import QAError
from qa.service import QA
from ui.render import escape_text


def passages(count: int) -> str:
    """ "1 passage", "2 passages"."""
    return f"{count} passage" if count == 1 else f"{count} passages"


class Uploads:
    """Checks, keeps and indexes uploaded files of one engine."""

    def __init__(self, qa: QA, upload_folder: str | None = None) -> None:
        """Keep uploads in `DATA_DIR/uploads`; accept files only from Gradio's `upload_folder`."""
        self.qa = qa
        self.folder = qa.settings.data_dir / "uploads"
        self.max_bytes = int(qa.settings.ui.max_upload_mb * 1024 * 1024)
        self.upload_folder = Path(upload_folder or get_upload_folder()).resolve()

    def targets(self, user: User, login: bool) -> list[str]:
        """The collections `user` may upload to, the default target first."""
        names = sorted(c.name for c in self.qa.library.collections(user) if may_change(user, c))
        first = self.default(user, login)
        return [first, *(n for n in names if n != first)]

    @staticmethod
    def default(user: User, login: bool) -> str:
        """Where an upload goes unless the user chooses: their private collection (login off: the default one)."""
        return private_collection(user) if login else DEFAULT_COLLECTION

    def add(self, path: Path, collection: str, user: User) -> str:
        """Index one uploaded file into `collection` for `user`; its status line (indexed, or rejected and why)."""
        name = escape_text(path.name)
        if not self._arrived(path):
            return _rejected(name, "that file was not uploaded here")
        try:
            problem = self.check(path) or self._writable(collection, user)
            return _rejected(name, problem) if problem else self._ingest(path, collection, user)
        finally:
            self._forget(path)

    def check(self, path: Path) -> str | None:
        """Why a file cannot be uploaded, or None."""
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return (
                f"unsupported file type '{path.suffix or path.name}' (allowed: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
            )
        if not path.is_file():
            return "the upload is gone (another upload of the same file was just indexed): upload it again"
        if path.stat().st_size > self.max_bytes:
            return f"{path.stat().st_size / 1e6:.1f} MB is over the {self.qa.settings.ui.max_upload_mb:g} MB limit"
        return None

    def kept(self, source: str, user: User) -> Path | None:
        """The kept upload behind `source` (None: it was not uploaded here, or `user` may not read it)."""
        try:
            path = self.qa.library.document_file(source, user)
        except QAError:
            return None
        inside = path.resolve().is_relative_to(self.folder.resolve())
        return path if inside else None

    def _writable(self, collection: str, user: User) -> str | None:
        """Why `user` may not upload to `collection` (made now when it is the user's own private one), or None."""
        try:
            if collection == private_collection(user):
                self.qa.library.ensure(collection, user)
            self.qa.library.writable(collection, user)
        except QAError as err:
            return str(err)
        return None

    def _ingest(self, path: Path, collection: str, user: User) -> str:
        name = escape_text(path.name)
        folder = self.folder if collection == DEFAULT_COLLECTION else self.folder / collection
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        shutil.copyfile(path, target)
        try:
            report = self.qa.ingest(target, collection=collection, user=user)[0]
        except QAError as err:  # e.g. another ingest holds the index
            target.unlink(missing_ok=True)
            return _rejected(name, str(err))
        source = path.name if collection == DEFAULT_COLLECTION else f"{collection}/{path.name}"
        outcome = next((f for f in report.files if f.source == source), None)
        if outcome is None or outcome.status in ("failed", "skipped"):
            target.unlink(missing_ok=True)
            return _rejected(name, outcome.reason if outcome else "not indexed")
        count = self.qa.sources(user).get(source, 0)
        where = "" if collection == DEFAULT_COLLECTION else f" in {escape_text(collection)}"
        return f'<li class="qa-indexed">Indexed <b>{name}</b>{where} ({outcome.status}, {passages(count)})</li>'

    def _arrived(self, path: Path) -> bool:
        """Whether `path` is a file Gradio received (inside its upload folder), not a path a request named."""
        try:
            return path.resolve().is_relative_to(self.upload_folder)
        except (OSError, ValueError):
            return False

    def discard(self, path: Path) -> None:
        """Delete Gradio's copy of an upload that will not be indexed (nothing outside its upload folder)."""
        if self._arrived(path):
            self._forget(path)

    def _forget(self, path: Path) -> None:
        """Delete Gradio's copy of an upload (and its folder once empty)."""
        path.unlink(missing_ok=True)
        try:
            if path.parent.resolve() != self.upload_folder:
                path.parent.rmdir()
        except OSError:
            pass  # not empty: another upload of the same content is being read


def _rejected(name: str, reason: str) -> str:
    return f'<li class="qa-rejected">Rejected <b>{name}</b>: {escape_text(reason)}</li>'
