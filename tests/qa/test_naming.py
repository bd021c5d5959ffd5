"""Which documents a question names: pure rules first, then through the retriever on a real index."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from qa import QA
from qa.naming import SourceNames, mentions, name_tokens, named_sources, source_names

FILINGS = ["3M_2022_10K.pdf", "AMERICANEXPRESS_2022_10K.pdf", "FOOTLOCKER_2022_8K.pdf", "COSTCO_2021_10K.pdf"]


def never_common(words: tuple[str, ...], sources: Sequence[str]) -> float:
    return 0.0


def names(*sources: str) -> SourceNames:
    return source_names(sources)


def test_name_tokens_are_the_words_of_the_path_without_the_file_type() -> None:
    assert name_tokens("filings/3M_2022_10K.pdf") == {"filings", "3m", "2022", "10k"}
    assert name_tokens("Amazon_rainforest_p00.txt") == {"amazon", "rainforest", "p00"}


def test_a_run_of_question_words_spells_a_name_written_as_one_word() -> None:
    spelled = mentions("What drove American Express' margin in FY2022?")
    assert spelled["americanexpress"].words == ("american", "express")
    assert {"fy2022", "fy", "2022"} <= spelled.keys()
    assert spelled["americanexpress"].as_name


def test_the_question_names_the_filing_of_the_company_it_asks_about() -> None:
    question = "Does Foot Locker's new CEO have previous CEO experience?"
    assert named_sources(question, names(*FILINGS), never_common).sources == ("FOOTLOCKER_2022_8K.pdf",)
    question = "What is American Express' effective tax rate in FY2022?"
    assert named_sources(question, names(*FILINGS), never_common).sources == ("AMERICANEXPRESS_2022_10K.pdf",)


def test_a_year_alone_names_nothing_but_narrows_among_named_filings() -> None:
    two_years = names("3M_2021_10K.pdf", "3M_2022_10K.pdf", "COSTCO_2022_10K.pdf")
    assert named_sources("What was the revenue in 2022?", two_years, never_common).sources == ()
    assert named_sources("What was 3M's revenue in FY2022?", two_years, never_common).sources == ("3M_2022_10K.pdf",)
    assert named_sources("Compare 3M in 2021 and 2022", two_years, never_common).sources == (
        "3M_2021_10K.pdf",
        "3M_2022_10K.pdf",
    )


def test_a_word_not_written_as_a_name_names_nothing() -> None:
    articles = names("Black_Death.txt", "Amazon_rainforest.txt")
    assert named_sources("How much vegetation saw its death in the drought?", articles, never_common).sources == ()
    named = named_sources("When did the Black Death reach Europe?", articles, never_common)
    assert named.sources == ("Black_Death.txt",)


def test_a_word_the_other_documents_use_freely_names_nothing() -> None:
    articles = names("French_and_Indian_War.txt", "Huguenot.txt", "Normans.txt")

    def share(words: tuple[str, ...], sources: Sequence[str]) -> float:
        return 0.5 if words == ("french",) else 0.0

    assert named_sources("Who were the French Protestants?", articles, share).sources == ()
    named = named_sources("Where did the French and Indian War start?", articles, share)
    assert named.sources == ("French_and_Indian_War.txt",)


def test_a_word_every_source_bears_narrows_nothing() -> None:
    ten_ks = names("A_10K.pdf", "B_10K.pdf")
    assert named_sources("What does the 10-K say about risk?", ten_ks, never_common).sources == ()


def test_the_words_that_name_the_document_are_left_out_of_the_keyword_query() -> None:
    question = "Does Foot Locker's new CEO know Footlocker's stores?"
    named = named_sources(question, names(*FILINGS), never_common)
    assert named.without_names(question) == "Does 's new CEO know 's stores?"
    assert named.without_names("Foot Locker") == "Foot Locker"  # nothing would be left: the question stays


@pytest.fixture(scope="module")
def filings_qa(tmp_path_factory: pytest.TempPathFactory) -> QA:
    """Three companies' notes; only the file names say whose they are, and Birchwood's words its total otherwise."""
    root = tmp_path_factory.mktemp("filings")
    docs = root / "docs"
    docs.mkdir()
    notes = {
        "Acme_Tools": "Total assets at the end of 2022 were 1,200 million dollars.",
        "Birchwood_Foods": "Assets in total at the end of the year were 3,400 million dollars.",
        "Cobalt_Mining": "Total assets at the end of 2022 were 5,600 million dollars.",
    }
    for company, note in notes.items():
        (docs / f"{company}_annual_report.txt").write_text(note)
    (docs / "staff_handbook.txt").write_text("Holidays: every employee has 25 days of paid leave a year.")
    engine = QA(data_dir=root / "index")
    engine.ingest(docs)
    return engine


QUESTION = "What were Birchwood Foods' total assets in 2022?"


def test_a_question_naming_a_document_ranks_its_passages_first_without_hiding_the_others(filings_qa: QA) -> None:
    unnamed = QA(data_dir=filings_qa.settings.data_dir, retrieval={"prefer_named": False})
    assert unnamed.retrieve(QUESTION, k=4)[0].chunk.source != "Birchwood_Foods_annual_report.txt", "premise"
    passages = filings_qa.retrieve(QUESTION, k=4)
    assert passages[0].chunk.source == "Birchwood_Foods_annual_report.txt"
    assert "3,400" in passages[0].chunk.text
    assert len({p.chunk.source for p in passages}) > 1


def test_a_question_naming_nothing_is_searched_as_before(filings_qa: QA) -> None:
    unnamed = QA(data_dir=filings_qa.settings.data_dir, retrieval={"prefer_named": False})
    question = "How many days of paid leave do employees get?"
    assert filings_qa.retrieve(question, k=4) == unnamed.retrieve(question, k=4)
    assert filings_qa.retrieve(question, k=1)[0].chunk.source == "staff_handbook.txt"


def test_sources_chosen_by_the_caller_are_not_second_guessed(filings_qa: QA) -> None:
    passages = filings_qa.retrieve(QUESTION, k=3, sources=["Acme_Tools_annual_report.txt"])
    assert {p.chunk.source for p in passages} == {"Acme_Tools_annual_report.txt"}
