"""The review-queue priority of a case: one number in [0, 100], higher first.

How it is built, and why:

- **harm** = severity weight x (0.5 + 0.5 x confidence), in (0, 1]. Severity leads: a
  critical case with one report outranks spam with a thousand. Low model confidence halves
  the harm at most, since reporters may see what the models miss.
- **crowd**, in [0, 1): trusted reporters (the sum of the distinct reporters' trust
  weights), report velocity (reports per hour over the case's life) and ``viral`` surge
  signals, each through a saturating curve ``x / (x + half)``. A ``coordinated`` surge
  signal divides the reporter and velocity parts by ``1 + count / half``: a mass-reporting
  campaign must not push its target up the queue. It never lowers harm.
- **urgency** = harm x (0.5 + 0.5 x crowd): the crowd can almost double harm, never more,
  so the order of severities mostly holds. (Reach, a subject's followers or members, is not
  part of it: no event tells dispatch a subject's audience.)
- **age**: urgency buys a head start in time, ``head_start = 7 days x urgency``, and the
  queue serves cases by ``rank_at = opened_at - head_start``, earliest first. A fresh
  critical case (urgency about 0.5) ranks as if it had waited three and a half days; spam
  (about 0.1) as if it had waited half a day. A case keeps its ``opened_at`` through every
  new verdict and report: re-ranking changes its head start, never its age. Waiting moves
  every case toward the front at the same speed, so however low its urgency, a case
  eventually overtakes any fresh case:
  nothing starves. ``rank_at`` does not change while a case waits, so an index serves the
  queue in this order (one index step per ``next_case``, not a sort of the whole queue).
- **priority**, for people and dashboards, is the same order as a number:
  ``100 x e / (e + 48 h)`` with ``e = now - rank_at`` (the case's age plus its head start).

Monotone: priority never falls when severity, confidence, a reporter's weight, the number of
reporters, velocity, a viral count or age grows, and never rises when a coordinated count
grows. Velocity is an input, not derived inside, so "older" means only "waited longer";
``velocity`` computes it from a case's report count over its own life (since its first
report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.screening import Severity
from shared.events.surge import SurgeKind

PRIORITY_MAX = 100.0

_SEVERITY_WEIGHT = {
    Severity.LOW: 0.25,
    Severity.MEDIUM: 0.5,
    Severity.HIGH: 0.75,
    Severity.CRITICAL: 1.0,
}
#: Where each saturating part reaches one half.
_REPORTERS_HALF = 3.0  # trust-weighted distinct reporters
_VELOCITY_HALF = 10.0  # reports per hour
_VIRAL_HALF = 50.0  # reports in viral bursts
_COORDINATED_HALF = 20.0  # reports in coordinated bursts: halves the crowd part
#: The head start of an urgency of 1: the wait that a maximally urgent case skips.
HEAD_START_MAX = timedelta(days=7)
#: The effective age at which the displayed priority is 50 (the queue's SQL uses it).
AGE_HALF = timedelta(hours=48)
#: A case younger than this counts as this old for velocity: a first report is not a
#: burst of thousands per hour.
MIN_LIFE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SurgeSignal:
    """What priority needs of a surge: its kind and the number of reports in the burst."""

    kind: SurgeKind
    count: int

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("a surge count is not negative")


@dataclass(frozen=True, slots=True)
class PriorityInputs:
    """What the priority of a case depends on."""

    severity: Severity
    confidence: float
    #: The current trust weight of each distinct reporter.
    reporter_weights: tuple[float, ...]
    reports_per_hour: float
    opened_at: datetime
    surges: tuple[SurgeSignal, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError("confidence is in [0, 1]")
        if any(w < 0 for w in self.reporter_weights):
            raise ValueError("a reporter weight is not negative")
        if self.reports_per_hour < 0:
            raise ValueError("velocity is not negative")


def velocity(report_count: int, first_reported_at: datetime, now: datetime) -> float:
    """Reports per hour since the first report (the case's life, at least ``MIN_LIFE``)."""
    life = max(now - first_reported_at, MIN_LIFE)
    return report_count / (life / timedelta(hours=1))


def _saturate(x: float, half: float) -> float:
    return x / (x + half)


def _surge_count(inputs: PriorityInputs, kind: SurgeKind) -> int:
    return sum(s.count for s in inputs.surges if s.kind is kind)


def urgency(inputs: PriorityInputs) -> float:
    """Priority before ageing, in (0, 1)."""
    harm = _SEVERITY_WEIGHT[inputs.severity] * (0.5 + 0.5 * inputs.confidence)
    discount = 1.0 / (1.0 + _surge_count(inputs, SurgeKind.COORDINATED) / _COORDINATED_HALF)
    crowd = (
        0.5 * discount * _saturate(sum(inputs.reporter_weights), _REPORTERS_HALF)
        + 0.3 * discount * _saturate(inputs.reports_per_hour, _VELOCITY_HALF)
        + 0.2 * _saturate(_surge_count(inputs, SurgeKind.VIRAL), _VIRAL_HALF)
    )
    return harm * (0.5 + 0.5 * crowd)


def head_start(u: float) -> timedelta:
    """The wait an urgency ``u`` skips in the queue."""
    return HEAD_START_MAX * u


def rank_at(inputs: PriorityInputs) -> datetime:
    """The queue's sort key: earlier is served first; fixed while the case waits."""
    return inputs.opened_at - head_start(urgency(inputs))


def priority_of_rank(rank: datetime, now: datetime) -> float:
    """The priority in [0, 100) of a case ranked at ``rank``, at ``now``."""
    effective = max(now - rank, timedelta(0))
    return PRIORITY_MAX * (effective / (effective + AGE_HALF))


def priority(inputs: PriorityInputs, now: datetime) -> float:
    """The queue priority of a case at ``now``, in [0, 100); see the module notes.

    A case opened after ``now`` (a clock ahead of ours) counts as opened now.
    """
    opened = min(inputs.opened_at, now)
    return priority_of_rank(opened - head_start(urgency(inputs)), now)


#: Lower bounds of the bands, highest first. A fresh critical case with a confident
#: screening lands in P0; fresh spam in P3.
BANDS = (("P0", 60.0), ("P1", 45.0), ("P2", 30.0))


def priority_band(p: float) -> str:
    """A coarse label for metrics and dashboards: P0 (most urgent) to P3."""
    for band, lower in BANDS:
        if p >= lower:
            return band
    return "P3"
