"""Hostile and broken files: each ends indexed or rejected with its reason, and nothing else is lost.

The corpus is built here: corrupt, truncated, encrypted and page-bomb PDFs, a DOCX zip bomb and a
DOCX that is a PDF, binary and empty files, a 50 MB line, UTF-16 and Latin-1 text, invalid UTF-8,
HTML with hidden text, symlinks out and in a loop, a FIFO. It goes through a real `QA` (real
MiniLM, real Chroma), with parsing in the isolated worker process and its real limits.
"""

from __future__ import annotations

import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter
from samples import write_pdf

from index.formats import LoadError
from index.parsing import IsolatedParser
from index.sync import SyncReport
from qa import QA

WALRUS = "The walrus colony at Cape Nord counts 412 animals. Rangers count them every July."
FERRY = "The ferry to Little Skerry leaves at 7:40 from pier nine. It carries bicycles for free."
NOTES = "The quarry pond was drained in 1987 to build the cycling track."
LIGHTHOUSE = "# Lighthouse\n\nThe Hobbs Point lighthouse keeper logs passing ships every hour."
ORCHARD = "The Gravenstein orchard harvests 30 tonnes of apples each October."
UTF16 = "The Vardo tide gauge records a high water of 3.2 metres in spring.\n"
LATIN1 = "Señor Muñoz bakes 80 loaves of rye bread at the Aldeadávila bakery.\n"
INVALID_UTF8 = "Die Brücke über den Fluss bei Kleinbrück ist 120 Meter lang. ".encode() + b"\xff\xfe\xc3 broken bytes."
HTML = """<html><head><title>Museum hours</title><style>.q { content: "stylesecretword"; }</style>
<script>var token = "scriptsecretword";</script></head><body>
<h1>Museum hours</h1><p>The Tollund museum opens at 10:30 on Sundays.</p>
<div hidden>hiddensecretword attribute</div><p style="display:none">cssecretword hidden paragraph</p>
<span aria-hidden="true">ariasecretword</span><template>templatesecretword</template>
</body></html>"""
SECRET_WORDS = ("stylesecretword", "scriptsecretword", "hiddensecretword", "cssecretword", "ariasecretword")


