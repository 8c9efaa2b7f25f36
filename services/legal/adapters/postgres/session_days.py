"""``legal.sessions``'s day partitions: made ahead of time, dropped whole once past their year.

A day partition ``sessions_YYYYMMDD`` holds the sessions observed that UTC day (migration
0013). The service's role has no DDL rights: it creates and drops them through the two
``SECURITY DEFINER`` functions of that migration, which check what they are given. A day is
dropped only once all of it is older than the retention cutoff, so a session is kept from
one year to one year and a day; what a preservation order holds moves to the default
partition, where it is kept row by row.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_start

import asyncpg

from shared.db import Connection

log = logging.getLogger(__name__)

#: Days created ahead of today, so that a day's sessions never wait for its partition.
DAYS_AHEAD = 31
#: The default partition: strays, and sessions kept after their day was dropped.
DEFAULT_PARTITION = "legal.sessions_default"
#: A session held by a running preservation order (``s``: the session's row).
PRESERVED = """EXISTS (SELECT 1 FROM legal.preservations p
    WHERE p.platform_user_id = s.platform_user_id AND p.lifted_at IS NULL AND p.ends_at > $1)"""


@dataclass(frozen=True, slots=True)
class DaysOutcome:
    """Day partitions dropped (or due, when dry), their rows and the rows kept from them."""

    days: int
    rows: int
    estimated: bool
    held: int
    seconds: float


def partition_name(day: date) -> str:
    """The day partition of ``day`` (UTC), schema-qualified: safe to put in SQL."""
    return f"legal.sessions_{day:%Y%m%d}"


def day_end(day: date) -> datetime:
    """The first instant after ``day`` (UTC): a session is due once this is past its year."""
    return datetime.combine(day + timedelta(days=1), day_start(), tzinfo=UTC)


async def days(conn: Connection) -> list[date]:
    """Every day that has a partition, oldest first (from the catalog: any role may read)."""
    names = await conn.fetch(
        """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'legal.sessions'::regclass AND c.relname ~ '^sessions_[0-9]{8}$'
           ORDER BY c.relname"""
    )
    return [datetime.strptime(r[0], "sessions_%Y%m%d").date() for r in names]  # noqa: DTZ007


async def create_ahead(conn: Connection, *, today: date, ahead: int = DAYS_AHEAD) -> int:
    """Create the missing days from yesterday to ``ahead`` days on; how many were made."""
    made = await conn.fetchval(
        "SELECT legal.create_session_days($1, $2)", today - timedelta(days=1),
        today + timedelta(days=ahead),
    )  # fmt: skip
    return int(made)


async def create_days(conn: Connection, first: date, last: date) -> int:
    """Create the missing days from ``first`` to ``last`` (a bench, an import of old data)."""
    return int(await conn.fetchval("SELECT legal.create_session_days($1, $2)", first, last))


async def drop_due(
    conn: Connection, *, cutoff: datetime, now: datetime, dry_run: bool, lock_timeout_ms: int
) -> DaysOutcome:
    """Drop every day wholly older than ``cutoff``, each in a transaction of its own.

    A day whose lock is not granted within ``lock_timeout_ms`` (a long reader of
    ``legal.sessions``) is left for the next run rather than making writers queue behind it.
    Dry, the rows are counted exactly and nothing is dropped.
    """
    started = time.monotonic()
    due = [day for day in await days(conn) if day_end(day) <= cutoff]
    dropped = rows = held = 0
    estimated = False
    for day in due:
        if dry_run:
            (counts,) = await conn.fetch(
                f"""SELECT count(*) FILTER (WHERE NOT {PRESERVED}) AS rows,
                           count(*) FILTER (WHERE {PRESERVED}) AS held
                    FROM {partition_name(day)} s""",  # a name made from a date
                now,
            )
            rows, held, dropped = rows + counts["rows"], held + counts["held"], dropped + 1
            continue
        try:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
                (outcome,) = await conn.fetch(
                    "SELECT * FROM legal.drop_session_day($1, $2, $3)", day, cutoff, now
                )
        except asyncpg.LockNotAvailableError:
            log.warning("a session day waits for the next retention run: its lock was busy")
            continue
        dropped += 1
        rows += outcome["dropped"]
        held += outcome["held"]
        estimated = estimated or outcome["estimated"]
    return DaysOutcome(dropped, rows, estimated, held, time.monotonic() - started)
