"""Rendering answers for the chat and the sources panel: links, highlights, escaping."""

from __future__ import annotations

import re

from index.types import Chunk
from qa.types import Answer, Citation, Passage
from ui.render import answer_html, answer_pieces, copy_text, escape_text, question_html, sources_html

TEXT = "Intro sentence. The bell rings at dusk. <script>alert(1)</script> ![x](http://203.0.113.9/x.png)"


def make_answer(abstained: bool = False, kind: str = "answered") -> Answer:
    chunk = Chunk(source="notes <b>.txt", title="Notes", text=TEXT, start=100, end=100 + len(TEXT))
    other = Chunk(source="other.txt", title="Other", text="Unrelated text.", start=0, end=15)
    passages = (Passage(chunk, 0.8, 1), Passage(other, 0.2, 2))
    if abstained:
        return Answer("Q?", "The sources do not answer this question.", (), passages, abstained=True)
    if kind == "unsure":
        return Answer("Q?", "The sources may not answer this question.", (), passages, kind="unsure", confidence=0.3)
    quote = "The bell rings at dusk."
    start = 100 + TEXT.index(quote)
    span = (start + quote.index("dusk"), start + quote.index("dusk") + 4)
    citation = Citation(1, chunk.source, None, start, start + len(quote), quote, 0.9, span)
    return Answer("When?", f"{quote} [1]", (citation,), passages, confidence=0.93)


def test_the_answering_words_are_bold_inside_the_quoted_sentence() -> None:
    html = answer_html(make_answer(), turn=1)
    assert 'The bell rings at <strong class="qa-key">dusk</strong>.' in html
    assert make_answer().to_dict()["answer_span"] == {"id": 1, "source": "notes <b>.txt", "start": 134, "end": 138,
                                                      "text": "dusk"}


def test_an_unsure_reply_looks_different_from_an_answer_and_from_not_in_the_sources() -> None:
    unsure, absent = answer_html(make_answer(kind="unsure"), turn=1), answer_html(make_answer(True), turn=1)
    assert 'class="qa-unsure"' in unsure and "may not answer" in unsure and "qa-abstained" not in unsure
    assert 'class="qa-abstained"' in absent and "qa-unsure" not in absent
    assert "qa-cite" not in unsure  # no claim, no citation
    assert "may not answer" in sources_html([(1, make_answer(kind="unsure"))], {})


def test_escape_text_neutralises_html_and_markdown() -> None:
    escaped = escape_text('<img src=x onerror="alert(1)"> ![i](http://x/y.png)')
    assert "<img" not in escaped and "![" not in escaped and "](" not in escaped
    assert escaped.startswith("&#60;img")


def test_escaping_is_a_single_pass_so_entities_are_not_mangled() -> None:
    import html

    assert html.unescape(escape_text("model's <answer> & [1] #tag")) == "model's <answer> & [1] #tag"


def test_answer_markers_link_to_their_passage_in_the_sources_panel() -> None:
    html = answer_html(make_answer(), turn=3)
    assert '<a class="qa-cite" href="#cite-3-1">[1]</a>' in html
    assert "The bell rings at dusk." in re.sub("<[^>]+>", "", html)


def test_a_marker_with_no_citation_stays_plain_text() -> None:
    answer = make_answer()
    html = answer_html(Answer(answer.question, "Claim [7]", answer.citations, answer.passages), turn=0)
    assert "qa-cite" not in html and "&#91;7&#93;" in html


def panel(answer: Answer, turn: int = 0) -> str:
    return sources_html([(turn, answer)], {"notes <b>.txt": "Notes on <bells>"})


def test_cited_passage_shows_title_file_name_and_highlights_the_quote_without_a_score() -> None:
    html = panel(make_answer(), turn=3)
    assert 'id="cite-3-1"' in html
    assert "<mark>The bell rings at dusk.</mark>" in html
    assert "notes &#60;b&#62;.txt" in html and "Notes on &#60;bells&#62;" in html
    assert "0.80" not in html and "qa-score" not in html


def test_each_answer_keeps_its_own_passages_and_the_latest_is_shown() -> None:
    html = sources_html([(0, make_answer()), (1, make_answer(abstained=True))], {})
    assert 'id="cite-0-1"' in html and '<section class="qa-turn" data-turn="0" hidden>' in html
    assert '<section class="qa-turn" data-turn="1">' in html


def test_document_text_in_the_panel_is_escaped() -> None:
    html = panel(make_answer())
    assert "<script>" not in html and "&#60;script&#62;" in html
    assert "![x]" not in html and "](" not in html  # no Markdown image can form


def test_uncited_passages_are_folded_away() -> None:
    html = panel(make_answer())
    assert "<details><summary>Other retrieved passages (1)</summary>" in html
    assert html.index("Unrelated text.") > html.index("<details>")


def test_abstention_looks_different_and_lists_the_closest_passages() -> None:
    answer = make_answer(abstained=True)
    assert "The sources do not answer this" in answer_html(answer, 0)
    shown = panel(answer)
    assert "Closest passages" in shown and "qa-abstained" in shown and "Unrelated text." in shown
    assert "<details>" not in shown


def test_streamed_pieces_grow_to_the_full_answer() -> None:
    answer = make_answer()
    pieces = answer_pieces(answer, 0)
    assert pieces[-1] == answer_html(answer, 0)
    assert all(later.startswith(earlier) for earlier, later in zip(pieces, pieces[1:], strict=False))


def test_unsupported_sentences_are_flagged_and_the_mode_is_shown() -> None:
    answer = make_answer()
    llm = Answer(
        answer.question,
        "The bell rings at dusk. [1] It weighs 900 kg. [1]",
        answer.citations,
        answer.passages,
        mode="llm",
        unsupported=("It weighs 900 kg.",),
    )
    html = answer_html(llm, 0)
    assert '<span class="qa-unsupported" title="Not supported by the cited passages">It weighs 900 kg.' in html
    assert html.index("qa-unsupported") > html.index("dusk")
    assert "written by the language model" in html


def test_a_fallback_answer_says_why() -> None:
    answer = make_answer()
    fallback = Answer(
        answer.question,
        answer.text,
        answer.citations,
        answer.passages,
        mode="extractive-fallback",
        notice="the language model failed (timeout); showing the extractive answer",
    )
    assert "showing the extractive answer" in answer_html(fallback, 0)


def test_latex_delimiters_and_link_syntax_are_escaped() -> None:
    escaped = escape_text("$$x$$ [a](http://x) <http://y>")
    assert "$" not in escaped and "](" not in escaped and "<" not in escaped


def test_the_question_is_escaped_with_its_line_breaks_kept() -> None:
    assert question_html("![x](http://203.0.113.9/q.png)\n**b**") == (
        "&#33;&#91;x&#93;&#40;http://203.0.113.9/q.png&#41;<br>&#42;&#42;b&#42;&#42;"
    )


def test_copy_text_is_plain_text_with_markers_and_one_line_per_cited_source() -> None:
    text = copy_text(make_answer(), {"notes <b>.txt": "Notes"})
    assert text == 'The bell rings at dusk. [1]\n\nSources:\n[1] Notes (notes <b>.txt): "The bell rings at dusk."'
    assert copy_text(make_answer(abstained=True), {}).startswith("The sources do not answer this")
