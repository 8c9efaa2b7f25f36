"""What the detector knows of each reporter: when it first saw them, what else they reported.

Updated by the reporter stage (records partitioned by reporter). Every update is a minimum
or a maximum, so a report delivered twice leaves the state as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Most other subjects remembered per reporter (the most recent ones).
MAX_SUBJECTS = 32


@dataclass(slots=True)
class ReporterState:
    """One reporter: first report seen, and the subjects reported recently (fp -> last time)."""

    first_seen: int
    subjects: dict[int, int] = field(default_factory=dict)

    def to_wire(self) -> list[Any]:
        """A JSON-ready form (the changelog's)."""
        return [self.first_seen, list(self.subjects.items())]  # pairs: JSON arrays

    @classmethod
    def from_wire(cls, wire: list[Any]) -> ReporterState:
        """The state :meth:`to_wire` wrote."""
        return cls(wire[0], dict(wire[1]))


@dataclass(frozen=True, slots=True)
class Seen:
    """What a report says about its reporter: new or not, other subjects reported before."""

    new: bool
    others: tuple[int, ...]


def observe(
    state: ReporterState | None,
    *,
    subject: int,
    at: int,
    watched_since: int,
    new_seconds: int,
    coreport_seconds: int,
) -> tuple[ReporterState, Seen]:
    """Fold one report of ``subject`` at ``at`` into ``state``; say what it shows.

    A reporter is new when first seen less than ``new_seconds`` before the report, and the
    detector had been watching (since ``watched_since``) for ``new_seconds`` already when it
    first saw them: on a fresh deployment nobody is new, as nobody could have been seen.
    The other subjects are those reported at most ``coreport_seconds`` before ``at``.
    """
    if state is None:
        state = ReporterState(first_seen=at)
    else:
        state.first_seen = min(state.first_seen, at)
    new = at - state.first_seen < new_seconds and state.first_seen - watched_since >= new_seconds
    others = tuple(
        sorted(
            s
            for s, t in state.subjects.items()
            if s != subject and t <= at and at - t <= coreport_seconds
        )
    )
    state.subjects[subject] = max(at, state.subjects.get(subject, at))
    if len(state.subjects) > MAX_SUBJECTS:
        for s, _t in sorted(state.subjects.items(), key=lambda item: item[1])[:-MAX_SUBJECTS]:
            del state.subjects[s]
    return state, Seen(new=new, others=others)


def expired(state: ReporterState, *, now: int, retention_seconds: int) -> bool:
    """Whether the reporter has been inactive long enough to be forgotten."""
    last = max(state.subjects.values(), default=state.first_seen)
    return now - last > retention_seconds
