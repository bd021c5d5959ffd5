"""The document viewer's server side: which passage a request opens, and what it shows."""

from __future__ import annotations

import json
from pathlib import Path

from qa import QA
from ui.history import make_turn
from ui.render import escape_text
from ui.routes import document_url
from ui.viewer import CHANGED, GONE, CitationViewer, text_window


def test_the_text_window_marks_the_quote_and_escapes_the_document() -> None:
    text = "<b>Intro.</b>\n" + "x " * 5000 + "\nThe bell rings at dusk. Then silence.\n" + "y " * 5000
    start = text.index("The bell")
    html = text_window(text, start, start + 37, (start, start + 23))
    assert '<mark class="qa-doc-quote qa-scroll-target">The bell rings at dusk.</mark>' in html
    assert html.startswith('<div class="qa-doc">…') and "Intro" not in html  # cut some way before the passage
    near = text_window("<b>Intro.</b> The bell.", 14, 23, None)
    assert "<b>" not in near and "&#60;b&#62;Intro." in near and "<mark" in near


def test_a_request_opens_the_cited_passage_at_its_quote_and_offers_the_file(qa: QA, docs: Path) -> None:
    (docs / "bells.txt").write_text("Intro line.\n\nThe bell rings at dusk every day. The ferry leaves at noon.\n")
    qa.ingest(docs)
    turns = [make_turn("When does the bell ring?", qa.ask("When does the bell ring?"))]
    html, download = CitationViewer(qa).open(json.dumps({"turn": 0, "rank": 1}), turns, None)
    assert "<mark" in html and "The bell rings at dusk every day." in html and "Intro line." in html
    assert download["visible"] and download["link"] == document_url("bells.txt") == "document/bells.txt"
    (docs / "bells.txt").write_text("Changed.\n")
    assert escape_text(CHANGED) in CitationViewer(qa).open(json.dumps({"turn": 0, "rank": 1}), turns, None)[0]
    (docs / "bells.txt").unlink()
    html, download = CitationViewer(qa).open(json.dumps({"turn": 0, "rank": 1}), turns, None)
    assert escape_text(GONE) in html and not download["visible"]


def test_a_request_for_a_passage_not_in_the_chat_opens_nothing(qa: QA) -> None:
    viewer = CitationViewer(qa)
    for request in ["", "{}", '{"turn": 3, "rank": 1}', '{"turn": "x", "rank": 1}']:
        html, download = viewer.open(request, [], None)
        assert "no longer in this chat" in html and not download["visible"]
