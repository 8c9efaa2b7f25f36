"""The English abuse model of the text screener: alt-profanity-check (scikit-learn).

The model ships in the wheel: a TF-IDF vectorizer, then five sigmoid-calibrated linear SVMs
whose probabilities are averaged. scikit-learn validates the input again in each of the five,
which cost as much as the scoring itself; the same arithmetic, in the same order, on the
fitted coefficients gives bit-identical probabilities at about half the cost per text. A
model of another shape (a new release of the package) is scored by the package itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from scipy.special import expit  # type: ignore[import-untyped]
from sklearn.calibration import CalibratedClassifierCV
from sklearn.utils.extmath import safe_sparse_dot

#: One calibrated classifier: its coefficients (a column), intercept and sigmoid's a and b.
_Linear = tuple[Any, Any, float, float]


def profanity_model(texts: list[str]) -> Sequence[float]:
    """alt-profanity-check's probability that each text is abusive (English only)."""
    vectorizer, linear, fallback = _loaded()
    if linear is None:
        return [float(p) for p in fallback(texts)]
    features = vectorizer.transform(texts)
    mean = np.zeros(features.shape[0])
    for coef, intercept, a, b in linear:
        decision = (safe_sparse_dot(features, coef, dense_output=True) + intercept).ravel()
        mean += expit(-(a * decision + b))
    mean /= len(linear)
    return [float(p) for p in mean]


@cache
def _loaded() -> tuple[Any, tuple[_Linear, ...] | None, Any]:
    # imported on first use: loading the pickled model takes about a second
    from profanity_check import profanity_check  # noqa: PLC0415

    return (
        profanity_check.vectorizer,
        linear_parts(profanity_check.model),
        profanity_check.predict_prob,
    )


def linear_parts(model: object) -> tuple[_Linear, ...] | None:
    """The coefficients of sigmoid-calibrated binary linear classifiers, else ``None``."""
    if not isinstance(model, CalibratedClassifierCV) or list(model.classes_) != [0, 1]:
        return None
    parts = []
    for calibrated in model.calibrated_classifiers_:
        estimator, calibrators = calibrated.estimator, calibrated.calibrators
        coef = getattr(estimator, "coef_", None)
        if (
            calibrated.method != "sigmoid"
            or len(calibrators) != 1
            or coef is None
            or coef.shape[0] != 1
            or type(calibrators[0]).__name__ != "_SigmoidCalibration"
        ):
            return None
        parts.append((coef.T, estimator.intercept_, calibrators[0].a_, calibrators[0].b_))
    return tuple(parts) or None
