"""Evaluation: question sets asked against a verified index, scored, compared with a baseline, reported.

Role: above the engine, below the front-ends: imports `qa`, `access` and `index`, never a front-end.

`load_question_set` reads a set, `evaluate` runs it (`qa eval --json` prints the result),
`compare` and `format_summary` judge it against a baseline, `render_report` writes the HTML page.
"""

from evaluation.compare import Change, compare, format_summary, format_value
from evaluation.questions import Question, QuestionSet, default_cache, load_question_set
from evaluation.report import render_report
from evaluation.run import evaluate

__all__ = [
    "Change",
    "Question",
    "QuestionSet",
    "compare",
    "default_cache",
    "evaluate",
    "format_summary",
    "format_value",
    "load_question_set",
    "render_report",
]
