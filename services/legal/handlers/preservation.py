"""Preservation orders: an account's data frozen against retention, not disclosed.

CPP art. 60-2 (a French order, authorised by a judge, for up to one year) and the European
Preservation Order (Regulation (EU) 2023/1543 art. 11: 60 days, extended once by 30 days
when the authority confirms a production order is coming). Approved like any request (two
officers); approval resolves the target and records the order; the retention job skips the
account while the order runs (``handlers/retention.py``); a later production order discloses
it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.legal.core.approval import Officer
from services.legal.core.audit import AuditStep
from services.legal.core.deadlines import EPOC_PR_EXTENSION, preservation_ends
from services.legal.core.errors import StepConflictError
from services.legal.core.lifecycle import RequestState
from services.legal.ports import Legal
from shared.events.legal import Instrument, LegalRequest


async def start(legal: Legal, request: LegalRequest, user: str, *, now: datetime) -> dict[str, int]:
    """Two officers approved a preservation order: the account is frozen from now."""
    ends = preservation_ends(request.instrument, starts_at=now)
    if ends is None:
        raise StepConflictError("not_a_preservation", "the request is not a preservation order")
    await legal.preservations.start(request.request_id, user=user, starts_at=now, ends_at=ends)
    await legal.requests.set_state(
        request.request_id, RequestState.PRESERVING, current=RequestState.APPROVED
    )
    rid = str(request.request_id)
    await legal.audit.record(
        AuditStep.PRESERVATION_STARTED,
        actor="legal",
        request_id=rid,
        details={"ends_on": ends.date().isoformat(), "instrument": request.instrument.value},
    )
    return {"preserved": 1}


async def extend(
    legal: Legal, request_id: uuid.UUID, officer: Officer, *, now: datetime
) -> datetime:
    """Extend a running European Preservation Order once, by 30 days (art. 11(1))."""
    order = await legal.preservations.running(request_id)
    if order is None:
        raise StepConflictError("not_preserving", "no preservation order for this request")
    if order.instrument != Instrument.EU_EPOC_PR.value:
        raise StepConflictError(
            "not_extendable", "only a European Preservation Order is extended so"
        )
    if order.extended_at is not None:
        raise StepConflictError("already_extended", "the order was already extended once")
    if order.lifted_at is not None or order.ends_at <= now:
        raise StepConflictError("ended", "the order has ended")
    ends = order.ends_at + EPOC_PR_EXTENSION
    await legal.preservations.extend(request_id, ends_at=ends)
    await legal.audit.record(
        AuditStep.PRESERVATION_EXTENDED,
        actor=officer.officer_id,
        request_id=str(request_id),
        details={"ends_on": ends.date().isoformat()},
    )
    return ends


async def lift(legal: Legal, request_id: uuid.UUID, officer: Officer) -> None:
    """The authority withdrew the order: retention applies to the account again."""
    if not await legal.preservations.lift(request_id):
        raise StepConflictError("not_preserving", "no running preservation order to lift")
    await legal.requests.set_state(
        request_id, RequestState.PRESERVATION_ENDED, current=RequestState.PRESERVING
    )
    await legal.audit.record(
        AuditStep.PRESERVATION_ENDED,
        actor=officer.officer_id,
        request_id=str(request_id),
        details={"lifted": True},
    )


async def record_ended(legal: Legal, *, now: datetime) -> int:
    """Orders whose time ran out: written to the audit chain once; how many."""
    ended = await legal.preservations.record_ended(now=now)
    for request_id, ends_at in ended:
        await legal.requests.set_state(
            request_id, RequestState.PRESERVATION_ENDED, current=RequestState.PRESERVING
        )
        await legal.audit.record(
            AuditStep.PRESERVATION_ENDED,
            actor="legal",
            request_id=str(request_id),
            details={"ended_on": ends_at.date().isoformat()},
        )
    return len(ended)
