"""A legal request's lifecycle: one enum of states and the one transition function.

received → accepted or refused → (narrowed) → prepared → approved → package ready or no data
→ downloaded or link expired; a preservation order goes approved → preserving → preservation
ended. An officer may refuse a request until it is approved. PostgreSQL enforces the same
transitions (``migrations/0008_lifecycle.sql``, checked against :data:`TRANSITIONS` by a
test), so that no writer, the service's own role included, can skip a step.
"""

from __future__ import annotations

from enum import StrEnum


class RequestState(StrEnum):
    """Where a request stands."""

    RECEIVED = "received"
    """Verified and stored by the portal; its legal checks have not run yet."""
    ACCEPTED = "accepted"
    """The law's checks passed."""
    REFUSED = "refused"
    """The checks or an officer refused it (an answer)."""
    NARROWED = "narrowed"
    """An officer (or the retention limit) narrowed its scope."""
    PREPARED = "prepared"
    """A first officer prepared it for approval."""
    APPROVED = "approved"
    """A second, different officer approved it (an answer)."""
    PACKAGE_READY = "package_ready"
    """The package is built and waits for the authority."""
    NO_DATA = "no_data"
    """The platform holds nothing on the target."""
    DOWNLOADED = "downloaded"
    """The authority took its package (erased from the platform)."""
    LINK_EXPIRED = "link_expired"
    """The package's link expired before the authority took it."""
    PRESERVING = "preserving"
    """A preservation order holds the account's data against retention."""
    PRESERVATION_ENDED = "preservation_ended"
    """The order ran out or was lifted."""


S = RequestState
#: Every allowed change of state (a narrowed request may be narrowed again).
TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    S.RECEIVED: frozenset({S.ACCEPTED, S.REFUSED}),
    S.ACCEPTED: frozenset({S.NARROWED, S.PREPARED, S.REFUSED}),
    S.NARROWED: frozenset({S.NARROWED, S.PREPARED, S.REFUSED}),
    S.PREPARED: frozenset({S.APPROVED, S.REFUSED}),
    S.APPROVED: frozenset({S.PACKAGE_READY, S.NO_DATA, S.PRESERVING}),
    S.PACKAGE_READY: frozenset({S.DOWNLOADED, S.LINK_EXPIRED}),
    S.PRESERVING: frozenset({S.PRESERVATION_ENDED}),
    S.REFUSED: frozenset(),
    S.NO_DATA: frozenset(),
    S.DOWNLOADED: frozenset(),
    S.LINK_EXPIRED: frozenset(),
    S.PRESERVATION_ENDED: frozenset(),
}
#: States in which officers may still narrow, prepare or refuse (the request is open).
OPEN = frozenset({S.ACCEPTED, S.NARROWED, S.PREPARED})
#: States that answer the request: its deadline's clock stops on entering one.
ANSWERING = frozenset({S.REFUSED, S.APPROVED})
#: States in which a package was built (counted as disclosed when it held data).
PACKAGED = frozenset({S.PACKAGE_READY, S.DOWNLOADED, S.LINK_EXPIRED})


class TransitionRefusedError(ValueError):
    """A change of state the lifecycle does not allow; ``code`` for the caller."""

    def __init__(self, current: RequestState, wanted: RequestState) -> None:
        super().__init__(f"a request that is {current.value} cannot become {wanted.value}")
        self.current = current
        self.wanted = wanted
        self.code = "wrong_state"


def may_move(current: RequestState, wanted: RequestState) -> bool:
    """Whether the lifecycle allows ``current`` → ``wanted``."""
    return wanted in TRANSITIONS[current]


def move(current: RequestState, wanted: RequestState) -> RequestState:
    """``wanted``, if the lifecycle allows it from ``current``; else TransitionRefusedError."""
    if not may_move(current, wanted):
        raise TransitionRefusedError(current, wanted)
    return wanted


def answered(wanted: RequestState) -> bool:
    """Whether entering ``wanted`` answers the request (its deadline's clock stops)."""
    return wanted in ANSWERING
