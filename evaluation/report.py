"""A self-contained HTML report of an evaluation run (the JSON of `qa eval --json`).

Everything is inline (CSS, SVG charts, a few lines of JS) and every string taken from the result is HTML-escaped, so
the page can be opened offline and hostile question or document text shows up as text.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from evaluation.compare import flipped_ids
from evaluation.metrics import METRIC_GROUPS, lower_is_better, metric_group

CHART_GROUPS = ("Retrieval", "Answer", "Citations", "Abstention")
MAX_RANK = 10

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1f2328; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.meta { color: #59636e; } .meta code { background: #f0f2f4; padding: 0 .3em; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid #d8dee4; }
th { background: #f6f8fa; } tbody tr:nth-child(even) { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group th { background: #eaeef2; text-transform: uppercase; font-size: .75rem; letter-spacing: .05em; }
.better { color: #1a7f37; } .worse { color: #cf222e; } .same, .muted { color: #8c959f; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 1em; font-size: .8rem; font-weight: 600; }
.badge.pass { background: #dafbe1; color: #1a7f37; } .badge.fail { background: #ffebe9; color: #cf222e; }
.badge.regressed { background: #cf222e; color: #fff; } .badge.abstained { background: #eaeef2; color: #59636e; }
ul.cites { margin: .3rem 0 0; padding-left: 1rem; color: #59636e; font-size: .85rem; }
.evidence { margin-top: .3rem; color: #59636e; font-size: .85rem; }
svg { display: block; margin: .5rem 0 1rem; font-size: 12px; } svg .bar { fill: #0969da; }
svg .lower { fill: #bf8700; } svg .missing { fill: #cf222e; } svg text { fill: #1f2328; }
"""

SCRIPT = """
const box = document.getElementById("only-failures");
box.addEventListener("change", () => {
  for (const row of document.querySelectorAll("#questions tr[data-passed]")) {
    row.hidden = box.checked && row.dataset.passed === "true";
  }
});
"""


def _esc(value: Any) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape(str(value), quote=True)


def format_metric(name: str, value: Any) -> str:
    """Format a metric value: `n/a` for null, 1 decimal for latency (ms) and words, else 3 decimals."""
    if value is None:
        return "n/a"
    if not isinstance(value, int | float):
        return _esc(value)
    if "_ms_" in name:
        return f"{value:.1f} ms"
    return f"{value:.1f}" if name == "answer_words" else f"{value:.3f}"


