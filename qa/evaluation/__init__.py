"""Evaluation: question sets asked against a verified index, scored, compared with a baseline, reported.

`load_question_set` reads a set, `evaluate` runs it (`qa eval --json` prints the result),
`compare` and `format_summary` judge it against a baseline, `render_report` writes the HTML page.
"""

from qa.evaluation.compare import Change, compare, format_summary, format_value
from qa.evaluation.questions import Question, QuestionSet, default_cache, load_question_set
from qa.evaluation.report import render_report
from qa.evaluation.run import evaluate

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
