"""The audit chain in PostgreSQL: append one keyed entry at a time, read it back, verify it.

Appends take a transaction-scoped advisory lock, so entries from several processes form one
chain in order; the table refuses updates and deletes (a guard trigger the schema guard
protects), and ``verify`` recomputes every keyed hash from the stored content and checks it
against the signed checkpoints it is given (``core.audit.verify_chain``). Signed checkpoints
are kept in ``legal.audit_checkpoints`` too (append-only), beside the topic they go to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from services.legal.core.checkpoint import Checkpoint
from services.legal.core.fieldcrypt import KeyRing
from services.legal.core.registrations import Registration
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
        key_id=row["key_id"],
    )


class PostgresAuditChain:
    """``AuditChain`` over ``legal.audit`` and its checkpoints, in the caller's transaction."""

    def __init__(self, conn: Connection, ring: KeyRing) -> None:
        self._conn = conn
        self._ring = ring

    async def record(
        self,
        step: AuditStep,
        *,
        actor: str,
        request_id: str | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEntry:
        """Append one entry."""
        return await record(
            self._conn, step, ring=self._ring, actor=actor, request_id=request_id, details=details
        )

    async def entries(self, request_id: str | None = None) -> list[AuditEntry]:
        """The chain in order (or one request's entries)."""
        return await entries(self._conn, request_id)

    async def entries_after(self, sequence: int) -> list[AuditEntry]:
        """The entries after ``sequence``, in order."""
        rows = await self._conn.fetch(
            "SELECT * FROM legal.audit WHERE sequence > $1 ORDER BY sequence", sequence
        )
        return [_entry(r) for r in rows]

    async def head(self) -> AuditEntry | None:
        """The newest entry."""
        row = await self._conn.fetchrow("SELECT * FROM legal.audit ORDER BY sequence DESC LIMIT 1")
        return None if row is None else _entry(row)

    async def latest_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint kept here."""
        row = await self._conn.fetchrow(
            "SELECT * FROM legal.audit_checkpoints ORDER BY size DESC LIMIT 1"
        )
        if row is None:
            return None
        return Checkpoint(row["origin"], row["size"], bytes(row["head"]), row["signed_at"])

    async def keep_checkpoint(self, checkpoint: Checkpoint, *, note: str) -> None:
        """Keep a signed checkpoint (append-only; a second one of a size is a no-op)."""
        await self._conn.execute(
            """INSERT INTO legal.audit_checkpoints (size, head, signed_at, origin, note)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (size) DO NOTHING""",
            checkpoint.size,
            checkpoint.head,
            checkpoint.time,
            checkpoint.origin,
            note,
        )


async def record(
    conn: Connection,
    step: AuditStep,
    *,
    ring: KeyRing,
    actor: str,
    request_id: str | None = None,
    details: Mapping[str, DetailValue] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it must be in one)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
    last = await conn.fetchrow("SELECT * FROM legal.audit ORDER BY sequence DESC LIMIT 1")
    entry = append(
        None if last is None else _entry(last),
        ring=ring,
        recorded_at=datetime.now(UTC),
        request_id=request_id,
        step=step,
        actor=actor,
        details=details,
    )
    await conn.execute(
        """INSERT INTO legal.audit (sequence, recorded_at, request_id, step, actor, details,
               previous_hash, entry_hash, key_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        entry.sequence,
        entry.recorded_at,
        entry.request_id,
        entry.step.value,
        entry.actor,
        orjson.dumps(dict(entry.details)).decode(),
        entry.previous_hash,
        entry.entry_hash,
        entry.key_id,
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


async def kept_notes(conn: Connection) -> list[str]:
    """Every signed checkpoint this database kept, oldest first."""
    rows = await conn.fetch("SELECT note FROM legal.audit_checkpoints ORDER BY size")
    return [r["note"] for r in rows]


async def verify(
    conn: Connection, keys: Mapping[str, bytes], anchors: Sequence[tuple[int, bytes]] = ()
) -> ChainVerdict:
    """Whether the stored chain is intact (and agrees with ``anchors``), and where not."""
    return verify_chain(await entries(conn), keys=keys, anchors=anchors)


async def entries_of(conn: Connection, steps: Iterable[AuditStep]) -> list[AuditEntry]:
    """The entries of these steps, in order (unverified: ``verify`` vouches for them)."""
    rows = await conn.fetch(
        "SELECT * FROM legal.audit WHERE step = ANY($1::text[]) ORDER BY sequence",
        [step.value for step in steps],
    )
    return [_entry(r) for r in rows]


async def registrations(conn: Connection) -> list[Registration]:
    """Every logged change of who may act, oldest first."""
    rows = await conn.fetch("SELECT * FROM legal.registrations ORDER BY change_id")
    return [
        Registration(
            change_id=r["change_id"],
            kind=r["kind"],
            principal_id=r["principal_id"],
            active=r["active"],
            credentials=r["credentials"],
            changed_at=r["changed_at"],
            changed_by=r["changed_by"],
        )
        for r in rows
    ]


async def last_change(conn: Connection, kind: str, principal_id: str) -> int:
    """The change the caller's transaction just made to ``principal_id`` (logged by trigger)."""
    change: int = await conn.fetchval(
        """SELECT max(change_id) FROM legal.registrations
           WHERE kind = $1 AND principal_id = $2""",
        kind,
        principal_id,
    )
    return change
