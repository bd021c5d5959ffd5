"""The Documents tab: upload files (indexed with progress), list sources, remove one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gradio as gr

from index.formats import SUPPORTED_SUFFIXES
from qa.errors import QAError
from qa.service import QA
from ui.render import escape_text


class DocumentManager:
    """Upload, list and remove documents of one engine; uploads are kept in `DATA_DIR/uploads`."""

    def __init__(self, qa: QA) -> None:
        """Manage the documents of `qa`."""
        self.qa = qa
        self.uploads = qa.settings.data_dir / "uploads"
        self.max_bytes = int(qa.settings.ui.max_upload_mb * 1024 * 1024)

    def render(self) -> None:
        """Lay out the tab's components and wire their events (inside a Blocks context)."""
        upload = gr.File(
            label=f"Upload documents ({', '.join(sorted(SUPPORTED_SUFFIXES))}; up to "
            f"{self.qa.settings.ui.max_upload_mb:g} MB each)",
            file_count="multiple",
            file_types=sorted(SUPPORTED_SUFFIXES),
            elem_id="upload",
        )
        status = gr.HTML(elem_id="upload-status")
        table = gr.Dataframe(self.table(), headers=["source", "chunks"], interactive=False, elem_id="sources-table")
        with gr.Row():
            choice = gr.Dropdown(choices=list(self.qa.sources()), label="Source", elem_id="remove-choice", scale=4)
            remove = gr.Button("Remove source", variant="stop", elem_id="remove", scale=1)
        upload.upload(self.add, [upload], [status, table, choice], concurrency_limit=1, api_visibility="private")
        remove.click(self.remove, [choice], [status, table, choice], concurrency_limit=1, api_visibility="private")

    def table(self) -> list[list[Any]]:
        """Indexed sources with their chunk counts."""
        return [[source, n] for source, n in self.qa.sources().items()]

    def _refreshed(self, status: str) -> tuple[str, list[list[Any]], Any]:
        return status, self.table(), gr.update(choices=list(self.qa.sources()), value=None)

    def add(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, Any, Any]:  # noqa: B008
        """Check, copy and index uploaded files; report each as indexed or rejected, with the reason."""
        lines = []
        for number, file in enumerate(files or [], start=1):
            path = Path(file)
            progress((number - 1, len(files or [])), desc=f"Indexing {path.name}")
            lines.append(self._add_one(path))
        return self._refreshed("<ul>" + "".join(lines) + "</ul>")

    def _add_one(self, path: Path) -> str:
        name = escape_text(path.name)
        problem = self.check(path)
        if problem:
            return f'<li class="qa-rejected">Rejected <b>{name}</b>: {escape_text(problem)}</li>'
        self.uploads.mkdir(parents=True, exist_ok=True)
        target = self.uploads / path.name
        shutil.copyfile(path, target)
        try:
            report = self.qa.ingest(target)[0]
        except QAError as err:  # e.g. another ingest holds the index
            target.unlink(missing_ok=True)
            return f'<li class="qa-rejected">Rejected <b>{name}</b>: {escape_text(str(err))}</li>'
        outcome = next((f for f in report.files if f.source == path.name), None)
        if outcome is None or outcome.status in ("failed", "skipped"):
            reason = outcome.reason if outcome else "not indexed"
            target.unlink(missing_ok=True)
            return f'<li class="qa-rejected">Rejected <b>{name}</b>: {escape_text(reason)}</li>'
        chunks = self.qa.sources().get(path.name, 0)
        return f'<li class="qa-indexed">Indexed <b>{name}</b> ({outcome.status}, {chunks} chunks)</li>'

    def check(self, path: Path) -> str | None:
        """Why a file cannot be uploaded, or None."""
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return (
                f"unsupported file type '{path.suffix or path.name}' (allowed: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
            )
        if path.stat().st_size > self.max_bytes:
            return f"{path.stat().st_size / 1e6:.1f} MB is over the {self.qa.settings.ui.max_upload_mb:g} MB limit"
        return None

    def remove(self, source: str | None) -> tuple[str, Any, Any]:
        """Remove a source from the index (and its uploaded copy)."""
        if not source:
            return self._refreshed('<p class="qa-rejected">Choose a source to remove.</p>')
        try:
            deleted = self.qa.remove(source)
        except QAError as err:
            return self._refreshed(f'<p class="qa-rejected">{escape_text(str(err))}</p>')
        (self.uploads / source).unlink(missing_ok=True)
        return self._refreshed(f"<p>Removed <b>{escape_text(source)}</b> ({deleted} chunks).</p>")
