"""When each request must be answered, and how long a preservation order holds data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.legal import Instrument, LegalRequest


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """The deadlines the law leaves to the platform (configuration)."""

    #: A French réquisition is answered "dans les meilleurs délais" (CPP art. 60-1): no
    #: number in the law, so the platform sets one. The Code has no emergency form of it: an
    #: emergency goes through the emergency disclosure request.
    fr_requisition: timedelta
    #: An emergency disclosure request (platform policy; the EU emergency EPOC is 8 hours).
    emergency_disclosure: timedelta


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a request is due, and where that comes from."""

    due_at: datetime
    article: str


_EPOC = "Regulation (EU) 2023/1543"
#: The instruments that provide for an emergency: only they get its deadline and the front
#: of the officers' queue. An EPOC in an emergency is answered within 8 hours (Regulation
#: (EU) 2023/1543 art. 10(4)); an emergency disclosure request is one by definition.
EMERGENCY_INSTRUMENTS = frozenset({Instrument.EU_EPOC, Instrument.EMERGENCY_DISCLOSURE})
EPOC_DEADLINE = timedelta(days=10)  # Regulation (EU) 2023/1543 art. 10(2)
EPOC_EMERGENCY_DEADLINE = timedelta(hours=8)  # Regulation (EU) 2023/1543 art. 10(4)
#: European Preservation Order: 60 days (art. 11(1)), extendable once by 30 days.
EPOC_PR_PERIOD = timedelta(days=60)
EPOC_PR_EXTENSION = timedelta(days=30)
#: French preservation: at most one year (CPP art. 60-2).
FR_PRESERVATION_MAX = timedelta(days=365)


def deadline_for(request: LegalRequest, policy: DeadlinePolicy) -> Deadline:
    """The request's deadline, counted from its receipt."""
    received = request.received_at
    match request.instrument:
        case Instrument.EU_EPOC if request.emergency:
            return Deadline(
                received + EPOC_EMERGENCY_DEADLINE, "Regulation (EU) 2023/1543 art. 10(4)"
            )
        case Instrument.EU_EPOC:
            return Deadline(received + EPOC_DEADLINE, f"{_EPOC} art. 10(2)")
        case Instrument.EU_EPOC_PR:
            # "Without undue delay": preserve at once.
            return Deadline(received, f"{_EPOC} art. 11(1)")
        case Instrument.FR_CPP_60_2:
            return Deadline(received, "CPP art. 60-2 (sans délai)")
        case Instrument.EMERGENCY_DISCLOSURE:
            return Deadline(received + policy.emergency_disclosure, "platform policy")
        case _:
            # Also when the réquisition says it is urgent: CPP art. 60-1 has no emergency form.
            return Deadline(
                received + policy.fr_requisition, "CPP art. 60-1 (dans les meilleurs délais)"
            )


def is_emergency(request: LegalRequest) -> bool:
    """Whether the request is an emergency the law (or policy) provides for."""
    return request.emergency and request.instrument in EMERGENCY_INSTRUMENTS


def preservation_ends(
    instrument: Instrument, *, starts_at: datetime, extended: bool = False
) -> datetime | None:
    """When a preservation order stops protecting data from retention (None: not one).

    A French order states its own end (up to a year); this is the latest it can be.
    """
    if instrument is Instrument.EU_EPOC_PR:
        return starts_at + EPOC_PR_PERIOD + (EPOC_PR_EXTENSION if extended else timedelta())
    if instrument is Instrument.FR_CPP_60_2:
        return starts_at + FR_PRESERVATION_MAX
    return None
