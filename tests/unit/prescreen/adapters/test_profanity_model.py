"""The English abuse model scored on its fitted coefficients: what the package itself says."""

from __future__ import annotations

import json
from pathlib import Path

from profanity_check import predict_prob, profanity_check

from services.prescreen.adapters.profanity_model import linear_parts, profanity_model

EVAL = Path(__file__).parents[3] / "eval"


def _texts() -> list[str]:
    texts = [
        text["text"]
        for name in ("prescreen.jsonl", "prescreen_heldout.jsonl")
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
        for text in json.loads(line)["case"]["texts"]
    ]
    return [*texts, "", "!!!", "you are a f*cking idiot", "x" * 5000]


def test_probabilities_are_the_packages_to_the_last_bit() -> None:
    assert linear_parts(profanity_check.model) is not None  # the fast path is the one tried
    texts = _texts()
    for batch in (texts, texts[:1], texts[3:10]):
        assert profanity_model(batch) == [float(p) for p in predict_prob(batch)]


def test_abuse_scores_high_and_a_greeting_low() -> None:
    abusive, greeting = profanity_model(["you are a fucking idiot", "good morning, see you soon"])
    assert abusive > 0.9
    assert greeting < 0.1


def test_a_model_of_another_shape_is_left_to_the_package() -> None:
    assert linear_parts(object()) is None
