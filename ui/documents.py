"""The Documents tab: upload files (indexed with progress), list documents, remove one after confirming.

The list, the Remove choice and the chat's "Search in" choice are read from the index whenever the
page loads, the tab is opened, or a document is added or removed, so they are never stale.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gradio as gr

from index.formats import FORMATS, SUPPORTED_SUFFIXES
from qa.documents import list_documents
from qa.errors import QAError
from qa.service import QA
from ui.render import escape_text

HEADERS = ["Title", "File", "Passages"]


def passages(count: int) -> str:
    """ "1 passage", "2 passages"."""
    return f"{count} passage" if count == 1 else f"{count} passages"


class DocumentManager:
    """Upload, list and remove documents of one engine; uploads are kept in `DATA_DIR/uploads`."""

    def __init__(self, qa: QA) -> None:
        """Manage the documents of `qa`."""
        self.qa = qa
        self.uploads = qa.settings.data_dir / "uploads"
        self.max_bytes = int(qa.settings.ui.max_upload_mb * 1024 * 1024)

    def render(self, scope: gr.Dropdown) -> tuple[gr.Dataframe, gr.Dropdown]:
        """Lay out the tab and wire its events (inside a Blocks context); `scope` is the chat's "Search in"."""
        kinds = ", ".join(f.name for f in FORMATS)
        upload = gr.File(
            label=f"Upload documents ({kinds}; up to {self.qa.settings.ui.max_upload_mb:g} MB each)",
            file_count="multiple",
            file_types=sorted(SUPPORTED_SUFFIXES),
            elem_id="upload",
        )
        status = gr.HTML(elem_id="upload-status")
        table = gr.Dataframe([], headers=HEADERS, interactive=False, elem_id="sources-table", wrap=True)
        with gr.Row(equal_height=True):
            choice = gr.Dropdown([], value=None, label="Document to remove", elem_id="remove-choice", scale=4)
            remove = gr.Button("Remove…", variant="stop", elem_id="remove", scale=1)
        with gr.Row(visible=False, elem_id="remove-confirm") as confirm_row:
            question = gr.HTML(elem_id="remove-question")
            confirm = gr.Button("Yes, remove it", variant="stop", elem_id="remove-yes", scale=0)
            cancel = gr.Button("Cancel", elem_id="remove-cancel", scale=0)
        listing = [table, choice, scope]
        private: dict[str, Any] = {"api_visibility": "private"}
        # the work shows one progress bar, on the status; the lists are refreshed after it, without one
        upload.upload(
            self.add, [upload], [status, upload], concurrency_limit=1, show_progress_on=[status], **private
        ).then(self.listing, [scope], listing, show_progress="hidden", **private)
        remove.click(self.ask_to_remove, [choice], [status, question, confirm_row], **private)
        confirm.click(self.remove, [choice], [status, confirm_row], concurrency_limit=1, **private).then(
            self.listing, [scope], listing, show_progress="hidden", **private
        )
        cancel.click(lambda: gr.update(visible=False), None, [confirm_row], api_visibility="private")
        choice.change(lambda: gr.update(visible=False), None, [confirm_row], api_visibility="private")
        return table, choice

    def listing(self, scope: list[str] | None = None) -> tuple[Any, Any, Any]:
        """The table, the Remove choice (nothing chosen) and the chat's "Search in" choice, as indexed now."""
        documents = list_documents(self.qa)
        rows = [[d.title, d.source, d.passages] for d in documents]
        choices = [(f"{d.title} ({d.source})" if d.title != d.source else d.source, d.source) for d in documents]
        kept = [s for s in scope or [] if s in {d.source for d in documents}]
        return (
            gr.update(value=rows or None, headers=HEADERS),
            gr.update(choices=choices, value=None),
            gr.update(choices=choices, value=kept),
        )

    def add(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, None]:  # noqa: B008
        """Check, copy and index uploaded files; report each as indexed or rejected, with the reason."""
        lines = []
        for number, file in enumerate(files or [], start=1):
            path = Path(file)
            progress((number - 1, len(files or [])), desc=f"Indexing {path.name}")
            lines.append(self._add_one(path))
        return "<ul>" + "".join(lines) + "</ul>", None  # None: the drop zone is emptied

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
        count = self.qa.sources().get(path.name, 0)
        return f'<li class="qa-indexed">Indexed <b>{name}</b> ({outcome.status}, {passages(count)})</li>'

    def check(self, path: Path) -> str | None:
        """Why a file cannot be uploaded, or None."""
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return (
                f"unsupported file type '{path.suffix or path.name}' (allowed: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
            )
        if path.stat().st_size > self.max_bytes:
            return f"{path.stat().st_size / 1e6:.1f} MB is over the {self.qa.settings.ui.max_upload_mb:g} MB limit"
        return None

    def ask_to_remove(self, source: str | None) -> tuple[Any, Any, Any]:
        """Ask before removing: say what would go; nothing is removed here."""
        if not source:
            return '<p class="qa-rejected">Choose a document to remove first.</p>', gr.skip(), gr.update(visible=False)
        count = self.qa.sources().get(source)
        if count is None:
            return (
                f'<p class="qa-rejected">{escape_text(source)} is no longer indexed.</p>',
                gr.skip(),
                gr.update(visible=False),
            )
        question = (
            f'<p class="qa-confirm">Remove <b>{escape_text(source)}</b> and its {passages(count)} from the index? '
            "Answers will no longer cite it.</p>"
        )
        return "", question, gr.update(visible=True)

    def remove(self, source: str | None) -> tuple[str, Any]:
        """Remove a confirmed source from the index (and its uploaded copy)."""
        hidden = gr.update(visible=False)
        if not source:
            return '<p class="qa-rejected">Choose a document to remove first.</p>', hidden
        try:
            deleted = self.qa.remove(source)
        except QAError as err:
            return f'<p class="qa-rejected">{escape_text(str(err))}</p>', hidden
        (self.uploads / source).unlink(missing_ok=True)
        return f"<p>Removed <b>{escape_text(source)}</b> ({passages(deleted)}).</p>", hidden
