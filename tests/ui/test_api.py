"""The UI's `ask` API: the engine's answer as JSON, and the engine's argument errors as Gradio errors."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pytest

from qa import QA
from ui.app import api_ask


def test_the_api_answers_with_the_json_of_qa_ask(seeded_qa: QA) -> None:
    answer = api_ask(seeded_qa, "Who leads the Libyan National Army?", k=3.0)  # type: ignore[arg-type]
    assert answer == seeded_qa.ask("Who leads the Libyan National Army?", k=3).to_dict()
    assert answer["citations"] and answer["citations"][0]["source"] == "000_e92089c36fa5833b.txt"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"question": ""}, "question"),
        ({"k": 2.7}, "k"),
        ({"k": "three"}, "k"),
        ({"k": 0}, "k"),
        ({"mode": "poetry"}, "mode"),
    ],
)
def test_bad_api_arguments_are_gradio_errors_naming_the_field(
    seeded_qa: QA, arguments: dict[str, Any], field: str
) -> None:
    call = {"question": "Who leads the Libyan National Army?", "k": 5, "mode": "", **arguments}
    with pytest.raises(gr.Error) as caught:
        api_ask(seeded_qa, call["question"], call["k"], call["mode"])
    assert caught.value.message.startswith(f"{field}: ")