def page_tree_pdf(nodes: int, leaves: int, lines: int) -> bytes:
    """A PDF of nodes x leaves pages that all share one page object: a tiny file with a huge page count."""
    content = b"BT /F1 10 Tf 20 780 Td " + b"(Slow page text to extract again and again.) Tj 0 -12 Td " * lines + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b"3 0 R " * nodes + b"] /Count %d >>" % (nodes * leaves),
        b"<< /Type /Pages /Parent 2 0 R /Kids [" + b"4 0 R " * leaves + b"] /Count %d >>" % leaves,
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 5 0 R"
        b" /Resources << /Font << /F1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_docx(path: Path, text: str) -> Path:
    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def build_hostile_files(docs: Path, outside: Path) -> None:
    """Everything in the issue's list, next to the good files already in `docs`."""
    good_pdf = write_pdf(docs.parent / "good.pdf", FERRY).read_bytes()
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> garbage \x00\x9f")
    (docs / "ferry.pdf").write_bytes(good_pdf[: len(good_pdf) // 2])  # indexed before, now truncated
    writer = PdfWriter(clone_from=docs.parent / "good.pdf")
    writer.encrypt(user_password="secret", owner_password="owner")
    writer.write(docs / "encrypted.pdf")
    (docs / "pages.pdf").write_bytes(page_tree_pdf(nodes=1000, leaves=1000, lines=1))  # a million pages
    bomb = write_docx(docs / "bomb.docx", "Zip bomb cover text.")
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/filler.bin", b"\0" * (50 << 20))
    (docs / "really_pdf.docx").write_bytes(good_pdf)
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "notes.txt").write_bytes(b"")  # indexed before, now emptied
    (docs / "huge.txt").write_bytes(b"word " * 10_000_000)  # 50 MB, one line
    (docs / "utf16.txt").write_bytes(UTF16.encode("utf-16-le"))  # no BOM
    (docs / "latin1.txt").write_bytes(LATIN1.encode("latin-1"))
    (docs / "invalid_utf8.txt").write_bytes(INVALID_UTF8)
    (docs / "museum.html").write_text(HTML, encoding="utf-8")
    (docs / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    write_docx(docs / "orchard.docx", ORCHARD)
    (docs / "outside.txt").symlink_to(outside)
    (docs / "loop.txt").symlink_to(docs / "loop.txt")
    os.mkfifo(docs / "fifo.txt")


@dataclass
class Ingested:
    qa: QA
    report: SyncReport

    def outcomes(self, source: str) -> list[tuple[str, str]]:
        return [(f.status, f.reason) for f in self.report.files if f.source == source]

    def texts(self, source: str) -> list[str]:
        local = self.qa.store.local
        return [chunk.text for chunk in local.chunks(local.chunk_ids(source)).values()]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """walrus, ferry and notes are indexed first; then the hostile corpus joins them and is ingested."""
    base = tmp_path_factory.mktemp("hostile")
    docs, outside = base / "docs", base / "outside.txt"
    docs.mkdir()
    outside.write_text("The smuggler's cave holds 99 barrels of outside rum.", encoding="utf-8")
    (docs / "walrus.txt").write_text(WALRUS, encoding="utf-8")
    write_pdf(docs / "ferry.pdf", FERRY)
    (docs / "notes.txt").write_text(NOTES, encoding="utf-8")
    qa = QA(data_dir=base / "index")
    first = qa.ingest(docs)[0]
    assert first.count("added") == 3, first.files
    build_hostile_files(docs, outside)
    return Ingested(qa, qa.ingest(docs)[0])


@pytest.mark.parametrize(
    ("source", "status", "reason"),
    [
        ("corrupt.pdf", "failed", "not a valid PDF (damaged or truncated"),
        ("ferry.pdf", "failed", "not a valid PDF (damaged or truncated"),
        ("encrypted.pdf", "failed", "password-protected PDF: it opens only with its password"),
        ("pages.pdf", "failed", "PDF has 1000000 pages; at most 5000 are read"),
        ("bomb.docx", "failed", "zip bomb? word/media/filler.bin unpacks 50 MB"),
        ("really_pdf.docx", "failed", "not a valid Word .docx file (not a zip archive)"),
        ("binary.txt", "skipped", "binary data in a text file"),
        ("empty.txt", "skipped", "empty file"),
        ("huge.txt", "failed", "file is 47.7 MB, over the 25 MB limit (QA_INGEST__MAX_FILE_MB)"),
        ("outside.txt", "skipped", "symlink points outside the folder"),
        ("loop.txt", "skipped", "symlink loop"),
        ("fifo.txt", "skipped", "not a regular file (a named pipe)"),
    ],
)
def test_each_hostile_file_is_rejected_with_its_reason(
    ingested: Ingested, source: str, status: str, reason: str
) -> None:
    [(got_status, got_reason)] = ingested.outcomes(source)
    assert got_status == status
    assert reason in got_reason
    assert source not in ingested.qa.sources() or source == "ferry.pdf"


@pytest.mark.parametrize(
    "source", ["utf16.txt", "latin1.txt", "invalid_utf8.txt", "museum.html", "lighthouse.md", "orchard.docx"]
)
def test_each_readable_file_is_added(ingested: Ingested, source: str) -> None:
    assert ingested.outcomes(source) == [("added", "")]
    assert ingested.qa.sources()[source] >= 1


@pytest.mark.parametrize(
    ("question", "source", "expected"),
    [
        ("How many animals are in the walrus colony at Cape Nord?", "walrus.txt", "412"),
        ("When does the ferry to Little Skerry leave?", "ferry.pdf", "7:40"),
        ("How high is the spring high water at the Vardo tide gauge?", "utf16.txt", "3.2 metres"),
        ("How many loaves does Señor Muñoz bake?", "latin1.txt", "80 loaves"),
        ("How long is the bridge at Kleinbrück?", "invalid_utf8.txt", "120 Meter"),
        ("When does the Tollund museum open on Sundays?", "museum.html", "10:30"),
        ("How often does the Hobbs Point lighthouse keeper log ships?", "lighthouse.md", "every hour"),
        ("How many tonnes of apples does the Gravenstein orchard harvest?", "orchard.docx", "30 tonnes"),
    ],
)
def test_good_and_previously_indexed_files_are_answered_and_cited(
    ingested: Ingested, question: str, source: str, expected: str
) -> None:
    top = ingested.qa.retrieve(question)[0]
    assert top.chunk.source == source and expected in top.chunk.text
    if source == "invalid_utf8.txt":
        return  # German text: found and cited, but the answerability model reads English only (it is unsure)
    answer = ingested.qa.ask(question, mode="extractive")
    assert not answer.abstained
    assert expected in answer.text
    assert answer.citations[0].source == source


def test_decoded_text_keeps_its_accents(ingested: Ingested) -> None:
    assert ingested.texts("latin1.txt") == [LATIN1.strip()]
    assert "Die Brücke über den Fluss bei Kleinbrück" in ingested.texts("invalid_utf8.txt")[0]


def test_hidden_html_text_scripts_and_styles_are_not_indexed(ingested: Ingested) -> None:
    text = " ".join(ingested.texts("museum.html"))
    assert "Tollund museum opens at 10:30" in text
    assert not [word for word in (*SECRET_WORDS, "templatesecretword") if word in text]
    assert ingested.qa.retrieve("scriptsecretword hiddensecretword", k=5, retrieval="keyword") == []


def test_an_emptied_file_loses_its_old_chunks(ingested: Ingested) -> None:
    assert ingested.outcomes("notes.txt") == [("skipped", "empty file"), ("deleted", "")]
    assert "notes.txt" not in ingested.qa.sources()
    assert ingested.qa.retrieve("quarry pond drained", k=1, retrieval="keyword") == []


def test_a_file_that_turned_hostile_keeps_what_it_had_indexed(ingested: Ingested) -> None:
    assert ingested.texts("ferry.pdf") == [FERRY]


def test_nothing_outside_the_folder_is_indexed(ingested: Ingested) -> None:
    assert ingested.qa.retrieve("smuggler cave barrels rum", k=5, retrieval="keyword") == []


def test_the_report_counts_failures_and_the_rest_is_indexed(ingested: Ingested) -> None:
    assert ingested.report.count("failed") == 7
    assert set(ingested.qa.sources()) == {
        "walrus.txt",
        "ferry.pdf",
        "utf16.txt",
        "latin1.txt",
        "invalid_utf8.txt",
        "museum.html",
        "lighthouse.md",
        "orchard.docx",
    }


# --- the time and memory limits fire, and the next file is parsed by a new worker -------------


def slow_pdf(pages: int = 20, lines: int = 3000) -> bytes:
    """A small PDF whose pages each show `lines` lines: 20 x 3000 take about 8 s to read."""
    return page_tree_pdf(nodes=1, leaves=pages, lines=lines)


def test_a_file_that_parses_too_long_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a_slow.pdf").write_bytes(slow_pdf())
    (docs / "b_walrus.txt").write_text(WALRUS, encoding="utf-8")
    qa = QA(data_dir=tmp_path / "index", ingest={"parse_timeout": 1})
    started = time.monotonic()
    report = qa.ingest(docs)[0]
    assert time.monotonic() - started < 15
    statuses = {f.source: (f.status, f.reason) for f in report.files}
    assert statuses["a_slow.pdf"] == (
        "failed",
        "parsing took longer than 1.03 s (1 s (QA_INGEST__PARSE_TIMEOUT) + 0.00167 s for each of its 20 pages)",
    )
    assert statuses["b_walrus.txt"] == ("added", "")
    assert qa.sources() == {"b_walrus.txt": 1}


def test_a_file_that_needs_too_much_memory_is_stopped_at_the_memory_limit(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a_tags.html").write_text("<html><body>" + "<b>x</b>" * 2_000_000 + "</body></html>")  # 16 MB
    (docs / "b_walrus.txt").write_text(WALRUS, encoding="utf-8")
    qa = QA(data_dir=tmp_path / "index", ingest={"parse_memory_mb": 256})
    report = qa.ingest(docs)[0]
    statuses = {f.source: (f.status, f.reason) for f in report.files}
    assert statuses["a_tags.html"] == ("failed", "parsing needed more than 256 MB (QA_INGEST__PARSE_MEMORY_MB)")
    assert statuses["b_walrus.txt"] == ("added", "")


def test_the_same_html_parses_under_the_default_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "tags.html"
    path.write_text("<html><body><p>Head line.</p>" + "<b>x</b>" * 20_000 + "</body></html>")
    with IsolatedParser(memory_mb=2048) as parse:
        assert parse(path, "tags.html").text.startswith("Head line.")


# --- the worker: one per ingest, restarted after a failure, closed when done -------------------


def test_one_worker_parses_every_file(tmp_path: Path) -> None:
    paths = [tmp_path / f"{i}.txt" for i in range(5)]
    for path in paths:
        path.write_text(f"File number {path.stem}.", encoding="utf-8")
    with IsolatedParser() as parse:
        texts = [parse(path, path.name).text for path in paths]
        assert parse.workers_started == 1
    assert texts == [f"File number {i}." for i in range(5)]


def test_a_file_over_the_size_limit_is_refused_without_starting_a_worker(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * (2 << 20))
    with IsolatedParser(max_file_mb=1) as parse:
        with pytest.raises(LoadError, match=r"big\.txt: file is 2\.0 MB, over the 1 MB limit"):
            parse(path, "big.txt")
        assert parse.workers_started == 0


def test_the_loaders_own_reason_comes_back_from_the_worker(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"not a pdf at all")
    with IsolatedParser() as parse, pytest.raises(LoadError, match=r"broken\.pdf: not a valid PDF"):
        parse(path, "broken.pdf")


def test_a_new_worker_serves_the_file_after_a_timeout(tmp_path: Path) -> None:
    slow, good = tmp_path / "slow.pdf", tmp_path / "good.txt"
    slow.write_bytes(slow_pdf())
    good.write_text("Still parsed.", encoding="utf-8")
    with IsolatedParser(timeout=0.5) as parse:
        with pytest.raises(LoadError, match=r"longer than 0\.517 s"):  # 0.5 s + 20 pages x 0.5/600 s
            parse(slow, "slow.pdf")
        assert parse(good, "good.txt").text == "Still parsed."
        assert parse.workers_started == 2


def test_a_pdf_gets_more_time_for_each_page(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(slow_pdf(pages=300, lines=100))  # about 3 s to read
    with IsolatedParser(timeout=0.5, timeout_per_page=0) as parse, pytest.raises(LoadError, match="longer than 0.5 s"):
        parse(path, "long.pdf")
    with IsolatedParser(timeout=0.5, timeout_per_page=0.1) as parse:
        assert len(parse(path, "long.pdf").pages) == 300


def test_the_time_limit_grows_with_the_page_count() -> None:
    parser = IsolatedParser(timeout=60)
    assert [parser.time_limit(), parser.time_limit(300), parser.time_limit(5000)] == pytest.approx([60, 90, 560])


def test_an_idle_worker_is_closed_and_a_later_file_starts_another(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Idle test.", encoding="utf-8")
    parse = IsolatedParser(idle_close=0.2)
    parse(path, "a.txt")
    worker = parse._worker
    assert worker is not None
    deadline = time.monotonic() + 10
    while worker.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.process.returncode is not None
    assert parse(path, "a.txt").text == "Idle test."
    assert parse.workers_started == 2
    parse.close()


def test_inside_a_with_block_an_idle_worker_is_kept_for_the_next_file(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Idle test.", encoding="utf-8")
    free, held = IsolatedParser(idle_close=0.2), IsolatedParser(idle_close=0.2)
    with held:
        held(path, "a.txt")
        free(path, "a.txt")  # used after `held`: once its worker is reaped, `held` has been idle longer
        free_worker, held_worker = free._worker, held._worker
        assert free_worker is not None and held_worker is not None
        deadline = time.monotonic() + 10
        while free_worker.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert free_worker.process.returncode is not None
        assert held_worker.process.poll() is None  # an ingest waiting on the embedder keeps its worker
        assert held(path, "a.txt").text == "Idle test." and held.workers_started == 1
    assert held_worker.process.poll() is not None  # closed at the end of the block
