"""The `qa` command line: a thin front-end over `QA`.

User errors print one line (`qa: error: ...`) and exit 2; an ingest in which
some files failed exits 1 after indexing the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cli.collection import add_collections_parser, run_collections
from cli.keys import add_keys_parser, run_keys
from cli.migrate import add_migrate_parser, run_migrate
from cli.serve import add_serve_parser, run_serve
from cli.users import add_users_parser, run_users
from index.manifest import DEFAULT_COLLECTION
from qa.errors import QAError
from qa.request import ANSWER_MODES, RETRIEVAL_MODES
from qa.service import QA
from qa.types import Answer


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="qa", description="Cited answers from your documents.")
    parser.add_argument("--data-dir", type=Path, help="index directory (default: $QA_DATA_DIR or .qa)")
    parser.add_argument(
        "--database-url",
        help="shared mode: PostgreSQL for everything but the vectors, with $QA_CHROMA_URL (default: $QA_DATABASE_URL)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="index files or folders (default: seeds/)")
    ingest.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    ingest.add_argument("-q", "--quiet", action="store_true", help="no progress bar or back-end line")
    ingest.add_argument("--collection", default=DEFAULT_COLLECTION, help="collection to sync into (default: default)")

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=None, help="passages to retrieve (default: 5)")
    ask.add_argument("--source", action="append", dest="sources", metavar="SOURCE", help="only search this source")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--mode", choices=ANSWER_MODES, help="answer mode (default: llm when configured)")

    evaluate = sub.add_parser("eval", help="run a question set: metrics, report, baseline check")
    evaluate.add_argument("set", type=Path, metavar="SET", help="questions .jsonl, a folder with docs/, or BEIR")
    evaluate.add_argument("-k", type=int, default=None, help="passages per answer (default: 5)")
    evaluate.add_argument("--retrieval", choices=RETRIEVAL_MODES, default="hybrid")
    evaluate.add_argument("--mode", choices=ANSWER_MODES, help="answer mode (default: llm when configured)")
    evaluate.add_argument("--json", action="store_true", help="print the whole result as JSON")
    evaluate.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML report")
    evaluate.add_argument("--baseline", type=Path, metavar="FILE", help="compare with an earlier --json result")
    evaluate.add_argument("--tolerance", type=float, default=0.02, help="allowed drop per metric (default 0.02)")
    evaluate.add_argument("--save-baseline", type=Path, metavar="FILE", help="write this result as a baseline")
    evaluate.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    ui = sub.add_parser("ui", help="launch the chat UI (indexes seeds/ first if the index is empty)")
    ui.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, help="port (default 7860)")

    feedback = sub.add_parser("feedback", help="answers rated in the UI")
    feedback_sub = feedback.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = feedback_sub.add_parser("export", help="thumbs-down answers as a question set for `qa eval`")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")

    check = sub.add_parser("check", help="compare Chroma, the keyword index and the record manager")
    check.add_argument("--repair", action="store_true", help="fix what disagrees (after an interrupted ingest)")

    sub.add_parser("sources", help="list indexed sources with chunk counts")
    remove = sub.add_parser("remove", help="remove a source from the index")
    remove.add_argument("source")
    add_serve_parser(sub)
    add_migrate_parser(sub)
    add_users_parser(sub)
    add_keys_parser(sub)
    add_collections_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `qa` console script."""
    args = build_parser().parse_args(argv)
    try:
        shared = {"database_url": args.database_url} if args.database_url else {}
        qa = QA(data_dir=args.data_dir, **shared)
        return COMMANDS[args.command](qa, args)
    except QAError as err:
        print(f"qa: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130


def run_ingest(qa: QA, args: argparse.Namespace) -> int:
    """`qa ingest`: sync paths and report per-file problems."""
    if not args.quiet:
        print(qa.embedder.choice.describe(), file=sys.stderr)
    with _progress_bar(args.quiet, "file") as update:
        reports = qa.ingest(
            *args.paths, progress=lambda done, total, _source: update(done, total), collection=args.collection
        )
    failed = 0
    for target, report in zip(args.paths or [qa.settings.seeds_dir], reports, strict=True):
        for outcome in report.files:
            if outcome.status in ("failed", "skipped"):
                print(f"{outcome.status}: {outcome.source}: {outcome.reason}", file=sys.stderr)
        failed += report.count("failed")
        print(f"{target}: {report.summary()}")
    return 1 if failed else 0


def run_ask(qa: QA, args: argparse.Namespace) -> int:
    """`qa ask`: print the answer and its citations (or JSON)."""
    answer = qa.ask(args.question, k=args.k, sources=args.sources, mode=args.mode)
    if answer.notice and not args.json:
        print(f"qa: note: {answer.notice}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer: Answer) -> str:
    """Plain-text rendering: the answer, its kind and confidence, then its sources (or the closest passages)."""
    lines = [answer.text, ""]
    confidence = "" if answer.confidence is None else f", confidence {answer.confidence:.2f}"
    lines.append(f"({answer.kind.replace('_', ' ')}{confidence})")
    if (key := answer.answer_span) is not None:
        lines.append(f"Answer: “{key.span_text}” [{key.marker}]")
    if answer.abstained:
        lines.append("Closest passages:")
        for p in answer.passages[:3]:
            page = f", p. {p.chunk.page}" if p.chunk.page else ""
            snippet = " ".join(p.chunk.text.split())[:160]
            lines.append(f"  [{p.rank}] {p.chunk.source}{page} ({p.score:.2f}): {snippet}…")
    for c in answer.citations:
        page = f", p. {c.page}" if c.page else ""
        lines.append(f"  [{c.marker}] {c.source}{page}, chars {c.start}-{c.end}: “{c.quote}”")
    lines += [f"  unsupported by the sources: “{sentence}”" for sentence in answer.unsupported]
    return "\n".join(lines).rstrip()


def run_sources(qa: QA, args: argparse.Namespace) -> int:
    """`qa sources`: one line per source."""
    counts = qa.sources()
    if not counts:
        print("nothing is indexed yet; run `qa ingest` (or `qa ingest PATH`)")
        return 0
    width = max(len(s) for s in counts)
    for source, n in counts.items():
        print(f"{source:<{width}}  {n:>5} chunks")
    return 0


def run_remove(qa: QA, args: argparse.Namespace) -> int:
    """`qa remove SOURCE`."""
    deleted = qa.remove(args.source)
    print(f"removed {args.source} ({deleted} chunks)")
    return 0


def run_check(qa: QA, args: argparse.Namespace) -> int:
    """`qa check [--repair]`: exit 1 when the stores disagree and were not repaired."""
    report = qa.check(repair=args.repair)
    for line in report.lines():
        print(line)
    if report.ok:
        print(f"index consistent: {report.chunks} chunks")
        return 0
    if args.repair:
        print("repaired; run `qa ingest` on the folders again to restore the sources marked to be ingested again")
        return 0
    print("run `qa check --repair` (or just `qa ingest` again) to fix it", file=sys.stderr)
    return 1


def run_eval(qa: QA, args: argparse.Namespace) -> int:
    """`qa eval`: exit 1 when a metric dropped past the tolerance against --baseline."""
    import evaluation

    baseline = _read_json(args.baseline) if args.baseline else None
    qset = evaluation.load_question_set(args.set, evaluation.default_cache(qa.settings.data_dir))
    with _progress_bar(args.quiet, "file") as indexing, _progress_bar(args.quiet, "question") as asking:
        result = evaluation.evaluate(
            qa,
            qset,
            k=args.k or qa.settings.retrieval.top_k,
            mode=args.retrieval,
            answer_mode=args.mode,
            progress=asking,
            ingest_progress=lambda done, total, _source: indexing(done, total),
        )
    changes, flipped = evaluation.compare(result, baseline, args.tolerance) if baseline else ([], [])
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(evaluation.format_summary(result, changes))
    for qid in flipped:
        print(f"flipped pass -> fail: {qid}", file=sys.stderr)
    if args.html:
        args.html.write_text(evaluation.render_report(result, baseline), encoding="utf-8")
        print(f"report: {args.html}", file=sys.stderr)
    if args.save_baseline:
        args.save_baseline.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"baseline saved: {args.save_baseline}", file=sys.stderr)
    regressed = [c.name for c in changes if c.regressed]
    if regressed:
        print(f"qa: regression beyond {args.tolerance}: {', '.join(regressed)}", file=sys.stderr)
    return 1 if regressed else 0


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise QAError(f"{path}: cannot read baseline ({err})") from err
    if not isinstance(data, dict) or "metrics" not in data:
        raise QAError(f"{path}: not a `qa eval --json` result (no 'metrics')")
    return data


@contextmanager
def _progress_bar(quiet: bool, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr fed by (done, total) calls; silent when quiet."""
    from tqdm import tqdm

    bar = None if quiet else tqdm(total=0, unit=unit, file=sys.stderr, leave=False, disable=None)  # None: TTY only

    def update(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def run_ui(qa: QA, args: argparse.Namespace) -> int:
    """`qa ui`: index the seeds when the index is empty, then serve the chat until interrupted."""
    try:
        from ui.app import launch
    except ImportError as err:
        raise QAError(f"the chat UI needs gradio ({err.name} is missing): pip install -e '.[ui]'") from err

    if not qa.sources():
        print(f"the index is empty: ingesting {qa.settings.seeds_dir}", file=sys.stderr)
        run_ingest(qa, argparse.Namespace(paths=[], quiet=False, collection=DEFAULT_COLLECTION))
    host, port = args.host or qa.settings.ui.host, args.port or qa.settings.ui.port
    print(qa.embedder.choice.describe(), file=sys.stderr)
    print(f"chat UI on http://{host}:{port} (Ctrl+C to stop)", file=sys.stderr)
    launch(qa, host, port)
    return 0


def run_feedback(qa: QA, args: argparse.Namespace) -> int:
    """`qa feedback export`: one JSON question per line, ready to complete and run with `qa eval`."""
    from access.feedback import feedback_log

    questions = feedback_log(qa.settings).export()
    text = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(questions)} questions written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


COMMANDS = {
    "ui": run_ui,
    "feedback": run_feedback,
    "ingest": run_ingest,
    "ask": run_ask,
    "eval": run_eval,
    "check": run_check,
    "sources": run_sources,
    "remove": run_remove,
    "serve": run_serve,
    "migrate": run_migrate,
    "users": run_users,
    "keys": run_keys,
    "collections": run_collections,
}

if __name__ == "__main__":
    sys.exit(main())
