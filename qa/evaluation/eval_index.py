"""Run a question set against the engine: a verified index, per-question records, metrics, baseline comparison.

No figure comes from a partial index: before any question is asked, every document of the set
must be in the index it is asked against, or `UnindexedDocumentsError` names each missing file
and why (the ingest's own reason: a parse failure, a time or memory limit, a skipped file).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.loaders import SUPPORTED_SUFFIXES
from index.store import INDEX_FORMAT
from qa.citecheck import split_claims
from qa.errors import UnindexedDocumentsError
from qa.metrics import (
    METRIC_GROUPS,
    aggregate,
    contains_answer,
    exact_match,
    first_relevant_rank,
    judge_answer,
    lower_is_better,
    metric_group,
    token_f1,
)
from qa.questions import Question, QuestionSet
from qa.retrieval import Mode
from qa.service import QA, WRITING, AnswerMode
from qa.types import Answer, Passage

if TYPE_CHECKING:
    from index.sync import SyncReport

DEPTH = 20  # passages retrieved for the ranking metrics (distinct sources are ranked from them)
UNGATED = frozenset({"answer_words"})  # reported, but no regression check (not a 0-1 rate)
MAX_LISTED = 20  # missing documents named one by one in the error; the rest are counted by reason
INDEXED = ("added", "updated", "unchanged")
LOST = "listed as indexed, but none of its chunks is in the index (delete the cached index to rebuild it)"
SHORT_OF_RESOURCES = ("QA_INGEST__PARSE_TIMEOUT", "QA_INGEST__PARSE_MEMORY_MB", "the parser crashed")

Progress = Callable[[int, int], None]
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
    engine = QA(settings=qa.settings.model_copy(update={"data_dir": eval_dir(qa, qset.name, qset.docs)}))
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
    return qa.settings.data_dir / "eval" / f"{name}-{digest.hexdigest()[:16]}"


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
    if indexed and qa.store.local.get_meta(WRITING) is not None:
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


def ranked_sources(sources: Sequence[str]) -> list[str]:
    """Distinct sources in order of their best passage."""
    return list(dict.fromkeys(sources))


def score_question(
    q: Question, answer: Answer, passages: Sequence[Passage], timings: tuple[float, float]
) -> dict[str, Any]:
    """The per-question record of a run; `passages` are the ranking passages (DEPTH of them), best first."""
    text = answer.plain_text
    retrieved = ranked_sources([p.chunk.source for p in passages])
    graded = bool(q.answers) and not q.unanswerable
    gold_rank = first_relevant_rank(retrieved, q.source_ids) if q.source_ids else None
    contains = contains_answer(text, q.answers) if graded and not answer.abstained else (False if graded else None)
    if q.unanswerable:
        passed = answer.abstained
    elif graded:
        passed = bool(contains)
    else:
        passed = gold_rank is not None and gold_rank <= len(answer.passages)
    return {
        "id": q.id,
        "question": q.question,
        "answers": list(q.answers),
        "source_ids": list(q.source_ids),
        "unanswerable": q.unanswerable,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [{"id": c.marker, "source": c.source, "page": c.page, "quote": c.quote} for c in answer.citations],
        "retrieved": retrieved[:10],
        "gold_rank": gold_rank,
        "contains": contains,
        "correct": judge_answer(q.unanswerable, answer.abstained, contains),
        "f1": round(token_f1(text, q.answers), 4) if graded and not answer.abstained else (0.0 if graded else None),
        "em": exact_match(text, q.answers) if graded and not answer.abstained else (False if graded else None),
        "words": 0 if answer.abstained else len(text.split()),
        "mode": answer.mode,
        "sentences": len(split_claims(answer.text)) if not answer.abstained else 0,
        "unsupported": list(answer.unsupported),
        "passed": passed,
        "retrieval_ms": round(timings[0], 2),
        "answer_ms": round(timings[1], 2),
        **_evidence_fields(q, answer, passages),
    }


def _evidence_fields(q: Question, answer: Answer, passages: Sequence[Passage]) -> dict[str, Any]:
    """Evidence pages (1-based), the rank of the first passage on one, and whether a citation points at one."""
    evidence = [(e.doc, e.page) for e in q.evidence]
    pages = [(p.chunk.source, p.chunk.page) for p in passages]
    cited = {(c.source, c.page) for c in answer.citations}
    return {
        "evidence": [{"doc": doc, "page": page} for doc, page in evidence],
        "evidence_rank": first_relevant_rank(pages, evidence) if evidence else None,
        "cites_evidence": bool(cited & set(evidence)) if evidence and not answer.abstained else None,
    }


def run_question(engine: QA, q: Question, k: int, mode: Mode, answer_mode: AnswerMode | None = None) -> dict[str, Any]:
    """Ask one question, timing retrieval alone and the whole answer (each embedding the question afresh)."""
    start = time.perf_counter()
    passages = engine.retrieve(q.question, k=max(DEPTH, k), mode=mode)
    retrieved = time.perf_counter()
    engine.embedder.clear_cache()
    asked = time.perf_counter()
    answer = engine.ask(q.question, k=k, retrieval=mode, mode=answer_mode)
    done = time.perf_counter()
    return score_question(q, answer, passages, ((retrieved - start) * 1000, (done - asked) * 1000))


def evaluate(
    qa: QA,
    qset: QuestionSet,
    k: int = 5,
    mode: Mode = "hybrid",
    progress: Progress | None = None,
    ingest_progress: IngestProgress | None = None,
    answer_mode: AnswerMode | None = None,
) -> dict[str, Any]:
    """Run every question of the set; returns the JSON-ready result (`qa eval --json`).

    Raises:
        UnindexedDocumentsError: a document of the set is not indexed (nothing is asked, see `index_for`).
    """
    engine = index_for(qa, qset, ingest_progress)
    engine.embedder.warm_up()  # untimed: load the model, trace the question graph
    engine.retrieve(qset.questions[0].question, mode=mode)  # untimed: open the index
    records = []
    for done, q in enumerate(qset.questions, start=1):
        records.append(run_question(engine, q, k, mode, answer_mode))
        if progress:
            progress(done, len(qset.questions))
    return {
        "set": qset.name,
        "path": str(qset.path),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {"k": k, "retrieval": mode, "answer_mode": answer_mode or engine.default_mode},
        "n_questions": len(records),
        "n_documents": len(engine.sources()),
        "metrics": aggregate(records, k),
        "questions": records,
    }


@dataclass(frozen=True)
class Change:
    """One metric, now and in the baseline."""

    name: str
    baseline: float | None
    current: float | None
    regressed: bool


def compare(result: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> tuple[list[Change], list[str]]:
    """Per-metric changes (latencies excluded from the verdict) and the ids that flipped from pass to fail."""
    changes = []
    for name, current in result["metrics"].items():
        before = baseline.get("metrics", {}).get(name)
        gated = not name.endswith(("_p50", "_p95")) and name not in UNGATED
        regressed = False
        if gated and before is not None:
            drop = (current or 0.0) - before if lower_is_better(name) else before - (current or 0.0)
            regressed = drop > tolerance
        changes.append(Change(name, before, current, regressed))
    passed_before = {q["id"] for q in baseline.get("questions", []) if q.get("passed")}
    flipped = [q["id"] for q in result["questions"] if q["id"] in passed_before and not q["passed"]]
    return changes, flipped


def default_cache(data_dir: Path) -> Path:
    """Where converted question sets (BEIR corpora) are written."""
    return data_dir / "eval"


def format_value(name: str, value: float | None) -> str:
    """A metric for people: rates to 3 decimals, milliseconds and words to 1."""
    if value is None:
        return "n/a"
    return f"{value:.1f}" if name.endswith(("_p50", "_p95")) or name == "answer_words" else f"{value:.3f}"


def format_summary(result: dict[str, Any], changes: list[Change] | None = None) -> str:
    """The console table: one line per metric, with the baseline and change when given."""
    by_name = {c.name: c for c in changes or []}
    lines = [
        f"{result['set']}: {result['n_questions']} questions{_documents(result)}, k={result['settings']['k']}, "
        f"retrieval={result['settings']['retrieval']}"
    ]
    for group in METRIC_GROUPS:
        lines.append(f"  {group}")
        for name, value in result["metrics"].items():
            if metric_group(name) == group:
                line = f"    {name:<28}{format_value(name, value):>9}"
                change = by_name.get(name)
                if change and change.baseline is not None:
                    delta = (value or 0.0) - change.baseline
                    flag = "  REGRESSED" if change.regressed else ""
                    line += f"   baseline {format_value(name, change.baseline):>9}   {delta:+.3f}{flag}"
                lines.append(line)
    return "\n".join(lines)


def _documents(result: dict[str, Any]) -> str:
    n = result.get("n_documents")
    return f" over {n} indexed documents" if n is not None else ""
