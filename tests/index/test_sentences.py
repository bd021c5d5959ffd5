"""Tests for index.sentences.split_sentences."""

from __future__ import annotations

from itertools import pairwise

from index.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_the_brief_example_gives_three_sentences() -> None:
    text = "Guterres arrived in Tripoli on April 4. After all, the U.N. Secretary-General was there. Dr. Smith agreed!"
    assert sentences(text) == [
        "Guterres arrived in Tripoli on April 4.",
        "After all, the U.N. Secretary-General was there.",
        "Dr. Smith agreed!",
    ]


def test_question_and_exclamation_marks_end_sentences() -> None:
    assert sentences("Is it? Yes! 42 people came.") == ["Is it?", "Yes!", "42 people came."]


def test_common_abbreviations_do_not_split() -> None:
    text = "Mr. Jones met Prof. Lee vs. Col. Mustard at 10 a.m. Monday, e.g. Fig. 3 shows it."
    assert sentences(text) == [text]


def test_et_al_does_not_split() -> None:
    text = "Smith et al. Reported the effect in Vol. 2 of the journal."
    assert sentences(text) == [text]


def test_month_abbreviations_do_not_split() -> None:
    text = "It opened on Jan. 5 and closed on Dec. 12."
    assert sentences(text) == [text]


def test_initialisms_do_not_split() -> None:
    text = "The U.S.A. Delegation and the U.K. Envoy met the U.N. Staff."
    assert sentences(text) == [text]


def test_single_capital_initials_do_not_split() -> None:
    text = "The paper by J. R. Smith was cited."
    assert sentences(text) == [text]


def test_lowercase_no_at_the_end_of_a_sentence_splits() -> None:
    assert sentences("The answer was no. Then we left.") == ["The answer was no.", "Then we left."]


def test_decimals_do_not_split() -> None:
    text = "The dose rose from 3.5 mg to 12.75 mg over 2.0 days."
    assert sentences(text) == [text]


def test_ellipsis_followed_by_lowercase_continues() -> None:
    text = "He paused... and then went on."
    assert sentences(text) == [text]


def test_ellipsis_followed_by_uppercase_splits() -> None:
    assert sentences("He paused... Then he went on.") == ["He paused...", "Then he went on."]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = "She said “Stop.” Then he left (quietly.) After that, silence."
    assert sentences(text) == [
        "She said “Stop.”",
        "Then he left (quietly.)",
        "After that, silence.",
    ]


def test_an_opening_quote_can_start_a_sentence() -> None:
    assert sentences('It ended. "Why?" she asked.') == ["It ended.", '"Why?" she asked.']


def test_lowercase_after_a_period_does_not_split() -> None:
    text = "Values fell sharply. and stayed low."
    assert sentences(text) == [text]


def test_a_newline_ends_headings_list_items_and_table_rows() -> None:
    text = "Results\n- first item\n| a | b |\nNo period here\nLast line"
    assert sentences(text) == [
        "Results",
        "- first item",
        "| a | b |",
        "No period here",
        "Last line",
    ]


def test_a_paragraph_wrapped_at_80_columns_is_not_cut_at_its_line_breaks() -> None:
    text = (
        "# Travel policy\n\n"
        "Business class is allowed only for flights with a scheduled duration\n"
        "of more than six hours. Economy class applies to every other flight booked by\n"
        "Travel Office staff.\n"
        "- Trains: second class,\n"
        "  first class above four hours.\n"
    )
    assert sentences(text) == [
        "# Travel policy",
        "Business class is allowed only for flights with a scheduled duration\nof more than six hours.",
        "Economy class applies to every other flight booked by\nTravel Office staff.",
        "- Trains: second class,\n  first class above four hours.",
    ]


def test_a_table_row_or_a_wrapped_cell_is_quoted_whole() -> None:
    text = "| Risk | Cause |\n|---|---|\n| Stock errors. Late orders | Poor quality of item. Master data |\n"
    assert sentences(text)[2] == "| Stock errors. Late orders | Poor quality of item. Master data |"
    assert sentences("Cause: Poor quality of item\nmaster data") == ["Cause: Poor quality of item\nmaster data"]
    assert sentences("Supplier A | Poor quality. Of item | 12") == ["Supplier A | Poor quality. Of item | 12"]


def test_newline_splits_even_after_an_abbreviation() -> None:
    assert sentences("See Fig.\nNext line") == ["See Fig.", "Next line"]


def test_blank_lines_give_no_sentences() -> None:
    assert sentences("First.\n\n   \n\t\nSecond.") == ["First.", "Second."]


def test_blank_text_gives_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t \n") == []


def test_spans_are_stripped_and_round_trip() -> None:
    text = "  One here.   Two there!  \n\n   Three?\t\n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["One here.", "Two there!", "Three?"]
    for start, end in spans:
        assert end > start
        assert text[start:end] == text[start:end].strip()


def test_spans_are_in_order_and_do_not_overlap() -> None:
    text = "A first one. A second one! A third?\nA fourth. A fifth."
    spans = split_sentences(text)
    assert all(prev[1] <= nxt[0] for prev, nxt in pairwise(spans))


def test_start_and_end_limit_the_range_and_offsets_stay_absolute() -> None:
    text = "Skip this. Keep this one. And this. Skip too."
    start = text.index("Keep")
    end = text.index(" Skip too")
    spans = split_sentences(text, start, end)
    assert [text[s:e] for s, e in spans] == ["Keep this one.", "And this."]
    assert spans[0][0] == start


def test_only_whitespace_lies_between_sentences() -> None:
    text = "Alpha beta. Gamma (delta) epsilon!\n\nZeta eta? Theta.\n- iota\n"
    spans = split_sentences(text)
    gaps = [text[a:b] for (_, a), (b, _) in pairwise([(0, 0), *spans, (len(text), 0)])]
    assert all(gap.strip() == "" for gap in gaps)