def _grouped_metrics(metrics: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The pass rate first, then every metric under its group (only groups with metrics)."""
    groups = [("Overall", [n for n in metrics if n == "pass_rate"])]
    groups += [(g, [n for n in metrics if n != "pass_rate" and metric_group(n) == g]) for g in METRIC_GROUPS]
    return [(group, names) for group, names in groups if names]


def _change_cell(name: str, value: Any, base: Any) -> str:
    """The baseline value and the change, classed `better`, `worse` or `same`."""
    if not isinstance(value, int | float) or not isinstance(base, int | float):
        return f'<td class="num">{format_metric(name, base)}</td><td class="num muted">–</td>'
    change = 0.0 if abs(value - base) < 1e-9 else value - base  # float noise is no change
    better = change < 0 if lower_is_better(name) else change > 0
    verdict = "same" if change == 0 else "better" if better else "worse"
    delta = format_metric(name, abs(change))
    sign = "±" if change == 0 else "+" if change > 0 else "−"
    return f'<td class="num">{format_metric(name, base)}</td><td class="num {verdict}">{sign}{delta}</td>'


def _summary_table(metrics: dict[str, Any], base_metrics: dict[str, Any] | None) -> str:
    """All metrics, grouped, with the baseline and change columns when a baseline is given."""
    head = "<th>Metric</th><th>Value</th>" + ("<th>Baseline</th><th>Change</th>" if base_metrics is not None else "")
    rows = []
    for group, names in _grouped_metrics(metrics):
        rows.append(f'<tr class="group"><th colspan="{4 if base_metrics is not None else 2}">{_esc(group)}</th></tr>')
        for name in names:
            extra = "" if base_metrics is None else _change_cell(name, metrics[name], base_metrics.get(name))
            rows.append(
                f'<tr><td>{_esc(name)}</td><td class="num">{format_metric(name, metrics[name])}</td>{extra}</tr>'
            )
    return f'<table id="summary"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _metric_bar_chart(metrics: dict[str, Any]) -> str:
    """Horizontal bars for the non-null 0-1 metrics of the retrieval, answer, citation and abstention groups."""
    names = [n for g, ns in _grouped_metrics(metrics) if g in CHART_GROUPS for n in ns if n != "answer_words"]
    values = [(n, metrics[n]) for n in names if isinstance(metrics[n], int | float)]
    label_w, bar_w, row_h = 190, 380, 22
    parts = []
    for i, (name, value) in enumerate(values):
        y, width = i * row_h, max(0.0, min(1.0, value)) * bar_w
        css = "bar lower" if lower_is_better(name) else "bar"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_esc(name)}</text>'
            f'<rect class="{css}" x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" rx="2"/>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 15}">{value:.3f}</text>'
        )
    height = max(row_h, len(values) * row_h)
    return (
        f'<svg id="metric-chart" role="img" width="{label_w + bar_w + 60}" height="{height}">'
        f"<title>Metrics between 0 and 1</title>{''.join(parts)}</svg>"
    )


def rank_counts(questions: Sequence[dict[str, Any]]) -> list[tuple[str, int]]:
    """Histogram bins of `gold_rank` over questions with gold sources: 1..10, ">10" if any, and "not found"."""
    ranks = [q.get("gold_rank") for q in questions if q.get("source_ids")]
    counts = Counter("not found" if r is None else str(r) if r <= MAX_RANK else f">{MAX_RANK}" for r in ranks)
    labels = [str(r) for r in range(1, MAX_RANK + 1)] + ([f">{MAX_RANK}"] if counts[f">{MAX_RANK}"] else [])
    return [(label, counts[label]) for label in [*labels, "not found"]]


def _rank_histogram(questions: Sequence[dict[str, Any]]) -> str:
    """Vertical bars: how many questions found their first gold source at each rank."""
    bins = rank_counts(questions)
    top, bar_h, slot = max([1, *(count for _, count in bins)]), 140, 52
    parts = []
    for i, (label, count) in enumerate(bins):
        x, height = i * slot + 10, count / top * bar_h
        css = "bar missing" if label == "not found" else "bar"
        parts.append(
            f'<rect class="{css}" x="{x}" y="{20 + bar_h - height:.1f}" width="{slot - 12}" height="{height:.1f}"/>'
            f'<text class="count" x="{x + (slot - 12) / 2}" y="{14 + bar_h - height:.1f}" '
            f'text-anchor="middle">{count}</text>'
            f'<text x="{x + (slot - 12) / 2}" y="{bar_h + 36}" text-anchor="middle">{_esc(label)}</text>'
        )
    return (
        f'<svg id="rank-chart" role="img" width="{len(bins) * slot + 20}" height="{bar_h + 46}">'
        f"<title>Rank of the first gold source</title>{''.join(parts)}</svg>"
    )


def _citation_list(citations: Iterable[dict[str, Any]]) -> str:
    """Citations as "[n] source p.X: quote" lines (page omitted when null)."""
    items = []
    for c in citations:
        page = "" if c.get("page") is None else f" p.{_esc(c['page'])}"
        items.append(
            f"<li>[{_esc(c.get('id', '?'))}] {_esc(c.get('source', ''))}{page}: {_esc(c.get('quote', ''))}</li>"
        )
    return f'<ul class="cites">{"".join(items)}</ul>' if items else ""


def _evidence_text(question: dict[str, Any]) -> str:
    """Evidence pages (1-based) and the rank of the first passage found on one, for questions that have them."""
    evidence = question.get("evidence") or []
    if not evidence:
        return ""
    pages = ", ".join(f"{_esc(e.get('doc', ''))} p.{_esc(e.get('page', '?'))}" for e in evidence)
    rank = question.get("evidence_rank")
    found = '<span class="worse">not retrieved</span>' if rank is None else f"passage rank {_esc(rank)}"
    return f'<div class="evidence">evidence: {pages} ({found})</div>'


def _rank_text(question: dict[str, Any]) -> str:
    if not question.get("source_ids"):
        return '<span class="muted">–</span>'
    rank = question.get("gold_rank")
    return '<span class="worse">not found</span>' if rank is None else _esc(rank)


def _question_row(question: dict[str, Any], regressed: bool) -> str:
    """One table row; classed `pass`/`fail` with a `data-passed` attribute for the failures-only filter."""
    passed = bool(question.get("passed"))
    verdict = "pass" if passed else "fail"
    golds = "<em>unanswerable</em>" if question.get("unanswerable") else _esc("; ".join(question.get("answers", [])))
    abstained = ' <span class="badge abstained">abstained</span>' if question.get("abstained") else ""
    flags = f'<span class="badge {verdict}">{verdict}</span>' + (
        ' <span class="badge regressed">regressed</span>' if regressed else ""
    )
    return (
        f'<tr class="{verdict}" data-passed="{str(passed).lower()}"><td>{_esc(question.get("id", ""))}</td>'
        f"<td>{_esc(question.get('question', ''))}</td><td>{golds}</td>"
        f"<td>{_esc(', '.join(question.get('source_ids', [])))}{_evidence_text(question)}</td>"
        f"<td>{_esc(question.get('answer', ''))}{abstained}{_citation_list(question.get('citations', []))}</td>"
        f'<td class="num">{_rank_text(question)}</td><td>{flags}</td></tr>'
    )


def _questions_section(questions: Sequence[dict[str, Any]], baseline: dict[str, Any] | None) -> str:
    """The failures-only checkbox and the per-question table."""
    regressed = set(flipped_ids(questions, baseline))
    failures = sum(1 for q in questions if not q.get("passed"))
    rows = "".join(_question_row(q, q.get("id") in regressed) for q in questions)
    head = "".join(f"<th>{h}</th>" for h in ("Id", "Question", "Gold answers", "Gold sources", "Answer", "Rank", ""))
    return (
        f'<label><input type="checkbox" id="only-failures"> Show failures only '
        f'<span id="failure-count">({failures} of {len(questions)} failed)</span></label>'
        f'<table id="questions"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _header(result: dict[str, Any]) -> str:
    """Set name, path, creation time, settings, question count and pass rate."""
    settings = ", ".join(f"{_esc(k)}=<code>{_esc(v)}</code>" for k, v in result.get("settings", {}).items())
    rate = result.get("metrics", {}).get("pass_rate")
    rate_text = f"{rate:.1%}" if isinstance(rate, int | float) else "n/a"
    documents = result.get("n_documents")
    over = f" over {_esc(documents)} indexed documents" if documents is not None else ""
    return (
        f"<h1>Evaluation: {_esc(result.get('set', ''))}</h1>"
        f'<p class="meta">{_esc(result.get("path", ""))} · {_esc(result.get("created", ""))}<br>'
        f"Settings: {settings}<br>{_esc(result.get('n_questions', len(result.get('questions', []))))} questions"
        f"{over} · pass rate <strong>{rate_text}</strong></p>"
    )


def render_report(result: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """Render an evaluation result as one self-contained HTML page.

    Args:
        result: The JSON of `qa eval --json` (null metric values render as "n/a").
        baseline: An earlier result of the same shape; adds baseline/change columns and flags regressed questions.

    Returns:
        A complete HTML document with inline CSS, inline SVG charts and a few lines of inline JS; no external URLs.
    """
    metrics = result.get("metrics", {})
    questions = result.get("questions", [])
    base_metrics = None if baseline is None else baseline.get("metrics", {})
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>QA eval: {_esc(result.get('set', ''))}</title><style>{CSS}</style></head><body>"
        f"{_header(result)}<h2>Summary</h2>{_summary_table(metrics, base_metrics)}"
        f"<h2>Charts</h2>{_metric_bar_chart(metrics)}{_rank_histogram(questions)}"
        f"<h2>Questions</h2>{_questions_section(questions, baseline)}<script>{SCRIPT}</script></body></html>\n"
    )
