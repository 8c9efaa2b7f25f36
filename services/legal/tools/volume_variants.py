"""Layouts the volume bench can try on a loaded store, each alone, for one account's year.

A heavy account's year is thousands of sessions, each on a heap page of its own (the
sessions of an account are spread over the year's writes). Two ways to read fewer pages:

- ``covering``: the ``(platform_user_id, observed_at)`` index carries the columns a request
  reads, so a month that vacuum has marked all-visible answers from the index alone
  (an index-only scan); it replaces the store's index, at the cost of the columns' bytes.
- ``clustered``: the closed months (all but the current one) rewritten in account order
  (``CLUSTER``), so that an account's sessions of a month share a few pages; it costs a
  rewrite of each month under a lock that stops its readers, and the BRIN index the trim
  uses no longer narrows anything in a rewritten month.

These change a bench database only; what the measurements keep goes into a migration.
"""

from __future__ import annotations

import time
from datetime import date

import asyncpg

from services.legal.adapters.postgres import session_months

VARIANTS = ("none", "covering", "clustered")


async def apply(conn: asyncpg.Connection, variant: str, *, today: date) -> str:
    """Put ``variant`` in place on the loaded store; a line saying what it took."""
    started = time.monotonic()
    if variant == "covering":
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute(
            "CREATE INDEX sessions_user_time_covering ON legal.sessions "
            "(platform_user_id, observed_at) INCLUDE (row_id, utc_offset_minutes, address)"
        )
        await conn.execute("DROP INDEX legal.sessions_user_time")
    elif variant == "clustered":
        await conn.execute("SET maintenance_work_mem = '512MB'")
        current = session_months.month_of(today)
        for month in await session_months.months(conn):
            if month >= current:
                continue
            table = session_months.partition_name(month)
            index = await conn.fetchval(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = $1::regclass "
                "AND pg_get_indexdef(i.indexrelid) LIKE '%(platform_user_id, observed_at)'",
                table,
            )
            await conn.execute(f"CLUSTER {table} USING {index}")
            await conn.execute(f"VACUUM (ANALYZE) {table}")
    elif variant != "none":
        raise ValueError(f"no variant {variant!r}")
    return f"variant {variant} in place in {time.monotonic() - started:.0f} s"


async def undo(conn: asyncpg.Connection, variant: str) -> None:
    """The store's own indexes back once the bench has emptied it (its rows are gone)."""
    if variant == "covering":
        await conn.execute(
            "CREATE INDEX IF NOT EXISTS sessions_user_time ON legal.sessions "
            "(platform_user_id, observed_at)"
        )
        await conn.execute("DROP INDEX IF EXISTS legal.sessions_user_time_covering")
