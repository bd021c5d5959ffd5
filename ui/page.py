"""The chat page: its layout and the wiring of its events to the handlers, over one `QA` engine.

`build_ui(qa)` lays out the Ask tab (chat, "Search in", options; beside it the document viewer and
the answers' passages) and the Documents tab. Handlers only translate between Gradio and `QA`: the
chat's in `ui/chat.py`, the viewer's in `ui/viewer.py`, the Documents tab's in `ui/documents.py`;
rendering is in `ui/render.py`, styles and the page script in `ui/theme.py`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import gradio as gr

from access.login import Authenticator
from access.permissions import ADMIN, User
from qa.errors import QAError
from qa.service import QA
from ui.chat import EMPTY_VIEWER, ChatHandlers
from ui.documents import DocumentManager
from ui.history import saved
from ui.render import EMPTY_SOURCES
from ui.session import Sessions
from ui.theme import LATEST_JS, SCROLL_JS
from ui.viewer import CitationViewer

CACHE_SECONDS = 600  # Gradio's copies of uploads never indexed (a request that never came) go after this


def api_ask(qa: QA, question: str, k: int = 5, mode: str = "", user: User = ADMIN) -> dict[str, Any]:
    """The engine's `ask` for API clients, as `user`: the same object `qa ask --json` prints."""
    if isinstance(k, float) and float(k).is_integer():  # JSON clients may send 5.0; anything else the engine refuses
        k = int(k)
    try:
        return qa.ask(question, k=k, mode=mode or None, user=user).to_dict()  # type: ignore[arg-type]
    except QAError as err:
        raise gr.Error(str(err)) from err


def build_ui(qa: QA, authenticator: Authenticator | None = None) -> gr.Blocks:
    """The chat, sources panel, document viewer, settings and document management, wired to `qa`.

    Every handler acts as the session's user, looked up with `authenticator` (None: login off, as an admin).
    """
    sessions = Sessions(authenticator, qa.settings)
    chat_handlers, documents = ChatHandlers(qa, sessions), DocumentManager(qa, sessions)
    citations = CitationViewer(qa, sessions)
    demo: gr.Blocks
    with gr.Blocks(title="Ask the documents", delete_cache=(CACHE_SECONDS, CACHE_SECONDS)) as demo:
        with gr.Row(equal_height=True):
            gr.Markdown("## Ask the documents\nAnswers quote the documents: click a marker like [1] to see it there.")
            logout = gr.Button("Log out", link="/logout", visible=False, elem_id="logout", size="sm", scale=0)
        turns = gr.State([])
        stored = gr.BrowserState(saved([], None), storage_key="qa-chat", secret=browser_secret(qa.settings.data_dir))
        with gr.Tab("Ask"), gr.Row():
            with gr.Column(scale=3, min_width=320):
                with gr.Row():
                    new_chat = gr.Button("New chat", elem_id="new-chat", size="sm", scale=0, min_width=110)
                chat = gr.Chatbot(
                    label="Chat",
                    height=480,
                    elem_id="chat",
                    feedback_options=("Like", "Dislike"),
                    render_markdown=False,
                    latex_delimiters=[],
                    buttons=[],  # answers are HTML we escaped; no Markdown
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask a question about the documents",
                        show_label=False,
                        scale=6,
                        elem_id="question",
                        max_length=2000,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                scope = gr.Dropdown(
                    [],
                    value=[],
                    multiselect=True,
                    label="Search in",
                    info="Leave empty to search every document",
                    elem_id="scope",
                )
                mode = gr.Radio(
                    ["llm", "extractive"],
                    value=qa.default_mode,
                    label="Answer mode",
                    elem_id="mode",
                    visible=qa.default_mode == "llm",  # offered only when a language model is configured
                )
                with gr.Accordion("Options", open=False):
                    top_k = gr.Slider(
                        1,
                        20,
                        value=qa.settings.retrieval.top_k,
                        step=1,
                        label="Passages to read per question",
                        info="More passages can find more, and show more beside the answer",
                        elem_id="top-k",
                    )
            with gr.Column(scale=2, min_width=320):
                viewer = gr.HTML(EMPTY_VIEWER, elem_id="viewer")
                download = gr.Button("Download", visible=False, elem_id="download", size="sm")  # a link
                sources = gr.HTML(EMPTY_SOURCES, elem_id="sources")
                open_request = gr.Textbox(elem_id="open-request", elem_classes="qa-hidden", container=False)
                open_button = gr.Button("Open", elem_id="open-button", elem_classes="qa-hidden")
        with gr.Tab("Documents", elem_id="documents-tab") as documents_tab:
            listed, listing = documents.render(scope)
        inputs, outputs = [box, turns, top_k, mode, scope], [chat, turns, box, sources, stored]
        for asked in (box.submit, ask.click):  # then the viewer shows what the new answer cites, or says it cites none
            asked(chat_handlers.respond, inputs, outputs, api_visibility="private").then(
                citations.latest, [turns], [viewer, download], api_visibility="private"
            ).then(None, js=LATEST_JS)
        chat.like(chat_handlers.like, [turns], None, api_visibility="private")
        cleared = [chat, turns, sources, viewer, download, stored]
        chat.clear(chat_handlers.new_chat, None, cleared, api_visibility="private")
        new_chat.click(chat_handlers.new_chat, None, cleared, api_visibility="private")
        open_button.click(
            citations.open,
            [open_request, turns],
            [viewer, download],
            concurrency_limit=2,
            trigger_mode="always_last",
            api_visibility="private",
        ).then(None, js=SCROLL_JS)
        demo.load(chat_handlers.restore, [stored], [chat, turns, sources], api_visibility="private")
        demo.load(documents.listing, listed, listing, show_progress="hidden", api_visibility="private")
        uploads = documents.progress_outputs  # uploads still queued (also from before a restart) are followed
        demo.load(documents.progress, None, uploads, show_progress="hidden", api_visibility="private")
        demo.load(_account, None, [logout], api_visibility="private")
        documents_tab.select(documents.listing, listed, listing, show_progress="hidden", api_visibility="private")

        def ask_api(question: str, request: gr.Request, k: int = 5, mode: str = "") -> dict[str, Any]:
            """Answer a question with cited sentences: the same object `qa ask --json` prints.

            `mode` is "extractive" or "llm" ("": llm when a language model is configured).
            """
            try:
                user = sessions.user(request)
            except QAError as err:
                raise gr.Error(str(err)) from err
            return api_ask(qa, question, k, mode, user)

        gr.api(ask_api, api_name="ask")  # type: ignore[attr-defined]
    return demo


def _account(request: gr.Request) -> Any:
    """The Log out button, shown with the user's name when login is on."""
    user = getattr(request, "username", None)
    return gr.update(visible=bool(user), value=f"Log out {user}" if user else "Log out")


def browser_secret(data_dir: Path) -> str | None:
    """The key the chat history is kept under in browsers, stored in the data directory so it survives restarts.

    None (a new key each start) when the data directory cannot be written.
    """
    path = data_dir / "ui-browser-key"
    try:
        if not path.is_file():
            data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
