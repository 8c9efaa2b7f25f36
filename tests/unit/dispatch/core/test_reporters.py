"""Reporter trust weights: learnt from outcomes, bounded, fading back to neutral."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dispatch.core.reporters import (
    DEFAULT_POLICY,
    ReportOutcome,
    TrustPolicy,
    current_weight,
    updated_weight,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_false_report_lowers_and_a_confirmed_one_raises() -> None:
    assert updated_weight(1.0, ReportOutcome.NO_VIOLATION, T0, T0) < 1.0
    assert updated_weight(1.0, ReportOutcome.CONFIRMED, T0, T0) > 1.0


def test_a_false_report_costs_more_than_a_true_one_earns() -> None:
    down = 1.0 - updated_weight(1.0, ReportOutcome.NO_VIOLATION, T0, T0)
    up = updated_weight(1.0, ReportOutcome.CONFIRMED, T0, T0) - 1.0
    assert down > up


@pytest.mark.parametrize("outcome", list(ReportOutcome))
def test_weights_stay_within_bounds(outcome: ReportOutcome) -> None:
    weight = 1.0
    for _ in range(100):
        weight = updated_weight(weight, outcome, T0, T0)
        assert 0.1 <= weight <= 1.5
    assert weight in (0.1, 1.5)


@pytest.mark.parametrize("weight", [0.1, 0.4, 1.3, 1.5])
def test_a_weight_decays_halfway_to_neutral_per_half_life(weight: float) -> None:
    later = T0 + DEFAULT_POLICY.half_life
    assert current_weight(weight, T0, later) == pytest.approx(1.0 + (weight - 1.0) / 2)
    assert current_weight(weight, T0, T0 + 20 * DEFAULT_POLICY.half_life) == pytest.approx(
        1.0, abs=1e-5
    )


def test_no_decay_without_time_or_backwards() -> None:
    assert current_weight(0.4, T0, T0) == 0.4
    assert current_weight(0.4, T0, T0 - timedelta(days=3)) == 0.4


def test_an_update_applies_to_the_decayed_weight() -> None:
    policy = TrustPolicy(half_life=timedelta(days=10), penalty=0.2)
    later = T0 + timedelta(days=10)
    assert updated_weight(0.5, ReportOutcome.NO_VIOLATION, T0, later, policy) == pytest.approx(
        0.75 - 0.2
    )


def test_a_stored_weight_out_of_bounds_is_clamped() -> None:
    assert current_weight(7.0, T0, T0) == 1.5
    assert current_weight(-1.0, T0, T0) == 0.1


@pytest.mark.parametrize(
    "kwargs",
    [{"floor": 0.0}, {"ceiling": 0.9}, {"penalty": -0.1}, {"half_life": timedelta(0)}],
)
def test_bad_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        TrustPolicy(**kwargs)  # type: ignore[arg-type]
