"""A run against its baseline: the change of every metric, the regressions, and the console summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evaluation.metrics import METRIC_GROUPS, is_latency, lower_is_better, metric_group

UNGATED = frozenset({"answer_words"})  # reported, but no regression check (not a 0-1 rate)


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
        gated = not is_latency(name) and name not in UNGATED
        regressed = False
        if gated and before is not None:
            drop = (current or 0.0) - before if lower_is_better(name) else before - (current or 0.0)
            regressed = drop > tolerance
        changes.append(Change(name, before, current, regressed))
    return changes, flipped_ids(result["questions"], baseline)


def flipped_ids(questions: Sequence[dict[str, Any]], baseline: dict[str, Any] | None) -> list[str]:
    """Ids of the questions that passed in the baseline and fail now, in their order."""
    if baseline is None:
        return []
    passed_before = {q.get("id") for q in baseline.get("questions", []) if q.get("passed")}
    return [q["id"] for q in questions if q.get("id") in passed_before and not q.get("passed")]


def format_value(name: str, value: float | None) -> str:
    """A metric for people: rates to 3 decimals, milliseconds and words to 1."""
    if value is None:
        return "n/a"
    return f"{value:.1f}" if is_latency(name) or name == "answer_words" else f"{value:.3f}"


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
