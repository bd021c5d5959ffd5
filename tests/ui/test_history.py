"""The conversation as stored in the browser: answers round-trip, foreign or broken data is dropped."""

from __future__ import annotations

from test_render import make_answer

from ui.history import MAX_TURNS, answer_from_dict, make_turn, read_turns, saved, turn_answer


def test_an_answer_round_trips_through_its_json_form() -> None:
    answer = make_answer()
    again = answer_from_dict(answer.to_dict())
    assert again.to_dict() == answer.to_dict()
    assert again.citations == answer.citations and again.passages[0].chunk.text == answer.passages[0].chunk.text
    assert again.citations[0].span_text == "dusk" and again.confidence == 0.93


def test_an_unsure_reply_round_trips_as_unsure() -> None:
    answer = make_answer(kind="unsure")
    again = answer_from_dict(answer.to_dict())
    assert (again.kind, again.abstained, again.confidence) == ("unsure", True, 0.3)


def test_turns_are_read_back_for_their_own_user_only() -> None:
    turns = [make_turn("When?", make_answer()), make_turn("Oops", error="question: too long")]
    stored = saved(turns, "alice")
    assert read_turns(stored, "alice") == turns
    assert read_turns(stored, "bob") == [] and read_turns(stored, None) == []
    assert turn_answer(read_turns(stored, "alice")[1]) is None


def test_malformed_turns_are_dropped_and_old_ones_forgotten() -> None:
    good = make_turn("When?", make_answer())
    broken = [{"question": "x", "answer": {"question": "x"}}, "nonsense", {"answer": None}]
    assert read_turns({"user": None, "turns": [*broken, good]}, None) == [good]
    assert read_turns("not a dict", None) == []
    assert len(saved([good] * (MAX_TURNS + 5), None)["turns"]) == MAX_TURNS
