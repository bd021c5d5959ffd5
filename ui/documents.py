"""The Documents tab: upload files (queued, each with its state), list documents, remove one after confirming.

Everything is done as the session's user (`ui.session`): the list shows what they may read, uploads go
to a collection they may change (`ui.uploads`: a queue indexed in the background, so files chosen while
others index wait their turn), and Remove is refused for documents they may not change. While uploads
are waiting or indexing, a timer asks for their states every second and stops once all are finished.
The list, the choices and the chat's "Search in" choice are read from the index whenever the page loads,
the tab is opened, or a document is added (an upload finished) or removed, so they are never stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from index.formats import FORMATS, SUPPORTED_SUFFIXES
from index.manifest import DEFAULT_COLLECTION
from qa.errors import QAError
from qa.service import QA
from ui.document_info import list_documents
from ui.render import escape_text
from ui.session import Sessions
from ui.uploads import Job, UploadQueue, passages

HEADERS = ["Title", "File", "Passages"]
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
POLL_SECONDS = 1.0  # how often a page with unfinished uploads asks for their states


def keeping_given_names(box: gr.File) -> gr.File:
    """`box`, its files passed to handlers with the name each had on the person's computer (`orig_name`).

    Gradio stores an upload under a cleaned name (it strips characters such as `<`, `>` and `|`); the
    handler needs the name as given, to keep it or to say why it cannot be kept. (A subclass of gr.File
    would be taken by Gradio for a custom component, so the one instance is adapted.)
    """
    process = box._process_single_file

    def with_given_name(data: Any) -> Any:
        processed = process(data)
        if isinstance(processed, str):
            processed.orig_name = getattr(data, "orig_name", None)  # type: ignore[attr-defined]
        return processed

    box._process_single_file = with_given_name  # type: ignore[method-assign,assignment]
    return box


class DocumentManager:
    """Upload, list and remove documents of one engine, as the session's user."""

    def __init__(self, qa: QA, sessions: Sessions | None = None) -> None:
        """Manage the documents of `qa` for the users of `sessions` (default: login off)."""
        self.qa = qa
        self.sessions = sessions or Sessions(None, qa.settings)
        self.uploads = UploadQueue(qa, self.sessions.account)

    def render(self, scope: gr.Dropdown) -> tuple[list[Any], list[Any]]:
        """Lay out the tab and wire its events (inside a Blocks context); `scope` is the chat's "Search in".

        Returns the inputs and the outputs of `listing`, for the page to refresh them.
        """
        kinds = ", ".join(f.name for f in FORMATS)
        target = gr.Dropdown([], label="Upload to", elem_id="upload-collection", info="A collection you may change")
        upload = keeping_given_names(
            gr.File(
                label=f"Upload documents ({kinds}; up to {self.qa.settings.ui.max_upload_mb:g} MB each)",
                file_count="multiple",
                file_types=sorted(SUPPORTED_SUFFIXES),
                elem_id="upload",
            )
        )
        status = gr.HTML(elem_id="upload-status")  # one line per upload: waiting, indexing, done or failed
        timer = gr.Timer(POLL_SECONDS, active=False)
        finished = gr.Number(0, visible=False, elem_id="uploads-finished")  # changes when an upload finishes
        table = gr.Dataframe([], headers=HEADERS, interactive=False, elem_id="sources-table", wrap=True)
        with gr.Row(equal_height=True):
            choice = gr.Dropdown([], value=None, label="Document to remove", elem_id="remove-choice", scale=4)
            remove = gr.Button("Remove…", variant="stop", elem_id="remove", scale=1)
        said = gr.HTML(elem_id="remove-status")
        with gr.Row(visible=False, elem_id="remove-confirm") as confirm_row:
            question = gr.HTML(elem_id="remove-question")
            confirm = gr.Button("Yes, remove it", variant="stop", elem_id="remove-yes", scale=0)
            cancel = gr.Button("Cancel", elem_id="remove-cancel", scale=0)
        listing = [table, choice, scope, target]
        inputs = [scope, target]
        # queueing is quick; every upload event is taken ("multiple"), also while earlier ones run; the lines
        # of the status are the progress (the file box shows the transfer's own)
        progress = [status, timer, finished]
        upload.upload(
            self.add, [upload, target], [upload, *progress], trigger_mode="multiple", show_progress="hidden", **PRIVATE
        )
        timer.tick(self.progress, None, progress, show_progress="hidden", **PRIVATE)
        finished.change(self.listing, inputs, listing, show_progress="hidden", **PRIVATE)
        remove.click(self.ask_to_remove, [choice], [said, question, confirm_row], **PRIVATE)
        confirm.click(self.remove, [choice], [said, confirm_row], concurrency_limit=1, **PRIVATE).then(
            self.listing, inputs, listing, show_progress="hidden", **PRIVATE
        )
        cancel.click(lambda: gr.update(visible=False), None, [confirm_row], **PRIVATE)
        choice.change(lambda: gr.update(visible=False), None, [confirm_row], **PRIVATE)
        self.progress_outputs = progress
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

    def add(self, files: list[str] | None, target: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Queue uploaded files for `target` (each is indexed or refused, with the reason, in the background);
        the drop zone is emptied and the states shown, then followed by the timer."""
        try:
            user = self.sessions.user(request)
            collection = self.uploads.desk.collection(target, user, self.sessions.login)
        except QAError as err:
            for file in files or []:
                self.uploads.discard(Path(file))
            return None, f'<p class="qa-rejected">{escape_text(str(err))}</p>', gr.skip(), gr.skip()
        for file in files or []:
            self.uploads.submit(Path(file), getattr(file, "orig_name", None), collection, user)
        return None, *self.progress(request)

    def progress(self, request: gr.Request) -> tuple[Any, ...]:
        """The user's uploads, one line each; the timer runs while any is unfinished; how many have finished."""
        try:
            user = self.sessions.user(request)
        except QAError as err:
            return f'<p class="qa-rejected">{escape_text(str(err))}</p>', gr.Timer(active=False), gr.skip()
        jobs = self.uploads.jobs(user.name)
        pending = any(not job.finished for job in jobs)
        lines = "".join(self._line(job) for job in jobs)
        html = f'<ul class="qa-jobs" aria-live="polite">{lines}</ul>' if jobs else ""
        return html, gr.Timer(active=pending), sum(job.finished for job in jobs)

    def _line(self, job: Job) -> str:
        name = f"<b>{escape_text(job.name)}</b>"
        if job.state == "done":
            where = "" if job.collection == DEFAULT_COLLECTION else f" in {escape_text(job.collection)}"
            text, kind = f"Indexed {name}{where} ({escape_text(job.message)})", "qa-indexed qa-job-finished"
        elif job.state == "failed":
            text, kind = f"Rejected {name}: {escape_text(job.message)}", "qa-rejected qa-job-finished"
        elif job.state == "indexing":
            text, kind = f"Indexing {name}…", "qa-job-pending"
            if job.message:
                text += f" ({escape_text(job.message)})"
        else:
            ahead = self.uploads.place(job)
            place = f"{ahead} ahead in the queue" if ahead else "next in line"
            text, kind = f"Waiting: {name} ({place})", "qa-job-pending"
            if job.message:
                text += f"; {escape_text(job.message)}"
        return f'<li class="qa-job qa-job-{job.state} {kind}" data-state="{job.state}" data-job="{job.id}">{text}</li>'

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
            deleted = self.qa.remove(source, self.sessions.user(request))  # its kept upload goes with it
        except QAError as err:
            return f'<p class="qa-rejected">{escape_text(str(err))}</p>', hidden
        return f"<p>Removed <b>{escape_text(source)}</b> ({passages(deleted)}).</p>", hidden
