"""Which workers are alive, as PostgreSQL sees them: one advisory lock per live process.

Each process holds, on a connection of its own, a session advisory lock on its worker id
and writes that id on the outbox rows it stores. A row whose worker's lock is free was left
by a process that died (its session ended and released the lock): the relay publishes it at
once. A row whose worker still holds its lock is in flight and is left to its worker, so a
slow publish during a broker outage is never published twice by a peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

import asyncpg

log = logging.getLogger(__name__)

#: First key of every worker lock ("CRIB"); the second is the worker id. The relay's
#: query (``shared.runtime.outbox_table.ORPHANED``) looks for exactly this lock.
LOCK_CLASS = 0x43524942


class WorkerLease:
    """Holds this process's worker lock while it runs; takes it again after a reconnection."""

    def __init__(self, dsn: str, *, application_name: str) -> None:
        self.worker = secrets.randbelow(2**31 - 2) + 1
        self._dsn = dsn
        self._application_name = application_name
        self._conn: asyncpg.Connection | None = None

    async def hold(self) -> None:
        """Take the lock (a connection of its own) unless it is held already."""
        if self._conn is not None and not self._conn.is_closed():
            return
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": self._application_name}
        )
        await conn.execute("SELECT pg_advisory_lock($1, $2)", LOCK_CLASS, self.worker)
        self._conn = conn

    async def keep(self, stop: asyncio.Event, *, every: float) -> None:
        """Until stopped, check the lock's connection and take the lock again if it was lost."""
        while not stop.is_set():
            try:
                if self._conn is None or self._conn.is_closed():
                    log.warning("worker lock lost with its connection; taking it again")
                await self.hold()
                await self._conn.fetchval("SELECT 1")  # type: ignore[union-attr]
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                with contextlib.suppress(Exception):
                    if self._conn is not None:
                        await self._conn.close(timeout=1)
                self._conn = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def release(self) -> None:
        """Give the lock up (closing its connection releases it)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=5)
            self._conn = None
