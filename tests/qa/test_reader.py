"""The answerability reader: the same judgements in OpenVINO and in torch, and the answering words it marks."""

from __future__ import annotations

from qa.reader import AnswerabilityReader

QUESTION = "When did Haftar announce his offensive on Tripoli?"
SENTENCES = [
    "When Khalifa Haftar, the leader of the self-declared Libyan National Army, released an audio message "
    "announcing his offensive on Libya’s capital, Tripoli, on April 4, he likely expected things to go differently.",
    "Haftar believed he could blitz western Libya as he had done the country’s south.",
]


def test_openvino_and_torch_judge_alike_and_mark_the_same_words() -> None:
    openvino, torch = AnswerabilityReader(runtime="openvino"), AnswerabilityReader(runtime="torch")
    assert openvino.uses_openvino and not torch.uses_openvino
    a, b = openvino.judge(QUESTION, SENTENCES, ["", ""]), torch.judge(QUESTION, SENTENCES, ["", ""])
    for x, y in zip(a, b, strict=True):
        assert abs(x.probability - y.probability) < 0.03
        assert x.span == y.span
    start, end = a[0].span or (0, 0)
    assert SENTENCES[0][start:end] == "April 4"
    assert a[0].probability > a[1].probability  # the sentence that answers is the likelier one
