"""The index a question set is asked against: built or found, checked, repaired, verified complete.

No figure comes from a partial index: before any question is asked, every document of the set
must be in the index it is asked against, or `UnindexedDocumentsError` names each missing file
and why (the ingest's own reason: a parse failure, a time or memory limit, a skipped file).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evaluation.questions import Question, QuestionSet, default_cache
from index.formats import SUPPORTED_SUFFIXES
from index.store import INDEX_FORMAT
from qa.errors import UnindexedDocumentsError
from qa.service import QA

if TYPE_CHECKING:
    from index.sync import SyncReport

MAX_LISTED = 20  # missing documents named one by one in the error; the rest are counted by reason
INDEXED = ("added", "updated", "unchanged")
LOST = "listed as indexed, but none of its chunks is in the index (delete the cached index to rebuild it)"
SHORT_OF_RESOURCES = ("QA_INGEST__PARSE_TIMEOUT", "QA_INGEST__PARSE_MEMORY_MB", "the parser crashed")

IngestProgress = Callable[[int, int, str], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unindexed:
    """A document of the set that is not in the index, and why."""

    source: str
    reason: str


def index_for(qa: QA, qset: QuestionSet, progress: IngestProgress | None = None) -> QA:
    """The engine to ask, verified to hold every document of the set.

    Without a documents folder, the current index: it must hold every document the questions
    name, with no write in progress or cut short. With one, a cached index of the set's own
    documents: first checked and repaired (an ingest cut short, chunks lost behind its back),
    then synced, and then every document of the folder must be in it.

    Raises:
        UnindexedDocumentsError: naming each document that is not indexed, with the reason.
    """
    if qset.docs is None:
        _require_indexed(qa, qset, _current_index_problems(qa, qset))
        return qa
    # a set's own index is this machine's cache (SQLite, vectors embedded or on the Chroma server), never the
    # shared mode's database: a question set's documents must not join the index people ask
    cached = {"data_dir": eval_dir(qa, qset.name, qset.docs), "database_url": None}
    engine = QA(settings=qa.settings.model_copy(update=cached))
    repaired = engine.check(repair=True)  # a cached index is verified before use, and repaired
    if not repaired.ok:
        log.warning(
            "the cached index %s was inconsistent: repaired %d sources", engine.settings.data_dir, len(repaired.sources)
        )
    report = _sync(engine, qset.docs, progress)
    indexed = engine.sources()
    problems = unindexed_files(report, indexed)
    problems += _named_but_missing(qset.questions, indexed, {p.source for p in problems}, f"not in {qset.docs}")
    _require_indexed(engine, qset, problems, _document_count(report))
    return engine


def _sync(engine: QA, docs: Path, progress: IngestProgress | None) -> SyncReport:
    """Sync the set's folder; files that ran out of time or memory (a busy machine) get a second try."""
    report = engine.ingest(docs, progress=progress)[0]
    short = [p for p in unindexed_files(report, engine.sources()) if is_short_of_resources(p.reason)]
    if short:
        log.warning("%d files of %s ran out of time or memory while parsing: trying them again", len(short), docs)
        report = engine.ingest(docs, progress=progress)[0]  # incremental: only the files not yet indexed are read
    return report


def is_short_of_resources(reason: str) -> bool:
    """Whether a file failed for lack of time or memory (it may pass on a quieter machine), not for its content."""
    return reason.startswith("failed:") and any(hint in reason for hint in SHORT_OF_RESOURCES)


def eval_dir(qa: QA, name: str, docs: Path) -> Path:
    """Where a set's own index is cached: keyed by its documents' names and bytes, the chunking and the model."""
    files = sorted(p for p in docs.rglob("*") if p.is_file() and not p.name.startswith("."))
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(docs)).encode() + b"\0" + path.read_bytes())
    chunking = qa.settings.chunking
    digest.update(f"{INDEX_FORMAT}/{chunking.max_tokens}/{chunking.overlap_tokens}/{qa.embedder.identity}".encode())
    return default_cache(qa.settings.data_dir) / f"{name}-{digest.hexdigest()[:16]}"


