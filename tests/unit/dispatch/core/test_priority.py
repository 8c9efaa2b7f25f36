"""Queue priority: bounded, monotone in each input as documented, and ageing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from services.dispatch.core.priority import (
    PRIORITY_MAX,
    PriorityInputs,
    SurgeSignal,
    priority,
    priority_band,
    priority_of_rank,
    rank_at,
    velocity,
)
from shared.events.screening import Severity
from shared.events.surge import SurgeKind

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SEVERITIES = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]

BASE = PriorityInputs(
    severity=Severity.MEDIUM,
    confidence=0.5,
    reporter_weights=(1.0, 1.0),
    reports_per_hour=2.0,
    opened_at=NOW - timedelta(hours=1),
)

LOWEST = PriorityInputs(
    severity=Severity.LOW,
    confidence=0.0,
    reporter_weights=(),
    reports_per_hour=0.0,
    opened_at=NOW,
    surges=(SurgeSignal(SurgeKind.COORDINATED, 10**9),),
)
HIGHEST = PriorityInputs(
    severity=Severity.CRITICAL,
    confidence=1.0,
    reporter_weights=(1.5,) * 10_000,
    reports_per_hour=1e9,
    opened_at=NOW - timedelta(days=3650),
    surges=(SurgeSignal(SurgeKind.VIRAL, 10**9),),
)


def _increasing(values: list[float]) -> bool:
    return all(a < b for a, b in pairwise(values))


def _decreasing(values: list[float]) -> bool:
    return all(a > b for a, b in pairwise(values))


def _scores(variants: list[PriorityInputs]) -> list[float]:
    return [priority(v, NOW) for v in variants]


@pytest.mark.parametrize("inputs", [BASE, LOWEST, HIGHEST])
def test_priority_is_bounded(inputs: PriorityInputs) -> None:
    assert 0.0 <= priority(inputs, NOW) <= PRIORITY_MAX


@pytest.mark.parametrize("base", [BASE, LOWEST, replace(BASE, severity=Severity.CRITICAL)])
def test_monotone_in_severity(base: PriorityInputs) -> None:
    assert _increasing(_scores([replace(base, severity=s) for s in SEVERITIES]))


@pytest.mark.parametrize("base", [BASE, LOWEST])
def test_monotone_in_confidence(base: PriorityInputs) -> None:
    levels = [0.0, 0.3, 0.7, 1.0]
    assert _increasing(_scores([replace(base, confidence=c) for c in levels]))


def test_more_reporters_and_more_trusted_reporters_raise() -> None:
    counts = [replace(BASE, reporter_weights=(1.0,) * n) for n in (0, 1, 2, 5, 50)]
    assert _increasing(_scores(counts))
    trust = [replace(BASE, reporter_weights=(w, 1.0)) for w in (0.1, 0.5, 1.0, 1.5)]
    assert _increasing(_scores(trust))


def test_a_discounted_reporter_counts_less_than_a_neutral_one() -> None:
    abusive = replace(BASE, reporter_weights=(0.1,) * 10)
    neutral = replace(BASE, reporter_weights=(1.0,) * 10)
    assert priority(abusive, NOW) < priority(neutral, NOW)


def test_monotone_in_velocity() -> None:
    rates = [0.0, 1.0, 10.0, 100.0, 10_000.0]
    assert _increasing(_scores([replace(BASE, reports_per_hour=r) for r in rates]))


def test_viral_signals_raise_and_coordinated_ones_discount() -> None:
    viral = [replace(BASE, surges=(SurgeSignal(SurgeKind.VIRAL, n),)) for n in (0, 10, 100, 1000)]
    assert _increasing(_scores(viral))
    coordinated = [
        replace(BASE, surges=(SurgeSignal(SurgeKind.COORDINATED, n),)) for n in (0, 10, 100, 1000)
    ]
    assert _decreasing(_scores(coordinated))


def test_a_coordinated_campaign_never_lowers_harm_below_its_floor() -> None:
    campaign = replace(
        BASE,
        reporter_weights=(1.0,) * 500,
        reports_per_hour=500.0,
        surges=(SurgeSignal(SurgeKind.COORDINATED, 10**9),),
    )
    alone = replace(BASE, reporter_weights=(), reports_per_hour=0.0)
    assert priority(campaign, NOW) >= priority(alone, NOW)


def test_older_cases_rise() -> None:
    ages = [timedelta(0), timedelta(minutes=30), timedelta(hours=6), timedelta(days=3)]
    assert _increasing(_scores([replace(BASE, opened_at=NOW - a) for a in ages]))


def test_a_case_opened_in_the_future_counts_as_new() -> None:
    assert priority(replace(BASE, opened_at=NOW + timedelta(hours=1)), NOW) == priority(
        replace(BASE, opened_at=NOW), NOW
    )


def test_nothing_starves() -> None:
    # A fresh, viral critical case: near the top, yet below 100.
    fresh_critical = PriorityInputs(
        severity=Severity.CRITICAL,
        confidence=1.0,
        reporter_weights=(1.0,) * 100,
        reports_per_hour=100.0,
        opened_at=NOW,
        surges=(SurgeSignal(SurgeKind.VIRAL, 100),),
    )
    old_low = replace(LOWEST, opened_at=NOW - timedelta(days=60))
    assert priority(old_low, NOW) > priority(fresh_critical, NOW)
    # And an ordinary fresh case is overtaken within days.
    two_days = replace(LOWEST, opened_at=NOW - timedelta(days=2))
    assert priority(two_days, NOW) > priority(replace(BASE, opened_at=NOW), NOW)


def test_severity_leads_over_crowds() -> None:
    critical_alone = PriorityInputs(
        severity=Severity.CRITICAL,
        confidence=1.0,
        reporter_weights=(1.0,),
        reports_per_hour=1.0,
        opened_at=NOW,
    )
    spam_crowd = replace(critical_alone, severity=Severity.LOW, reporter_weights=(1.0,) * 1000)
    assert priority(critical_alone, NOW) > priority(spam_crowd, NOW)


@pytest.mark.parametrize(
    ("p", "band"),
    [
        (100.0, "P0"),
        (60.0, "P0"),
        (59.9, "P1"),
        (45.0, "P1"),
        (30.0, "P2"),
        (29.9, "P3"),
        (0, "P3"),
    ],
)
def test_priority_band(p: float, band: str) -> None:
    assert priority_band(p) == band


def test_a_fresh_confident_critical_case_is_p0() -> None:
    critical = replace(BASE, severity=Severity.CRITICAL, confidence=1.0, opened_at=NOW)
    assert priority_band(priority(critical, NOW)) == "P0"


def test_fresh_spam_is_p3() -> None:
    spam = replace(LOWEST, surges=(), reporter_weights=(1.0,), opened_at=NOW)
    assert priority_band(priority(spam, NOW)) == "P3"


def test_the_rank_orders_cases_as_the_priority_does_at_any_time() -> None:
    cases = [
        BASE,
        LOWEST,
        replace(BASE, severity=Severity.CRITICAL, opened_at=NOW),
        replace(LOWEST, opened_at=NOW - timedelta(days=5)),
        replace(BASE, reporter_weights=(0.1,), opened_at=NOW - timedelta(hours=30)),
    ]
    by_rank = sorted(cases, key=rank_at)
    for later in (timedelta(0), timedelta(hours=3), timedelta(days=4)):
        when = NOW + later
        scores = [priority(c, when) for c in by_rank]
        assert scores == sorted(scores, reverse=True)
        assert [priority_of_rank(rank_at(c), when) for c in by_rank] == pytest.approx(scores)


def test_velocity_over_the_case_life() -> None:
    assert velocity(12, NOW - timedelta(hours=4), NOW) == pytest.approx(3.0)
    # A brand-new case counts as a quarter of an hour old, not as an infinite burst.
    assert velocity(1, NOW, NOW) == pytest.approx(4.0)


@pytest.mark.parametrize(
    "change",
    [
        {"confidence": 1.5},
        {"confidence": -0.1},
        {"reporter_weights": (-1.0,)},
        {"reports_per_hour": -1.0},
    ],
)
def test_nonsense_inputs_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        replace(BASE, **change)  # type: ignore[arg-type]


def test_a_negative_surge_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        SurgeSignal(SurgeKind.VIRAL, -1)
