"""The English abuse model of the text screener: alt-profanity-check (scikit-learn)."""

from __future__ import annotations

from collections.abc import Sequence


def profanity_model(texts: list[str]) -> Sequence[float]:
    """alt-profanity-check's probability that each text is abusive (English only)."""
    # imported on first use: loading the pickled model takes about a second
    from profanity_check import predict_prob  # noqa: PLC0415

    return [float(p) for p in predict_prob(texts)]
