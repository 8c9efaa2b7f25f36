"""One officer's step on a request, as both the API and the console take it.

The step runs in one transaction with the officer authenticated inside it; a domain error
rolls it back whole. A refusal of the two-person rule is then recorded on the audit chain
in a transaction of its own, so that the refusal itself is never lost. An approval's time
to comply is counted once it committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.legal import metrics
from services.legal.adapters.postgres import audit_log
from services.legal.adapters.postgres.units import Units
from services.legal.core.approval import ApprovalRefusal, Officer
from services.legal.core.audit import AuditStep
from services.legal.core.errors import LegalError
from services.legal.ports import Legal
from shared.db import Connection

#: Refusals of the two-person rule, recorded on the chain.
AUDITED = frozenset(r.value for r in ApprovalRefusal)

Action = Callable[[Legal, uuid.UUID, Officer], Awaitable[Any]]
Authenticate = Callable[[Connection], Awaitable[Officer]]


@dataclass(frozen=True, slots=True)
class Taken:
    """What became of a step: its result, or the domain error that refused it."""

    result: Any = None
    refused: LegalError | None = None


async def take_step(
    units: Units, request_id: uuid.UUID, action: Action, *, authenticate: Authenticate
) -> Taken:
    """Authenticate, act, commit; or roll back and say why (audited for the two-person rule)."""
    officer: Officer | None = None
    try:
        async with units.transaction() as (legal, conn):
            officer = await authenticate(conn)
            result = await action(legal, request_id, officer)
    except LegalError as error:
        refused = error
    else:
        return Taken(result)
    if officer is not None and refused.code in AUDITED:
        async with units.pool.acquire() as conn, conn.transaction():
            await audit_log.record(
                conn,
                AuditStep.APPROVAL_REFUSED,
                ring=units.keys.audit_ring(),
                actor=officer.officer_id,
                request_id=str(request_id),
                details={"code": refused.code},
            )
    return Taken(refused=refused)


async def count_answer(units: Units, request_id: uuid.UUID) -> None:
    """Observe an approved request's time from receipt to answer."""
    async with units.transaction() as (legal, _):
        waited = await legal.requests.seconds_to_answer(request_id)
    if waited is not None:
        metrics.TIME_TO_COMPLY.observe(waited)
