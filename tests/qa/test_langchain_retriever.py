"""`QA.as_retriever()`: LangChain's own standard retriever tests, and what each Document carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from access.permissions import ADMIN, User
from qa import QA
from qa.langchain_retriever import QARetriever

QUESTION = "When did Haftar announce his offensive on Tripoli?"


class TestQARetriever(RetrieversIntegrationTests):
    """langchain-tests' RetrieversIntegrationTests against the product's hybrid retrieval over the seeds."""

    @pytest.fixture(autouse=True)
    def _engine(self, seeded_qa: QA) -> None:
        self.engine = seeded_qa

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return QARetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"qa": self.engine, "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return QUESTION


def test_each_document_carries_source_title_page_offsets_score_and_rank(seeded_qa: QA) -> None:
    docs = seeded_qa.as_retriever(k=3).invoke(QUESTION)
    passages = seeded_qa.retrieve(QUESTION, k=3)
    assert [d.page_content for d in docs] == [p.chunk.text for p in passages]
    first, passage = docs[0], passages[0]
    assert first.id == passage.chunk.id
    assert first.metadata == {
        "source": passage.chunk.source,
        "title": passage.chunk.title,
        "page": None,
        "start": passage.chunk.start,
        "end": passage.chunk.end,
        "score": round(passage.score, 4),
        "rank": 1,
    }
    text = (seeded_qa.settings.seeds_dir / first.metadata["source"]).read_text(encoding="utf-8")
    assert text[first.metadata["start"] : first.metadata["end"]] == first.page_content


def test_the_retriever_is_the_hybrid_search_and_takes_its_options(seeded_qa: QA) -> None:
    retriever = seeded_qa.as_retriever(k=4)
    assert [d.page_content for d in retriever.invoke(QUESTION, k=2)] == [
        p.chunk.text for p in seeded_qa.retrieve(QUESTION, k=2, retrieval="hybrid")
    ]
    dense = seeded_qa.as_retriever(k=4, retrieval="dense").invoke(QUESTION)
    assert [d.page_content for d in dense] == [p.chunk.text for p in seeded_qa.retrieve(QUESTION, 4, retrieval="dense")]


async def test_the_retriever_works_in_async_chains(seeded_qa: QA) -> None:
    docs = await seeded_qa.as_retriever(k=2).ainvoke(QUESTION)
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)


def test_a_retriever_made_for_a_user_finds_only_what_they_may_read(qa: QA, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "memo.txt").write_text("The Zephyr merger costs 412 million euros.", encoding="utf-8")
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "canteen.txt").write_text("The canteen opens at 11:30.", encoding="utf-8")
    qa.ingest(tmp_path / "public")
    qa.library.create("alice-private", ADMIN, owner="alice")
    qa.ingest(tmp_path / "mine", collection="alice-private", user=User("alice"))
    question = "What does the Zephyr merger cost?"
    alice = {d.metadata["source"] for d in qa.as_retriever(k=5, user=User("alice")).invoke(question)}
    bob = {d.metadata["source"] for d in qa.as_retriever(k=5, user=User("bob")).invoke(question)}
    assert "alice-private/memo.txt" in alice and bob == {"canteen.txt"}
