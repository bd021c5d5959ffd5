"""The Documents tab: upload files (indexed with progress), list documents, remove one after confirming.

Everything is done as the session's user (`ui.session`): the list shows what they may read, uploads go
to a collection they may change (`ui.uploads`), and Remove is refused for documents they may not change.
The list, the choices and the chat's "Search in" choice are read from the index whenever the page loads,
the tab is opened, or a document is added or removed, so they are never stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from index.formats import FORMATS, SUPPORTED_SUFFIXES
from qa.errors import QAError
from qa.service import QA
from ui.document_info import list_documents
from ui.render import escape_text
from ui.session import Sessions
from ui.uploads import Uploads, passages

HEADERS = ["Title", "File", "Passages"]
PRIVATE: dict[str, Any] = {"api_visibility": "private"}


class DocumentManager:
    """Upload, list and remove documents of one engine, as the session's user."""

    def __init__(self, qa: QA, sessions: Sessions | None = None) -> None:
        """Manage the documents of `qa` for the users of `sessions` (default: login off)."""
        self.qa = qa
        self.sessions = sessions or Sessions(None)
        self.uploads = Uploads(qa)

    def render(self, scope: gr.Dropdown) -> tuple[list[Any], list[Any]]:
        """Lay out the tab and wire its events (inside a Blocks context); `scope` is the chat's "Search in".

        Returns the inputs and the outputs of `listing`, for the page to refresh them.
        """
        kinds = ", ".join(f.name for f in FORMATS)
        target = gr.Dropdown([], label="Upload to", elem_id="upload-collection", info="A collection you may change")
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
        listing = [table, choice, scope, target]
        inputs = [scope, target]
        # the work shows one progress bar, on the status; the lists are refreshed after it, without one
        upload.upload(
            self.add, [upload, target], [status, upload], concurrency_limit=1, show_progress_on=[status], **PRIVATE
        ).then(self.listing, inputs, listing, show_progress="hidden", **PRIVATE)
        remove.click(self.ask_to_remove, [choice], [status, question, confirm_row], **PRIVATE)
        confirm.click(self.remove, [choice], [status, confirm_row], concurrency_limit=1, **PRIVATE).then(
            self.listing, inputs, listing, show_progress="hidden", **PRIVATE
        )
        cancel.click(lambda: gr.update(visible=False), None, [confirm_row], **PRIVATE)
        choice.change(lambda: gr.update(visible=False), None, [confirm_row], **PRIVATE)
        return inputs, listing

    def listing(self, scope: list[str] | None, target: str | None, request: gr.Request) -> tuple[Any, ...]:
        """The table, the Remove choice (what the user may remove; nothing chosen), "Search in" and "Upload to"."""
        try:
            user = self.sessions.user(request)
        except QAError:
            return gr.update(value=None), gr.update(choices=[]), gr.update(choices=[]), gr.update(choices=[])
        documents = list_documents(self.qa, user)
        rows = [[d.title, d.source, d.passages] for d in documents]
        choices = [(f"{d.title} ({d.source})" if d.title != d.source else d.source, d.source) for d in documents]
        removable = [choice for choice, d in zip(choices, documents, strict=True) if d.changeable]
        kept = [s for s in scope or [] if s in {d.source for d in documents}]
        targets = self.uploads.targets(user, self.sessions.login)
        return (
            gr.update(value=rows or None, headers=HEADERS),
            gr.update(choices=removable, value=None),
            gr.update(choices=choices, value=kept),
            gr.update(choices=targets, value=target if target in targets else targets[0]),
        )

    def add(
        self,
        files: list[str] | None,
        target: str | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, None]:
        """Check, keep and index uploaded files in `target`; report each as indexed or rejected, with the reason."""
        try:
            user = self.sessions.user(request)
        except QAError as err:
            for file in files or []:
                self.uploads.discard(Path(file))
            return f'<p class="qa-rejected">{escape_text(str(err))}</p>', None
        collection = target or self.uploads.default(user, self.sessions.login)
        lines = []
        for number, file in enumerate(files or [], start=1):
            path = Path(file)
            progress((number - 1, len(files or [])), desc=f"Indexing {path.name}")
            lines.append(self.uploads.add(path, collection, user))
        return "<ul>" + "".join(lines) + "</ul>", None  # None: the drop zone is emptied

    def ask_to_remove(self, source: str | None, request: gr.Request) -> tuple[Any, Any, Any]:
        """Ask before removing: say what would go; nothing is removed here."""
        hidden = gr.update(visible=False)
        if not source:
            return '<p class="qa-rejected">Choose a document to remove first.</p>', gr.skip(), hidden
        try:
            count = self.qa.sources(self.sessions.user(request)).get(source)
        except QAError as err:
            return f'<p class="qa-rejected">{escape_text(str(err))}</p>', gr.skip(), hidden
        if count is None:
            return f'<p class="qa-rejected">{escape_text(source)} is no longer indexed.</p>', gr.skip(), hidden
        question = (
            f'<p class="qa-confirm">Remove <b>{escape_text(source)}</b> and its {passages(count)} from the index? '
            "Answers will no longer cite it.</p>"
        )
        return "", question, gr.update(visible=True)

    def remove(self, source: str | None, request: gr.Request) -> tuple[str, Any]:
        """Remove a confirmed source the user may change from the index, and its kept upload."""
        hidden = gr.update(visible=False)
        if not source:
            return '<p class="qa-rejected">Choose a document to remove first.</p>', hidden
        try:
            user = self.sessions.user(request)
            kept = self.uploads.kept(source, user)
            deleted = self.qa.remove(source, user)
        except QAError as err:
            return f'<p class="qa-rejected">{escape_text(str(err))}</p>', hidden
        if kept is not None:
            kept.unlink(missing_ok=True)
        return f"<p>Removed <b>{escape_text(source)}</b> ({passages(deleted)}).</p>", hidden
