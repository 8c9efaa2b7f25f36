"""What the report is computed from: one record per request, with its audit trail.

A record is read from the request's row, its sealed body and the audit chain. Records hold
codes, counts and times, never a personal value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from services.legal.core import lifecycle
from shared.events.legal import DataCategory, Instrument

#: Preservation orders are counted apart (CPP art. 60-2; Regulation 2023/1543 EPOC-PR).
PRESERVATION = frozenset({Instrument.FR_CPP_60_2, Instrument.EU_EPOC_PR})

#: States of a request that was answered with a package or with no data.
ANSWERED = lifecycle.PACKAGED | {lifecycle.RequestState.NO_DATA}


class Outcome(StrEnum):
    """What became of a request, one per request."""

    DATA_DISCLOSED = "data_disclosed"
    NO_DATA = "no_data"
    REFUSED = "refused"
    PRESERVED = "preserved"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class PackageFacts:
    """A ``package_built`` entry's details: counts of rows, never the rows."""

    no_data: bool
    phone_numbers: int = 0
    sessions: int = 0


@dataclass(frozen=True, slots=True)
class TrailFacts:
    """What the audit chain says about one request."""

    received: bool = False
    #: The authority whose signature was verified (the actor of ``signature_verified``).
    verified_by: str | None = None
    #: Codes of the ``checks_refused`` entry, or of an officer's ``refused`` entry; None
    #: when there is neither.
    refused_codes: tuple[str, ...] | None = None
    #: A ``checks_refused`` entry written by the portal: the body was not a request.
    invalid_at: datetime | None = None
    package: PackageFacts | None = None
    package_at: datetime | None = None
    preserved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request received in the period, opened and joined with its trail."""

    request_id: str
    country: str
    instrument: Instrument
    emergency: bool
    state: str
    received_at: datetime
    checked_at: datetime | None
    #: A keyed digest of (target kind, target value), the key made for this run only:
    #: enough to count distinct accounts, and no way back to the value.
    target: bytes = field(repr=False)
    non_disclosure: bool
    refusal_codes: tuple[str, ...]
    #: The approved scope's categories: the narrowed ones, else those asked for.
    approved_categories: frozenset[DataCategory]
    trail: TrailFacts

    @property
    def preservation(self) -> bool:
        """Whether it is a preservation order (counted apart)."""
        return self.instrument in PRESERVATION


@dataclass(frozen=True, slots=True)
class PortalRefusal:
    """A submission the portal refused before it became a request (bad signature or body)."""

    country: str
    code: str
