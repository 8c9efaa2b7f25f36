"""What a case event does to its case's screening: stale, unchanged, or a new verdict due.

Case events carry their order key ``(revision, report_count)``; a redelivered or late event
never replaces the verdict standing, and an event whose screening says the same as its
revision's verdict publishes nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID


@dataclass(frozen=True, slots=True)
class CaseScreening:
    """The last case state screened, and the verdict that stands for its revision."""

    case_id: UUID
    revision: int
    report_count: int
    case_event_id: UUID
    verdict_id: UUID
    fingerprint: str
    screened_at: datetime


@dataclass(frozen=True, slots=True)
class CaseState:
    """A case event's identity and order key, as a screening sees it."""

    case_id: UUID
    revision: int
    report_count: int
    event_id: UUID


class Outcome(Enum):
    """What a case event does to the verdict standing."""

    STALE = "stale"  # a redelivery, or an older state arriving late
    UNCHANGED = "unchanged"  # same revision, and the screening says the same
    NEW = "new"  # a verdict is due


def judge(last: CaseScreening | None, state: CaseState, *, fingerprint: str) -> Outcome:
    """Whether ``state``, screened to ``fingerprint``, needs a new verdict after ``last``."""
    if last is None:
        return Outcome.NEW
    if (state.revision, state.report_count) <= (last.revision, last.report_count):
        return Outcome.STALE
    if last.revision == state.revision and last.fingerprint == fingerprint:
        return Outcome.UNCHANGED
    return Outcome.NEW


def screened(
    state: CaseState, *, verdict_id: UUID, fingerprint: str, now: datetime
) -> CaseScreening:
    """The screening state ``state`` leaves behind, its standing verdict ``verdict_id``."""
    return CaseScreening(
        case_id=state.case_id,
        revision=state.revision,
        report_count=state.report_count,
        case_event_id=state.event_id,
        verdict_id=verdict_id,
        fingerprint=fingerprint,
        screened_at=now,
    )
