"""Legal-request figures: request records aggregated per country and instrument (pure).

A request counts in the period it was received in, with its outcome as the data read says.
Preservation orders get their own figures beside the other requests, never inside them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from services.legal.core.lifecycle import PACKAGED
from services.legal.core.model import RefusalCode, RefusalGround
from services.legal.transparency.records import (
    ANSWERED,
    Outcome,
    PortalRefusal,
    RequestRecord,
)
from services.legal.transparency.trail import INVALID_REQUEST
from shared.events.legal import DataCategory

#: Data types a report breaks disclosures down by. The identity store holds no traffic data
#: beyond identification (``package.minimise``), so ``traffic`` is listed and stays at 0.
DATA_TYPES = (DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION, DataCategory.TRAFFIC)
#: The ground of a submission whose body was not a request at all.
MALFORMED = "malformed_request"


def median(values: Iterable[float]) -> float | None:
    """The median (the mean of the middle two for an even count), or None for no values."""
    ordered = list(values)
    return round(statistics.median(ordered), 3) if ordered else None


def share(part: int, whole: int) -> float | None:
    """``part / whole`` to four decimals; None when there is no whole."""
    return round(part / whole, 4) if whole else None


def ground_of(code: str) -> str:
    """The transparency ground of a refusal code (``RefusalCode.ground``)."""
    if code == INVALID_REQUEST:
        return MALFORMED
    try:
        return RefusalCode(code).ground.value
    except ValueError:
        return "unclassified"


def types_disclosed(record: RequestRecord) -> frozenset[DataCategory]:
    """The data types a request's package held.

    Subscriber data whenever the approved scope has it (the account itself is in the
    package); identification data when the scope has it and at least one session went out.
    """
    package = record.trail.package
    if package is None or package.no_data or record.state not in PACKAGED:
        return frozenset()
    found = set()
    if DataCategory.SUBSCRIBER in record.approved_categories:
        found.add(DataCategory.SUBSCRIBER)
    if DataCategory.IDENTIFICATION in record.approved_categories and package.sessions > 0:
        found.add(DataCategory.IDENTIFICATION)
    return frozenset(found)


def outcome(record: RequestRecord) -> Outcome:
    """What became of the request, from its state and its trail."""
    if record.state == "refused":
        return Outcome.REFUSED
    if record.state == "no_data":
        return Outcome.NO_DATA
    if record.trail.package is not None and record.state in PACKAGED:
        return Outcome.DATA_DISCLOSED if types_disclosed(record) else Outcome.NO_DATA
    if record.trail.preserved_at is not None:
        return Outcome.PRESERVED
    return Outcome.PENDING


def complied_at(record: RequestRecord) -> datetime | None:
    """When the request was answered: its package (or no-data answer), or its preservation."""
    moments = [m for m in (record.trail.package_at, record.trail.preserved_at) if m is not None]
    return min(moments, default=None)


@dataclass(frozen=True, slots=True)
class RequestFigures:
    """The figures of one group of requests (a country, an instrument, or all)."""

    requests_received: int
    accounts_specified: int
    emergency_requests: int
    non_disclosure_orders: int
    outcomes: dict[str, int]
    share_with_data_disclosed: float | None
    refusals_by_code: dict[str, int]
    refusals_by_ground: dict[str, int]
    data_types_disclosed: dict[str, int]
    records_disclosed: dict[str, int]
    median_seconds_to_acknowledge: float | None
    median_seconds_to_comply: float | None


def request_figures(records: Sequence[RequestRecord]) -> RequestFigures:
    """Aggregate ``records``; each distinct refusal code or ground counts once per request."""
    outcomes = Counter(outcome(r) for r in records)
    codes: Counter[str] = Counter()
    grounds: Counter[str] = Counter(dict.fromkeys((g.value for g in RefusalGround), 0))
    types: Counter[str] = Counter(dict.fromkeys((t.value for t in DATA_TYPES), 0))
    rows = Counter({"phone_numbers": 0, "sessions": 0})
    for record in records:
        if record.state == "refused":
            codes.update(set(record.refusal_codes))
            grounds.update({ground_of(c) for c in record.refusal_codes})
        disclosed = types_disclosed(record)
        types.update(t.value for t in disclosed)
        package = record.trail.package
        if disclosed and package is not None:
            rows.update(phone_numbers=package.phone_numbers, sessions=package.sessions)
    disclosed_count = outcomes[Outcome.DATA_DISCLOSED]
    return RequestFigures(
        requests_received=len(records),
        accounts_specified=len({r.target for r in records}),
        emergency_requests=sum(r.emergency for r in records),
        non_disclosure_orders=sum(r.non_disclosure for r in records),
        outcomes={o.value: outcomes[o] for o in Outcome},
        share_with_data_disclosed=share(disclosed_count, len(records)),
        refusals_by_code=dict(sorted(codes.items())),
        refusals_by_ground=dict(sorted(grounds.items())),
        data_types_disclosed=dict(types),
        records_disclosed=dict(rows),
        median_seconds_to_acknowledge=median(
            (r.checked_at - r.received_at).total_seconds()
            for r in records
            if r.checked_at is not None
        ),
        median_seconds_to_comply=median(
            (done - r.received_at).total_seconds()
            for r in records
            if (done := complied_at(r)) is not None
        ),
    )


def _split(records: Sequence[RequestRecord]) -> dict[str, Any]:
    """Requests and preservation orders, each with its own figures."""
    return {
        "requests": asdict(request_figures([r for r in records if not r.preservation])),
        "preservation": asdict(request_figures([r for r in records if r.preservation])),
    }


def _grouped(
    records: Sequence[RequestRecord], key: Callable[[RequestRecord], str]
) -> dict[str, list[RequestRecord]]:
    groups: dict[str, list[RequestRecord]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    return dict(sorted(groups.items()))


def legal_section(
    records: Sequence[RequestRecord], portal: Sequence[PortalRefusal]
) -> dict[str, Any]:
    """The legal-request part of the report.

    Totals, per country (and its instruments), per instrument, and the submissions the
    portal refused before they were requests.
    """
    by_country = {
        country: {
            **_split(group),
            "by_instrument": {
                instrument: asdict(request_figures(members))
                for instrument, members in _grouped(group, lambda r: r.instrument.value).items()
            },
        }
        for country, group in _grouped(records, lambda r: r.country).items()
    }
    return {
        "total": _split(records),
        "by_country": by_country,
        "by_instrument": {
            instrument: asdict(request_figures(members))
            for instrument, members in _grouped(records, lambda r: r.instrument.value).items()
        },
        "refused_at_portal": portal_figures(portal),
    }


def portal_figures(portal: Sequence[PortalRefusal]) -> dict[str, Any]:
    """Submissions refused at the portal, by code, ground and country."""
    return {
        "total": len(portal),
        "by_code": dict(sorted(Counter(p.code for p in portal).items())),
        "by_ground": dict(sorted(Counter(ground_of(p.code) for p in portal).items())),
        "by_country": dict(sorted(Counter(p.country for p in portal).items())),
    }


def reconcile(records: Sequence[RequestRecord]) -> list[dict[str, str]]:
    """Where a request's row and its audit trail disagree (none, when the data is sound)."""
    problems: list[dict[str, str]] = []
    for record in records:
        trail, state = record.trail, record.state
        found = []
        if not trail.received:
            found.append("no received entry on the audit chain")
        if state == "refused" and trail.refused_codes is None:
            found.append("refused without a checks_refused or refused entry")
        elif state == "refused" and sorted(trail.refused_codes or ()) != sorted(
            record.refusal_codes
        ):
            found.append("refusal codes differ from the audit chain's refusal entry")
        if state in ANSWERED and trail.package is None:
            found.append(f"state {state} without a package_built entry")
        if trail.package is not None and state not in ANSWERED:
            found.append(f"a package_built entry but state {state}")
        problems.extend({"request_id": record.request_id, "problem": p} for p in found)
    return problems
