"""Training pairs from the SQuAD 2.0 slices in `../shared/train/`, built the same way every time.

A pair is (question, sentence, the sentence before it, label, answer span). For each question:
- positive: the sentence holding its answer, with the answer's characters;
- same-paragraph negatives: the paragraph's other sentences (near misses: same topic, the asked fact
  absent; exactly what taking the answer sentence out of a paragraph leaves);
- SQuAD 2.0's unanswerable questions: every sentence of their paragraph (those written to look answerable);
- other-paragraph negatives: the two sentences of the article's other paragraphs that share most words.
Two whole articles (`HELDOUT_ARTICLES`) are held out, never mixed with training paragraphs: they choose the
epoch and the calibration. Sentences are split by the product's own splitter (`index.sentences`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.sentences import split_sentences

TRAIN_DIR = Path(__file__).resolve().parents[3] / "shared" / "train"  # ../shared/train beside the repo
TRAIN_FILES = ("squad2-train-10/train-v2.0-first10.json", "squad2-dev-5/dev-v2.0-five-articles.json")
HELDOUT_ARTICLES = frozenset({"Scottish_Parliament", "French_and_Indian_War"})
OTHER_PARAGRAPH_NEGATIVES = 2
_WORD = re.compile(r"\w+")
_STOP = frozenset(
    "the a an of in on at to for by with from and or is was were are be been what which who whom whose "
    "when where why how did do does that this these those as it its into than then".split()
)


@dataclass(frozen=True)
class Pair:
    """One training example; `span` is (start, end) characters of the answer in `sentence`, or None."""

    question: str
    sentence: str
    context: str
    label: int
    span: tuple[int, int] | None
    kind: str  # positive, same_paragraph, unanswerable, plausible, other_paragraph


def load_articles(train_dir: Path = TRAIN_DIR) -> list[dict[str, Any]]:
    """The articles of both training files, in file order."""
    articles: list[dict[str, Any]] = []
    for name in TRAIN_FILES:
        articles += json.loads((train_dir / name).read_text(encoding="utf-8"))["data"]
    return articles


def split(articles: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(training articles, held-out articles)."""
    return [a for a in articles if a["title"] not in HELDOUT_ARTICLES], [
        a for a in articles if a["title"] in HELDOUT_ARTICLES
    ]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _sentences(title: str, context: str) -> list[tuple[int, int, str, str]]:
    """(start, end, text, previous sentence) of a paragraph; the article's title stands before the first."""
    spans = split_sentences(context)
    texts = [context[a:b] for a, b in spans]
    return [(a, b, texts[i], texts[i - 1] if i else title.replace("_", " ")) for i, (a, b) in enumerate(spans)]


def _holds(text: str, answers: list[str]) -> bool:
    low = text.lower()
    return any(a.strip() and a.strip().lower() in low for a in answers)


def question_pairs(qa: dict[str, Any], sentences: list[tuple[int, int, str, str]]) -> Iterator[Pair]:
    """The positive and same-paragraph negative pairs of one question."""
    question = qa["question"].strip()
    if qa.get("is_impossible"):
        starts = [a["answer_start"] for a in qa.get("plausible_answers", [])]
        for a, b, text, before in sentences:
            kind = "plausible" if any(a <= x < b for x in starts) else "unanswerable"
            yield Pair(question, text, before, 0, None, kind)
        return
    answers = qa["answers"]
    for a, b, text, before in sentences:
        inside = [x for x in answers if a <= x["answer_start"] < b]
        if inside:
            start = inside[0]["answer_start"] - a
            end = min(start + len(inside[0]["text"].rstrip()), len(text))
            yield Pair(question, text, before, 1, (start, end), "positive")
        elif not _holds(text, [x["text"] for x in answers]):
            yield Pair(question, text, before, 0, None, "same_paragraph")


def article_pairs(article: dict[str, Any]) -> list[Pair]:
    """Every pair of one article, other-paragraph negatives included."""
    paragraphs = [_sentences(article["title"], p["context"]) for p in article["paragraphs"]]
    pool = [(i, s, _words(s[2])) for i, sentences in enumerate(paragraphs) for s in sentences]
    pairs: list[Pair] = []
    for i, (paragraph, sentences) in enumerate(zip(article["paragraphs"], paragraphs, strict=True)):
        for qa in paragraph["qas"]:
            pairs += question_pairs(qa, sentences)
            asked = _words(qa["question"])
            golds = [a["text"] for a in qa.get("answers", [])]
            others = sorted((s for s in pool if s[0] != i), key=lambda s: -len(asked & s[2]))
            kept = [s for _, s, _ in others if not _holds(s[2], golds)][:OTHER_PARAGRAPH_NEGATIVES]
            pairs += [Pair(qa["question"].strip(), s[2], s[3], 0, None, "other_paragraph") for s in kept]
    return pairs


def heldout_sets(articles: list[dict[str, Any]]) -> dict[str, tuple[dict[str, str], list[dict[str, Any]]]]:
    """Question sets of the held-out articles, as the evaluation sets are made: "squad2" (SQuAD 2.0's own
    unanswerable questions) and "absent" (each paragraph without the sentence of its first one-sentence
    answer; a question is unanswerable when none of its answers is left anywhere). name -> (docs, questions)."""
    sets = {}
    for name, absent in (("squad2", False), ("absent", True)):
        docs: dict[str, str] = {}
        questions: list[dict[str, Any]] = []
        for article in articles:
            for i, paragraph in enumerate(article["paragraphs"]):
                doc = f"{article['title']}_p{i:02d}.txt"
                body = _without_an_answer_sentence(paragraph) if absent else paragraph["context"]
                docs[doc] = f"{article['title'].replace('_', ' ')}\n\n{body}"  # as the evaluation sets' files
                for qa in paragraph["qas"]:
                    if absent and qa["is_impossible"]:
                        continue
                    answers = sorted({a["text"] for a in qa["answers"]})
                    questions.append({"id": qa["id"], "question": qa["question"].strip(), "answers": answers,
                                      "source_ids": [] if qa["is_impossible"] else [doc]})
        if absent:
            for q in questions:
                if not any(a in text for a in q["answers"] for text in docs.values()):
                    q.update(answers=[], source_ids=[], unanswerable=True)
            questions = [q for q in questions if q.get("unanswerable") or any(a in docs[q["source_ids"][0]]
                                                                              for a in q["answers"])]
        for q in questions:
            q.setdefault("unanswerable", not q["source_ids"])
        sets[name] = (docs, questions)
    return sets


def _without_an_answer_sentence(paragraph: dict[str, Any]) -> str:
    """The paragraph without the sentence holding its first one-sentence answer (unchanged if none is)."""
    text = str(paragraph["context"])
    spans = split_sentences(text)
    for qa in paragraph["qas"]:
        for answer in qa["answers"][:1]:
            start, end = answer["answer_start"], answer["answer_start"] + len(answer["text"])
            for a, b in spans:
                if a <= start and end <= b:
                    return re.sub(r" {2,}", " ", text[:a] + text[b:]).strip()
    return text
