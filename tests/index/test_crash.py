"""Crash safety: an ingest killed with SIGKILL at any step leaves an index that answers, and the
next ingest converges to exactly the state of an uninterrupted run; `check` finds and repairs.

The index before the crash (v1 of a folder) is built once by a separate process and copied for
each case; the killed ingest of v2 runs in its own process (tests/index/crash_harness.py), and
this process opens each copy only after the kill, so no Chroma client holds stale state.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from qa import QA

HARNESS = Path(__file__).with_name("crash_harness.py")
REPO = Path(__file__).resolve().parents[2]
TOPICS = "glacier harbour orchard violin comet lantern desert meadow engine river".split()


def _essay(seed: int, paragraphs: int) -> str:
    """Deterministic prose with distinct sentences, so every chunk is distinct."""
    rng = random.Random(seed)
    words = "bright quiet ancient narrow heavy swift gentle hollow distant silver".split()
    lines = []
    for p in range(paragraphs):
        sentences = [
            f"The {rng.choice(words)} {rng.choice(TOPICS)} number {seed}-{p}-{s} was measured at "
            f"{rng.randint(10, 9999)} units by the {rng.choice(words)} survey team."
            for s in range(6)
        ]
        lines.append(" ".join(sentences))
    return "\n\n".join(lines)


def _write_v1(folder: Path) -> None:
    folder.mkdir()
    (folder / "a.txt").write_text("The lighthouse keeper of Skerry Point is Morag Finlay.\n\n" + _essay(1, 8))
    (folder / "b.txt").write_text(_essay(2, 12))
    (folder / "c.txt").write_text(_essay(3, 12))


def _write_v2(folder: Path) -> None:
    """Change b (new and stale chunks), delete c, add d (several write batches in the harness)."""
    (folder / "b.txt").write_text(_essay(2, 6) + "\n\n" + _essay(22, 6))
    (folder / "c.txt").unlink()
    (folder / "d.txt").write_text(_essay(4, 40))


def _state(qa: QA) -> dict[str, object]:
    """Everything an ingest writes: Chroma ids, local chunks, keyword rows, records, manifest."""
    store, records = qa.store, qa.writer.records
    return {
        "chroma": sorted(store.collection.get(include=[])["ids"]),
        "local": sorted(i for i, _ in store.local.chunk_sources()),
        "keyword_rows_off": store.local.keyword_rows_off(),
        "records": sorted(records.list_keys()),
        "manifest": sorted((d.source, d.sha256) for d in store.local.all_documents()),
    }


def killed_ingest(v1: Path, folder: Path, data_dir: Path, step: str, nth: int) -> QA:
    """A copy of the v1 index after an ingest of `folder` killed at the `nth` `step`; opened only now."""
    shutil.copytree(v1, data_dir)
    killed = subprocess.run(
        [sys.executable, str(HARNESS), str(data_dir), str(folder), step, str(nth)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, f"the ingest was not killed at {step} #{nth}: {killed.stderr}"
    return QA(data_dir=data_dir)


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, object]]:
    """(folder at v2, index of v1, state of an uninterrupted v1 -> v2 ingest)."""
    root = tmp_path_factory.mktemp("crash")
    folder, v1 = root / "docs", root / "v1"
    _write_v1(folder)
    subprocess.run(
        [sys.executable, "-m", "cli.main", "--data-dir", str(v1), "ingest", "-q", str(folder)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    _write_v2(folder)
    shutil.copytree(v1, root / "reference")
    reference = QA(data_dir=root / "reference")
    reference.ingest(folder)
    return folder, v1, _state(reference)


CASES = [
    ("after-chroma-add", 1),
    ("after-chroma-add", 2),
    ("after-local-add", 2),
    ("after-chroma-delete", 1),
    ("after-store-delete", 1),
    ("before-manifest", 2),
]


@pytest.mark.parametrize(("step", "nth"), CASES)
def test_a_killed_ingest_answers_and_the_next_ingest_converges(
    crash_setup: tuple[Path, Path, dict[str, object]], tmp_path: Path, step: str, nth: int
) -> None:
    folder, v1, reference = crash_setup
    qa = killed_ingest(v1, folder, tmp_path / "index", step, nth)
    answer = qa.ask("Who is the lighthouse keeper of Skerry Point?")  # the interrupted index answers
    assert "Morag Finlay" in answer.text
    assert not qa.check().ok, "the kill left the stores out of step, and check should say so"
    qa.ingest(folder)
    assert _state(qa) == reference
    assert qa.check().ok


@pytest.mark.parametrize(("step", "nth"), CASES)
def test_in_the_shared_mode_a_killed_ingest_answers_and_another_app_servers_ingest_converges(
    crash_setup: tuple[Path, Path, dict[str, object]],
    tmp_path: Path,
    chroma_server: str,
    database_url: str,
    step: str,
    nth: int,
) -> None:
    """PostgreSQL and a Chroma server (issue 23): app server A is killed mid-ingest; B, with a data directory of
    its own, answers meanwhile and its ingest converges to the uninterrupted result."""
    _, _, reference = crash_setup
    shared = {"QA_CHROMA_URL": chroma_server, "QA_DATABASE_URL": database_url}
    folder = tmp_path / "docs"
    _write_v1(folder)
    QA(data_dir=tmp_path / "server-a", chroma_url=chroma_server, database_url=database_url).ingest(folder)
    _write_v2(folder)
    killed = subprocess.run(
        [sys.executable, str(HARNESS), str(tmp_path / "server-a"), str(folder), step, str(nth)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **shared},
    )
    assert killed.returncode == -signal.SIGKILL, f"the ingest was not killed at {step} #{nth}: {killed.stderr}"
    other = QA(data_dir=tmp_path / "server-b", chroma_url=chroma_server, database_url=database_url)
    assert "Morag Finlay" in other.ask("Who is the lighthouse keeper of Skerry Point?").text
    assert not other.check().ok, "the kill left the stores out of step, and check should say so"
    other.ingest(folder)
    assert _state(other) == reference
    assert other.check().ok


def test_chunks_of_a_file_deleted_after_the_crash_do_not_stay_behind(
    crash_setup: tuple[Path, Path, dict[str, object]], tmp_path: Path
) -> None:
    folder, v1, _ = crash_setup
    qa = killed_ingest(v1, folder, tmp_path / "index", "after-local-add", 2)
    assert qa.store.local.chunk_ids("d.txt"), "the killed ingest should have left some of d.txt behind"

    shutil.move(folder / "d.txt", tmp_path / "d.txt")  # the file goes before the next ingest
    try:
        qa.ingest(folder)
    finally:
        shutil.move(tmp_path / "d.txt", folder / "d.txt")
    assert qa.check().ok
    assert not qa.store.collection.get(where={"source": "d.txt"}, include=[])["ids"]
    assert "d.txt" not in qa.sources()
    assert set(qa.sources()) == {"a.txt", "b.txt"}


def test_check_repair_purges_orphans_and_the_next_ingest_restores_them(
    crash_setup: tuple[Path, Path, dict[str, object]], tmp_path: Path
) -> None:
    folder, v1, reference = crash_setup
    qa = killed_ingest(v1, folder, tmp_path / "index", "after-local-add", 3)
    found = qa.check()
    assert found.not_recorded and "d.txt" in found.sources
    assert not found.not_in_chroma and not found.not_in_local
    repaired = qa.check(repair=True)
    assert repaired.sources == found.sources
    after = qa.check()
    assert after.ok, after.lines()
    assert "d.txt" not in qa.sources()  # purged whole, not left half-indexed
    qa.ingest(folder)
    assert _state(qa) == reference


@pytest.mark.chroma_backends
def test_check_finds_a_chunk_deleted_behind_the_index_back(
    tmp_path: Path, chroma_url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = QA(data_dir=tmp_path / "index")
    folder = tmp_path / "docs"
    _write_v1(folder)
    qa.ingest(folder)
    assert qa.check().ok
    victim = qa.store.local.chunk_ids("b.txt")[0]
    qa.store.collection.delete(ids=[victim])
    report = qa.check()
    assert report.not_in_chroma == {victim} and report.sources == {"b.txt"}
    assert main(["--data-dir", str(tmp_path / "index"), "check"]) == 1
    assert "1 chunks missing from Chroma" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path / "index"), "check", "--repair"]) == 0
    assert "b.txt" not in qa.sources() and qa.check().ok
    assert qa.ingest(folder)[0].count("updated") == 1  # marked stale, so read again
    assert qa.check().ok and victim in qa.store.local.chunk_ids("b.txt")
