"""Collections through the chat's server (issue 15): one user's uploads answer only that user's questions.

Alice and bob upload through Gradio's upload route and the Documents tab's event, and ask through the
chat's `ask` API, each in a session of their own on the real server of `conftest.login_app`.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui_client import UIClient

from qa import QA

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
SEED_FILE = "000_e92089c36fa5833b.txt"
Client = Callable[[str | None], UIClient]


def shuffled_seed_words(size: int, seed: int = 15) -> str:
    """`size` bytes of the seed document's words in a random order: text that matches every seed question."""
    words = (SEEDS / SEED_FILE).read_text(encoding="utf-8").split()
    rng, out, length = random.Random(seed), [], 0
    while length < size:
        rng.shuffle(words)
        line = " ".join(words) + ".\n"
        out.append(line)
        length += len(line.encode("utf-8"))
    return "".join(out)[:size]


def reached(answer: dict[str, Any]) -> set[str]:
    """The sources of an answer's passages and citations."""
    return {str(item["source"]) for item in [*answer["passages"], *answer["citations"]]}


def quoted(answer: dict[str, Any]) -> tuple[str, set[str]]:
    """An answer's text without its markers, and the sentences it quotes."""
    return re.sub(r" ?\[\d+\]", "", answer["answer"]), {c["quote"] for c in answer["citations"]}


def test_one_users_megabyte_of_shuffled_seed_words_does_not_answer_anyone_elses_questions(
    client: Client, tmp_path: Path
) -> None:
    questions = [json.loads(line) for line in (SEEDS / "questions.jsonl").read_text().splitlines() if line.strip()]
    alice, bob = client("alice"), client("bob")
    before = {q["id"]: alice.ask(q["question"]) for q in questions}
    gibberish = tmp_path / "shuffled.txt"
    gibberish.write_text(shuffled_seed_words(1 << 20), encoding="utf-8")
    assert "Indexed shuffled.txt in bob-private" in bob.add_document(gibberish, None)
    assert "bob-private/shuffled.txt" in reached(bob.ask(questions[0]["question"], k=20))  # it answers bob...
    for question in questions:  # ...and nobody else: alice's answers are the seed's, as before the upload
        after, earlier = alice.ask(question["question"]), before[question["id"]]
        # the seed documents alone; which of them fill the last places may change, since keyword statistics
        # are still kept over the whole index (issue 23 keeps them per collection)
        assert "bob-private/shuffled.txt" not in reached(after)
        seeds = {p.name for p in SEEDS.iterdir()}
        assert reached(after) <= seeds and reached(earlier) <= seeds
        assert quoted(after) == quoted(earlier)  # the same sentences (bob's words may renumber the passages)
    bob.open_documents()
    assert "Removed" in bob.remove_document("bob-private/shuffled.txt")


def test_two_users_asking_mixed_questions_through_the_chat_never_reach_each_others_collection(
    client: Client, login_app: tuple[str, QA], tmp_path: Path
) -> None:
    memo = "The Zephyr merger memo says the company will buy Quillon Ltd for 412 million euros in March."
    note = "Bob's hiring note says the Zephyr plant will hire 35 welders in June, trained for six weeks."
    sessions = {"alice": client("alice"), "bob": client("bob")}
    for name, text in (("alice", memo), ("bob", note)):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}_notes.md").write_text(f"# {name} notes\n\n{text}\n", encoding="utf-8")
        assert "Indexed" in sessions[name].add_document(tmp_path / name / f"{name}_notes.md", None)
    own = {"alice": "alice-private/alice_notes.md", "bob": "bob-private/bob_notes.md"}
    other = {"alice": own["bob"], "bob": own["alice"]}
    words = {"alice": ("welders", "35", "six weeks"), "bob": ("Quillon", "412", "March")}
    questions = [
        "How much will the company pay for Quillon?",
        "How many welders will the Zephyr plant hire?",
        "How long will the welders train?",
        "When did Haftar announce his offensive on Tripoli?",
        "Zephyr merger Quillon welders June March",
    ]
    rng, leaks = random.Random(7), []
    for _ in range(200):
        name, question = rng.choice(("alice", "bob")), rng.choice(questions)
        answer = sessions[name].ask(question, k=10)
        leaks += [(name, question, s) for s in reached(answer) if s.startswith(other[name].split("/")[0])]
        leaks += [(name, question, w) for w in words[name] if w in answer["answer"]]
    assert leaks == []
    for name, session in sessions.items():  # and no file bytes: the other's document is not there to download
        assert session.http.get("document/" + other[name].replace("/", "%2F")).status_code == 404
        assert session.http.get("document/" + own[name].replace("/", "%2F")).status_code == 200
        session.open_documents()
        assert "Removed" in session.remove_document(own[name])
