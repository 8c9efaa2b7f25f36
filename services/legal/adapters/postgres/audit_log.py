"""The audit chain in PostgreSQL: append one entry at a time, read it back, verify it.

Appends take a transaction-scoped advisory lock, so entries from several processes form one
chain in order; the table refuses updates and deletes (a trigger), and ``verify`` recomputes
every hash from the stored content (``audit.verify_chain``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import asyncpg
import orjson

from services.legal.core.audit import (
    AuditEntry,
    AuditStep,
    ChainVerdict,
    DetailValue,
    append,
    verify_chain,
)
from shared.db import Connection

#: The advisory lock that serialises appends (any constant unique to this table).
_LOCK = 0x6C6567616C  # "legal"


def _entry(row: asyncpg.Record) -> AuditEntry:
    details = orjson.loads(row["details"])
    return AuditEntry(
        sequence=row["sequence"],
        recorded_at=row["recorded_at"],
        request_id=row["request_id"],
        step=AuditStep(row["step"]),
        actor=row["actor"],
        details=tuple(sorted(details.items())),
        previous_hash=bytes(row["previous_hash"]),
        entry_hash=bytes(row["entry_hash"]),
    )


class PostgresAuditChain:
    """``AuditChain`` over ``legal.audit``, in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(
        self,
        step: AuditStep,
        *,
        actor: str,
        request_id: str | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEntry:
        """Append one entry."""
        return await record(self._conn, step, actor=actor, request_id=request_id, details=details)

    async def entries(self, request_id: str | None = None) -> list[AuditEntry]:
        """The chain in order (or one request's entries)."""
        return await entries(self._conn, request_id)


async def record(
    conn: Connection,
    step: AuditStep,
    *,
    actor: str,
    request_id: str | None = None,
    details: Mapping[str, DetailValue] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it must be in one)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
    last = await conn.fetchrow("SELECT * FROM legal.audit ORDER BY sequence DESC LIMIT 1")
    entry = append(
        None if last is None else _entry(last),
        recorded_at=datetime.now(UTC),
        request_id=request_id,
        step=step,
        actor=actor,
        details=details,
    )
    await conn.execute(
        """INSERT INTO legal.audit (sequence, recorded_at, request_id, step, actor, details,
               previous_hash, entry_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        entry.sequence,
        entry.recorded_at,
        entry.request_id,
        entry.step.value,
        entry.actor,
        orjson.dumps(dict(entry.details)).decode(),
        entry.previous_hash,
        entry.entry_hash,
    )
    return entry


async def entries(conn: Connection, request_id: str | None = None) -> list[AuditEntry]:
    """The chain in order (or one request's entries)."""
    if request_id is None:
        rows = await conn.fetch("SELECT * FROM legal.audit ORDER BY sequence")
    else:
        rows = await conn.fetch(
            "SELECT * FROM legal.audit WHERE request_id = $1 ORDER BY sequence", request_id
        )
    return [_entry(r) for r in rows]


async def verify(conn: Connection) -> ChainVerdict:
    """Whether the stored chain is intact, and where it breaks if not."""
    return verify_chain(await entries(conn))
