"""The audit chain read as facts per request, and the submissions the portal refused.

Pure: it is given the entries (as verified) and returns what the report counts, so the same
chain always gives the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from services.legal.core.audit import AuditEntry, AuditStep, DetailValue
from services.legal.transparency.periods import Period
from services.legal.transparency.records import PackageFacts, PortalRefusal, TrailFacts

#: The code counted for a submission whose body was not a valid request (HTTP 422).
INVALID_REQUEST = "invalid_request"
#: The country of a submitter the portal could not identify (no valid token).
UNKNOWN_COUNTRY = "unknown"


def trail_facts(entries: Iterable[AuditEntry]) -> dict[str, TrailFacts]:
    """Per request id, what its entries say (the first package or preservation counts)."""
    facts: dict[str, TrailFacts] = {}
    for entry in entries:
        if entry.request_id is None:
            continue
        before = facts.get(entry.request_id, TrailFacts())
        details = dict(entry.details)
        step = entry.step
        if step is AuditStep.RECEIVED:
            after = replace(before, received=True)
        elif step is AuditStep.SIGNATURE_VERIFIED:
            after = replace(before, verified_by=entry.actor)
        elif step is AuditStep.CHECKS_REFUSED and "invalid_fields" in details:
            after = replace(before, invalid_at=before.invalid_at or entry.recorded_at)
        elif step in {AuditStep.CHECKS_REFUSED, AuditStep.REFUSED}:
            # The checks' refusal, or an officer's later one: the one the request's row holds.
            after = replace(before, refused_codes=tuple(str(details.get("codes") or "").split()))
        elif step is AuditStep.PACKAGE_BUILT and before.package is None:
            package = PackageFacts(
                no_data=details.get("no_data") is True,
                phone_numbers=_count(details.get("phone_numbers")),
                sessions=_count(details.get("sessions")),
            )
            after = replace(before, package=package, package_at=entry.recorded_at)
        elif step is AuditStep.PRESERVATION_STARTED and before.preserved_at is None:
            after = replace(before, preserved_at=entry.recorded_at)
        else:
            continue
        facts[entry.request_id] = after
    return facts


def portal_refusals(
    entries: Sequence[AuditEntry],
    facts: Mapping[str, TrailFacts],
    *,
    period: Period,
    countries: Mapping[str, str],
) -> list[PortalRefusal]:
    """Submissions refused in ``period`` before they were requests: signature, then body.

    ``countries`` maps authority ids to countries; an actor the portal could not identify
    (no valid token) counts under ``unknown``.
    """
    refused = [
        PortalRefusal(
            countries.get(entry.actor, UNKNOWN_COUNTRY), str(dict(entry.details).get("code"))
        )
        for entry in entries
        if entry.step is AuditStep.SIGNATURE_REFUSED and entry.recorded_at in period
    ]
    refused.extend(
        PortalRefusal(countries.get(fact.verified_by or "", UNKNOWN_COUNTRY), INVALID_REQUEST)
        for fact in facts.values()
        if fact.invalid_at is not None and fact.invalid_at in period
    )
    return refused


def _count(value: DetailValue) -> int:
    # bool is an int in Python: a flag is not a count.
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
