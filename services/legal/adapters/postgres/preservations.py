"""Preservation orders in ``legal.preservations``: accounts frozen against retention."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.legal.ports import RunningPreservation
from shared.db import Connection


class PostgresPreservations:
    """``PreservationStore`` in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def start(
        self, request_id: uuid.UUID, *, user: str, starts_at: datetime, ends_at: datetime
    ) -> None:
        """Record a running order on ``user``'s account."""
        await self._conn.execute(
            """INSERT INTO legal.preservations (request_id, platform_user_id, starts_at, ends_at)
               VALUES ($1, $2, $3, $4)""",
            request_id,
            user,
            starts_at,
            ends_at,
        )

    async def running(self, request_id: uuid.UUID) -> RunningPreservation | None:
        """The request's order, locked until the transaction ends."""
        row = await self._conn.fetchrow(
            """SELECT p.request_id, p.ends_at, p.extended_at, p.lifted_at, r.instrument
               FROM legal.preservations p JOIN legal.requests r USING (request_id)
               WHERE p.request_id = $1 FOR UPDATE OF p""",
            request_id,
        )
        if row is None:
            return None
        return RunningPreservation(
            request_id=row["request_id"],
            instrument=row["instrument"],
            ends_at=row["ends_at"],
            extended_at=row["extended_at"],
            lifted_at=row["lifted_at"],
        )

    async def extend(self, request_id: uuid.UUID, *, ends_at: datetime) -> None:
        """The order's new end."""
        await self._conn.execute(
            """UPDATE legal.preservations SET ends_at = $2, extended_at = now()
               WHERE request_id = $1""",
            request_id,
            ends_at,
        )

    async def lift(self, request_id: uuid.UUID) -> bool:
        """End a running order now; False if none was running."""
        lifted = await self._conn.fetchval(
            """UPDATE legal.preservations SET lifted_at = now(), ended_recorded_at = now()
               WHERE request_id = $1 AND lifted_at IS NULL AND ended_recorded_at IS NULL
               RETURNING 1""",
            request_id,
        )
        return lifted is not None

    async def record_ended(self, *, now: datetime) -> list[tuple[uuid.UUID, datetime]]:
        """Orders whose time ran out, marked as recorded: (request, end)."""
        rows = await self._conn.fetch(
            """UPDATE legal.preservations SET ended_recorded_at = $1
               WHERE ends_at <= $1 AND lifted_at IS NULL AND ended_recorded_at IS NULL
               RETURNING request_id, ends_at""",
            now,
        )
        return [(r["request_id"], r["ends_at"]) for r in rows]

    async def kept_since(self, user: str, *, now: datetime) -> tuple[datetime, datetime] | None:
        """(when the oldest running order on the account started, its oldest session)."""
        row = await self._conn.fetchrow(
            """SELECT (SELECT min(starts_at) FROM legal.preservations
                       WHERE platform_user_id = $1 AND lifted_at IS NULL AND ends_at > $2)
                          AS started,
                      (SELECT min(observed_at) FROM legal.sessions
                       WHERE platform_user_id = $1) AS oldest""",
            user,
            now,
        )
        if row is None or row["started"] is None:
            return None
        return row["started"], row["oldest"] or row["started"]
