"""How much a reporter's reports count: a trust weight learnt from how their cases ended.

Every reporter starts at 1.0. A report whose case ends as ``no_violation`` lowers the weight,
a confirmed violation raises it; the weight stays in [0.1, 1.5] and drifts back toward 1.0
with a half-life, so a past mistake (or a past streak of good reports) fades. The floor is
above zero on purpose: an abusive reporter is discounted, never silenced, since even they
can report real harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

NEUTRAL_WEIGHT = 1.0


class ReportOutcome(StrEnum):
    """How the case a report joined ended, as far as the reporter is concerned."""

    CONFIRMED = "confirmed"
    NO_VIOLATION = "no_violation"


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """The tuning of reporter weights (configuration)."""

    floor: float = 0.1
    ceiling: float = 1.5
    #: A false report costs more than a true one earns: abuse is discounted fast, trust is
    #: earned slowly.
    penalty: float = 0.15
    reward: float = 0.05
    half_life: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if not 0 < self.floor <= NEUTRAL_WEIGHT <= self.ceiling:
            raise ValueError("the weights need 0 < floor <= 1.0 <= ceiling")
        if self.penalty < 0 or self.reward < 0:
            raise ValueError("penalty and reward are not negative")
        if self.half_life <= timedelta(0):
            raise ValueError("the half-life must be positive")


DEFAULT_POLICY = TrustPolicy()


def current_weight(
    weight: float, last_update: datetime, now: datetime, policy: TrustPolicy = DEFAULT_POLICY
) -> float:
    """The weight now, decayed toward 1.0 since ``last_update`` (halfway per half-life)."""
    elapsed = max(now - last_update, timedelta(0))  # a clock step backwards decays nothing
    remaining = 0.5 ** (elapsed / policy.half_life)
    decayed = NEUTRAL_WEIGHT + (weight - NEUTRAL_WEIGHT) * remaining
    return _clamp(decayed, policy)


def updated_weight(
    weight: float,
    outcome: ReportOutcome,
    last_update: datetime,
    now: datetime,
    policy: TrustPolicy = DEFAULT_POLICY,
) -> float:
    """The weight after a case the reporter reported ended with ``outcome`` at ``now``.

    The stored weight is first decayed to ``now``, then moved; store the result with ``now``
    as its new ``last_update``.
    """
    base = current_weight(weight, last_update, now, policy)
    step = policy.reward if outcome is ReportOutcome.CONFIRMED else -policy.penalty
    return _clamp(base + step, policy)


def _clamp(weight: float, policy: TrustPolicy) -> float:
    return min(max(weight, policy.floor), policy.ceiling)