def is_document(source: str) -> bool:
    """Whether a file of the set's folder is a document (files of other types, like questions.jsonl, are not)."""
    return Path(source).suffix.lower() in SUPPORTED_SUFFIXES


def unindexed_files(report: SyncReport, indexed: dict[str, int]) -> list[Unindexed]:
    """Documents of a synced folder without chunks in the index, each with the reason the sync gave."""
    problems = []
    for outcome in report.files:
        if not is_document(outcome.source) or outcome.status == "deleted":
            continue
        if outcome.status not in INDEXED:
            problems.append(Unindexed(outcome.source, f"{outcome.status}: {outcome.reason}"))
        elif not indexed.get(outcome.source):
            why = "no text found in the file" if outcome.status != "unchanged" else LOST
            problems.append(Unindexed(outcome.source, why))
    return problems


def _document_count(report: SyncReport) -> int:
    return sum(1 for f in report.files if is_document(f.source) and f.status != "deleted")


def _named_but_missing(
    questions: Iterable[Question], indexed: dict[str, int], explained: set[str], where: str
) -> list[Unindexed]:
    """Documents the questions name (gold sources, evidence) that have no chunks in the index."""
    naming: dict[str, list[str]] = {}
    for q in questions:
        for doc in sorted(q.documents):
            if not indexed.get(doc) and doc not in explained:
                naming.setdefault(doc, []).append(q.id)
    return [Unindexed(doc, f"named by {_ids(ids)}, {where}") for doc, ids in sorted(naming.items())]


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:3])
    return f"question {shown}" if len(ids) == 1 else f"questions {shown}" + (" ..." if len(ids) > 3 else "")


def _current_index_problems(qa: QA, qset: QuestionSet) -> list[Unindexed]:
    """Documents the questions name that the current index lacks; an ingest running or cut short is an error.

    Raises:
        UnindexedDocumentsError: an ingest is writing the index, or the last one was cut short.
    """
    indexed = qa.sources()
    if indexed and qa.writer.was_interrupted():
        raise UnindexedDocumentsError(
            f"an ingest is writing {qa.settings.data_dir}, or the last one was cut short, so it may hold only part "
            "of its documents and no metric was computed: let it finish, or run `qa ingest` again "
            "(or `qa check --repair`), then run the evaluation again"
        )
    where = "not in the index (ingest its folder; `qa ingest` says why a file failed)"
    return _named_but_missing(qset.questions, indexed, set(), where)


def _require_indexed(engine: QA, qset: QuestionSet, problems: list[Unindexed], total: int | None = None) -> None:
    """Raise, naming each problem, unless there is none."""
    if problems:
        raise UnindexedDocumentsError(unindexed_message(qset.name, engine.settings.data_dir, problems, total))


def unindexed_message(name: str, data_dir: Path, problems: list[Unindexed], total: int | None = None) -> str:
    """The error for people: the first MAX_LISTED documents with their reasons, the rest counted by reason."""
    n = len(problems)
    documents = f"{n} of {total} documents" if total else f"{n} document" + ("s" if n > 1 else "")
    lines = [f"{documents} of {name} {'is' if n == 1 else 'are'} not indexed in {data_dir}, so no metric was computed:"]
    lines += [f"  {p.source}: {p.reason}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        reasons = Counter(p.reason for p in problems[MAX_LISTED:]).most_common()
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more: " + "; ".join(f"{n} x {r}" for r, n in reasons))
    return "\n".join(lines + _advice(problems))


def _advice(problems: list[Unindexed]) -> list[str]:
    """What to do about the files that failed or were skipped, if any."""
    reasons = [p.reason for p in problems if p.reason.startswith(("failed:", "skipped:"))]
    advice = ["Fix or remove the files that failed or were skipped, then run the evaluation again."] if reasons else []
    if any(is_short_of_resources(r) for r in reasons):
        advice.append(
            "Files that ran out of time or memory twice (on a busy machine, say) may pass when it is quieter, or "
            "with a higher QA_INGEST__PARSE_TIMEOUT or QA_INGEST__PARSE_MEMORY_MB."
        )
    return advice
