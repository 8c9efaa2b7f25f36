"""What a case's rank is computed from besides its verdict, and the rank itself (pure).

A case's urgency depends on its reporters' trust weights, its own reports (how many, since
when) and surge signals about its subject, which can all arrive after its verdict. Intake
ranks a case when a verdict arrives; the reports and surge consumers rank the waiting cases
they touch again. A case keeps its ``opened_at`` through all of it: only its head start moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.dispatch.core.priority import (
    PriorityInputs,
    SurgeSignal,
    rank_at,
    urgency,
    velocity,
)
from shared.events.screening import Severity
from shared.events.surge import SurgeKind


@dataclass(frozen=True, slots=True)
class Crowd:
    """The inputs of a case that come from outside its verdict."""

    reporter_weight: float
    viral: int = 0
    coordinated: int = 0

    def surges(self) -> tuple[SurgeSignal, ...]:
        """The surge part of the priority inputs."""
        return (
            SurgeSignal(SurgeKind.VIRAL, self.viral),
            SurgeSignal(SurgeKind.COORDINATED, self.coordinated),
        )


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a case revision's own reports say: its crowd, its size and when it began."""

    #: The sum of the distinct reporters' trust weights, decayed to now.
    reporter_weight: float
    #: Reports and distinct reporters stored so far (they may arrive after the verdict).
    reports: int
    reporters: int
    #: The first report's time, if any report arrived.
    first_reported_at: datetime | None

    def velocity(self, report_count: int, opened_at: datetime, now: datetime) -> float:
        """Reports per hour over the case's own life: since its first report, or its opening."""
        first = opened_at
        if self.first_reported_at is not None:
            first = min(first, self.first_reported_at)
        return velocity(max(report_count, self.reports), min(first, now), now)


@dataclass(frozen=True, slots=True)
class Rank:
    """A case's place in the queue and what it was computed from."""

    urgency: float
    rank_at: datetime
    reports_per_hour: float
    crowd: Crowd
    facts: CaseFacts


def rank(
    *,
    severity: Severity,
    confidence: float,
    report_count: int,
    opened_at: datetime,
    facts: CaseFacts,
    surges: tuple[int, int],
    now: datetime,
) -> Rank:
    """The rank of a case: its verdict's severity and confidence, its facts and surges."""
    crowd = Crowd(facts.reporter_weight, *surges)
    per_hour = facts.velocity(report_count, opened_at, now)
    inputs = PriorityInputs(
        severity=severity,
        confidence=min(max(confidence, 0.0), 1.0),
        reporter_weights=(crowd.reporter_weight,),
        reports_per_hour=per_hour,
        opened_at=opened_at,
        surges=crowd.surges(),
    )
    return Rank(urgency(inputs), rank_at(inputs), per_hour, crowd, facts)
