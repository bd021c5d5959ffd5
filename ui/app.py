"""The staff chat: Gradio Blocks over one `QA` engine.

`build_ui(qa)` returns the Blocks; `launch(qa, ...)` serves it with the theme, queue and login
from settings. Handlers only translate between Gradio and `QA`; rendering is in `ui/render.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home

import gradio as gr  # noqa: E402

from qa.errors import QAError  # noqa: E402
from qa.feedback import record_feedback  # noqa: E402
from qa.service import QA  # noqa: E402
from qa.types import Answer  # noqa: E402
from ui.documents import DocumentManager  # noqa: E402
from ui.render import EMPTY_SOURCES, FINAL, answer_html, answer_pieces, error_html, escape_text, sources_html  # noqa: E402

CSS = """
.qa-cite { font-weight: 600; text-decoration: none; padding: 0 1px; }
.qa-sources h3 { margin: 0 0 8px; font-size: 1rem; }
.qa-source { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin-bottom: 10px; }
.qa-source:target, .qa-source.qa-focus { border-color: #0969da; box-shadow: 0 0 0 3px #b6d4fe; }
.qa-source-head { font-size: 0.85rem; color: #57606a; margin-bottom: 4px; }
.qa-file { font-weight: 600; color: #24292f; }
.qa-score { float: right; font-variant-numeric: tabular-nums; }
.qa-passage { font-size: 0.92rem; line-height: 1.45; white-space: pre-wrap; }
.qa-passage mark { background: #fff3b0; padding: 0 1px; }
.qa-abstained { background: #fff8e6; border-left: 4px solid #d4a72c; padding: 6px 10px; margin-bottom: 8px; }
.qa-error { background: #ffebe9; border-left: 4px solid #cf222e; padding: 6px 10px; }
.qa-sources-empty { color: #57606a; font-style: italic; }
.qa-unsupported { text-decoration: underline wavy #cf222e; }
.qa-unsupported::after { content: " (not supported by the sources)"; color: #cf222e; font-size: 0.8em; }
.qa-mode { color: #57606a; font-size: 0.8em; margin-top: 4px; }
.qa-notice { color: #9a6700; font-size: 0.85em; margin-top: 4px; }
"""

# Clicking a citation marker scrolls its passage into view and outlines it (the chat and the
# sources panel are separate components, so a plain #anchor is not always enough).
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.qa-cite');
    if (!link) return;
    event.preventDefault();
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    document.querySelectorAll('.qa-focus').forEach((el) => el.classList.remove('qa-focus'));
    target.classList.add('qa-focus');
    target.scrollIntoView({behavior: 'smooth', block: 'center'});
  });
}
"""


def _text(content: Any) -> str:
    """The text of a chat message, whatever shape Gradio gives it."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content)


class ChatHandlers:
    """The chat's event handlers, bound to one engine."""

    def __init__(self, qa: QA) -> None:
        """Answer with `qa`; feedback goes to `feedback.jsonl` in its data directory."""
        self.qa = qa
        self.feedback_path = qa.settings.data_dir / "feedback.jsonl"

    def respond(
        self, message: str, history: list[dict[str, Any]], answers: list[Answer | None], k: float, mode: str
    ) -> Iterator[tuple[list[dict[str, Any]], list[Answer | None], str, str]]:
        """Answer `message`, streaming it as it is written; the sources panel follows."""
        asked = [_text(m["content"]) for m in history if m.get("role") == "user"]
        history = [*history, {"role": "user", "content": message}]
        written = ""
        try:
            for item in self.qa.ask_stream(message, k=int(k), history=asked, mode=mode):  # type: ignore[arg-type]
                if isinstance(item, str):
                    written += item
                    yield [*history, {"role": "assistant", "content": escape_text(written)}], answers, "", gr.skip()
                else:
                    answer = item
        except QAError as err:
            reply = {"role": "assistant", "content": error_html(str(err)) + FINAL}
            yield [*history, reply], [*answers, None], "", gr.skip()
            return
        turn = len(answers)
        *partial, full = answer_pieces(answer, turn) if not written else [answer_html(answer, turn)]
        for piece in partial:
            yield [*history, {"role": "assistant", "content": piece}], answers, "", gr.skip()
        final = {"role": "assistant", "content": full + FINAL}
        yield [*history, final], [*answers, answer], "", sources_html(answer, turn)

    def like(self, answers: list[Answer | None], data: gr.LikeData) -> None:
        """Append a thumbs up or down, with the question, answer and citations, to the feedback file."""
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = int(index) // 2
        if 0 <= turn < len(answers) and answers[turn] is not None:
            liked = data.liked if isinstance(data.liked, bool) else data.liked == "Like"
            record_feedback(self.feedback_path, answers[turn], liked)  # type: ignore[arg-type]


def api_ask(qa: QA, question: str, k: int = 5, mode: str = "") -> dict[str, Any]:
    """The engine's `ask` for API clients: the same object `qa ask --json` prints."""
    if isinstance(k, float) and float(k).is_integer():  # JSON clients may send 5.0; anything else the engine refuses
        k = int(k)
    try:
        return qa.ask(question, k=k, mode=mode or None).to_dict()  # type: ignore[arg-type]
    except QAError as err:
        raise gr.Error(str(err)) from err


def build_ui(qa: QA) -> gr.Blocks:
    """The chat, sources panel, settings and document management, wired to `qa`."""
    chat_handlers, documents = ChatHandlers(qa), DocumentManager(qa)
    demo: gr.Blocks
    with gr.Blocks(title="Ask the documents") as demo:
        gr.Markdown("## Ask the documents\nAnswers quote the sources; click a marker like [1] to see its passage.")
        answers = gr.State([])
        with gr.Tab("Ask"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=480, elem_id="chat", feedback_options=("Like", "Dislike"))
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask a question about the documents",
                        show_label=False,
                        scale=6,
                        elem_id="question",
                        max_length=2000,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Row():
                    top_k = gr.Slider(
                        1, 20, value=qa.settings.retrieval.top_k, step=1, label="Passages to retrieve (top-k)", scale=3
                    )
                    mode = gr.Radio(
                        ["llm", "extractive"],
                        value=qa.default_mode,
                        label="Answer mode",
                        visible=qa.default_mode == "llm",  # offered only when a language model is configured
                        elem_id="mode",
                        scale=2,
                    )
            with gr.Column(scale=2):
                sources = gr.HTML(EMPTY_SOURCES, elem_id="sources")
        with gr.Tab("Documents"):
            documents.render()
        inputs, outputs = [box, chat, answers, top_k, mode], [chat, answers, box, sources]
        box.submit(chat_handlers.respond, inputs, outputs, api_visibility="private")
        ask.click(chat_handlers.respond, inputs, outputs, api_visibility="private")
        chat.like(chat_handlers.like, [answers], None, api_visibility="private")

        def ask_api(question: str, k: int = 5, mode: str = "") -> dict[str, Any]:
            """Answer a question with cited sentences: the same object `qa ask --json` prints.

            `mode` is "extractive" or "llm" ("": llm when a language model is configured).
            """
            return api_ask(qa, question, k, mode)

        gr.api(ask_api, api_name="ask")  # type: ignore[attr-defined]
    return demo


def parse_users(lines: list[str]) -> list[tuple[str, str]]:
    """'user:password' entries (blank lines and # comments skipped) as (user, password) pairs."""
    users = []
    for line in (line.strip() for line in lines):
        if line and not line.startswith("#"):
            user, sep, password = line.partition(":")
            if not (sep and user and password):
                raise QAError(f"ui.users: expected 'user:password', got {user!r} without a password")
            users.append((user, password))
    return users


def login(qa: QA) -> list[tuple[str, str]] | None:
    """Users from settings (`ui.users`, comma-separated, and/or `ui.users_file`), or None: login off."""
    ui = qa.settings.ui
    lines = (ui.users or "").split(",")
    if ui.users_file is not None:
        try:
            lines += Path(ui.users_file).read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise QAError(f"ui.users_file: cannot read {ui.users_file} ({err.strerror})") from err
    return parse_users(lines) or None


def launch(qa: QA, host: str | None = None, port: int | None = None, block: bool = True) -> gr.Blocks:
    """Serve the UI: warm engine, queue with a concurrency limit, upload size limit, optional login."""
    ui = qa.settings.ui
    qa.embedder.warm_up()
    demo: gr.Blocks = build_ui(qa).queue(default_concurrency_limit=ui.concurrency, max_size=100)
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    demo.launch(
        server_name=host or ui.host,
        server_port=port or ui.port,
        auth=login(qa),
        max_file_size=f"{ui.max_upload_mb}mb",
        prevent_thread_lock=not block,
        theme=theme,
        css=CSS,
        js=JS,
        footer_links=["api"],
        quiet=not block,
    )
    return demo
