"""Preservation orders: an account's data frozen against retention, not disclosed.

CPP art. 60-2 (a French order, authorised by a judge, for up to one year) and the European
Preservation Order (Regulation (EU) 2023/1543 art. 11: 60 days, extended once by 30 days
when the authority confirms a production order is coming). Approved like any request (two
officers); approval resolves the target and records the order; the retention job skips the
account while the order runs (``retention.py``); a later production order discloses it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.core.approval import Officer
from services.legal.core.audit import AuditStep
from services.legal.core.deadlines import EPOC_PR_EXTENSION, preservation_ends
from shared.db import Connection
from shared.events.legal import Instrument, LegalRequest
from shared.runtime.emit import Transaction

PRESERVATION_INSTRUMENTS = frozenset({Instrument.FR_CPP_60_2, Instrument.EU_EPOC_PR})


class PreservationError(Exception):
    """The order cannot be changed so; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


async def start(
    tx: Transaction, request: LegalRequest, user: str, officer: Officer
) -> dict[str, int]:
    """The second officer approved a preservation order: the account is frozen from now."""
    conn, now = tx.conn, datetime.now(UTC)
    ends = preservation_ends(request.instrument, starts_at=now)
    assert ends is not None  # noqa: S101 - only called for preservation instruments
    await conn.execute(
        "UPDATE legal.approvals SET approved_by = $2, approved_at = $3 WHERE request_id = $1",
        request.request_id,
        officer.officer_id,
        now,
    )
    await conn.execute(
        """INSERT INTO legal.preservations (request_id, platform_user_id, starts_at, ends_at)
           VALUES ($1, $2, $3, $4)""",
        request.request_id,
        user,
        now,
        ends,
    )
    await conn.execute(
        """UPDATE legal.requests SET state = 'preserving', answered_at = $2
           WHERE request_id = $1""",
        request.request_id,
        now,
    )
    rid = str(request.request_id)
    await auditlog.record(conn, AuditStep.APPROVED, actor=officer.officer_id, request_id=rid)
    await auditlog.record(
        conn,
        AuditStep.PRESERVATION_STARTED,
        actor="legal",
        request_id=rid,
        details={"ends_on": ends.date().isoformat(), "instrument": request.instrument.value},
    )
    return {"preserved": 1}


async def extend(conn: Connection, request_id: uuid.UUID, officer: Officer) -> datetime:
    """Extend a running European Preservation Order once, by 30 days (art. 11(1))."""
    row = await conn.fetchrow(
        """SELECT p.ends_at, p.extended_at, p.lifted_at, r.instrument
           FROM legal.preservations p JOIN legal.requests r USING (request_id)
           WHERE p.request_id = $1 FOR UPDATE OF p""",
        request_id,
    )
    if row is None:
        raise PreservationError("not_preserving", "no preservation order for this request")
    if row["instrument"] != Instrument.EU_EPOC_PR.value:
        raise PreservationError(
            "not_extendable", "only a European Preservation Order is extended so"
        )
    if row["extended_at"] is not None:
        raise PreservationError("already_extended", "the order was already extended once")
    if row["lifted_at"] is not None or row["ends_at"] <= datetime.now(UTC):
        raise PreservationError("ended", "the order has ended")
    ends: datetime = row["ends_at"] + EPOC_PR_EXTENSION
    await conn.execute(
        "UPDATE legal.preservations SET ends_at = $2, extended_at = now() WHERE request_id = $1",
        request_id,
        ends,
    )
    await auditlog.record(
        conn,
        AuditStep.PRESERVATION_EXTENDED,
        actor=officer.officer_id,
        request_id=str(request_id),
        details={"ends_on": ends.date().isoformat()},
    )
    return ends


async def lift(conn: Connection, request_id: uuid.UUID, officer: Officer) -> None:
    """The authority withdrew the order: retention applies to the account again."""
    lifted = await conn.fetchval(
        """UPDATE legal.preservations SET lifted_at = now(), ended_recorded_at = now()
           WHERE request_id = $1 AND lifted_at IS NULL AND ended_recorded_at IS NULL
           RETURNING 1""",
        request_id,
    )
    if lifted is None:
        raise PreservationError("not_preserving", "no running preservation order to lift")
    await conn.execute(
        "UPDATE legal.requests SET state = 'preservation_ended' WHERE request_id = $1",
        request_id,
    )
    await auditlog.record(
        conn,
        AuditStep.PRESERVATION_ENDED,
        actor=officer.officer_id,
        request_id=str(request_id),
        details={"lifted": True},
    )


async def record_ended(conn: Connection, *, now: datetime) -> int:
    """Orders whose time ran out: written to the audit chain once; how many."""
    ended = await conn.fetch(
        """UPDATE legal.preservations SET ended_recorded_at = $1
           WHERE ends_at <= $1 AND lifted_at IS NULL AND ended_recorded_at IS NULL
           RETURNING request_id, ends_at""",
        now,
    )
    for row in ended:
        await conn.execute(
            "UPDATE legal.requests SET state = 'preservation_ended' WHERE request_id = $1",
            row["request_id"],
        )
        await auditlog.record(
            conn,
            AuditStep.PRESERVATION_ENDED,
            actor="legal",
            request_id=str(row["request_id"]),
            details={"ended_on": row["ends_at"].date().isoformat()},
        )
    return len(ended)
