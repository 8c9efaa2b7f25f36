"""``legal.sessions``'s month partitions: made ahead, trimmed and dropped once past their year.

A month partition ``sessions_YYYYMM`` holds the sessions observed that UTC month (migration
0014). The service's role has no DDL rights: it creates and drops them through the two
``SECURITY DEFINER`` functions of that migration, which check what they are given. A month
is dropped whole once all of it is older than the retention cutoff; until then, its rows
already past their year are deleted row by row (the trim), so that a session is kept a year
and no longer than the interval between two retention runs more. What a preservation order
holds is never trimmed, and moves to the default partition when its month is dropped.
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

#: Days ahead of today whose months are created, so that sessions never wait for theirs.
DAYS_AHEAD = 31
#: The default partition: strays, and sessions kept after their month was dropped.
DEFAULT_PARTITION = "legal.sessions_default"
#: A session held by a running preservation order (``s``: the session's row).
PRESERVED = """EXISTS (SELECT 1 FROM legal.preservations p
    WHERE p.platform_user_id = s.platform_user_id AND p.lifted_at IS NULL AND p.ends_at > $1)"""


@dataclass(frozen=True, slots=True)
class MonthsOutcome:
    """Months dropped (or due, when dry), their rows and rows trimmed, and the rows kept.

    ``held``: rows a preservation order kept out of the months dropped (now in the default
    partition); ``held_in_place``: those past their year in the trimmed month.
    ``detaching``: the seconds the months' detach transactions took (what holds the lock on
    ``legal.sessions``); ``removing``: the seconds their drops took (freeing the files, with a
    lock on the detached table alone).
    """

    months: int
    rows: int
    estimated: bool
    held: int
    seconds: float
    trimmed: int = 0
    held_in_place: int = 0
    detaching: float = 0.0
    removing: float = 0.0


def month_of(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after ``month``'s."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def partition_name(month: date) -> str:
    """The month partition of ``month`` (UTC), schema-qualified: safe to put in SQL."""
    return f"legal.sessions_{month:%Y%m}"


def month_end(month: date) -> datetime:
    """The first instant after ``month``: it is dropped once this is past its year."""
    return datetime.combine(next_month(month), day_start(), tzinfo=UTC)


def month_start(month: date) -> datetime:
    """The first instant of ``month``."""
    return datetime.combine(month_of(month), day_start(), tzinfo=UTC)


async def months(conn: Connection) -> list[date]:
    """Every month that has a partition, oldest first (from the catalog: any role may read)."""
    names = await conn.fetch(
        """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'legal.sessions'::regclass AND c.relname ~ '^sessions_[0-9]{6}$'
           ORDER BY c.relname"""
    )
    return [datetime.strptime(r[0], "sessions_%Y%m").date() for r in names]  # noqa: DTZ007


async def detached(conn: Connection) -> list[date]:
    """Months detached and not yet dropped (only a run stopped in between leaves one)."""
    names = await conn.fetch(
        """SELECT c.relname FROM pg_class c
           WHERE c.relnamespace = 'legal'::regnamespace AND c.relkind = 'r'
             AND c.relname ~ '^sessions_[0-9]{6}$'
             AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
           ORDER BY c.relname"""
    )
    return [datetime.strptime(r[0], "sessions_%Y%m").date() for r in names]  # noqa: DTZ007


async def create_ahead(conn: Connection, *, today: date, ahead: int = DAYS_AHEAD) -> int:
    """Create the missing months from yesterday's to ``ahead`` days on; how many were made."""
    return await create_months(conn, today - timedelta(days=1), today + timedelta(days=ahead))


async def create_months(conn: Connection, first: date, last: date) -> int:
    """Create the missing months from ``first``'s to ``last``'s (a bench, an import)."""
    return int(await conn.fetchval("SELECT legal.create_session_months($1, $2)", first, last))


async def drop_due(
    conn: Connection,
    *,
    cutoff: datetime,
    now: datetime,
    dry_run: bool,
    lock_timeout_ms: int,
    batch: int,
) -> MonthsOutcome:
    """Drop every month wholly older than ``cutoff``, then trim the one ``cutoff`` falls in.

    Each month is detached in a transaction of its own, then dropped in the next: the first
    holds the lock on ``legal.sessions`` briefly, the second frees the files holding a lock
    on the detached table alone. A month whose lock is not granted within
    ``lock_timeout_ms`` (a long reader of ``legal.sessions``) is left for the next run
    rather than making writers queue behind it. Dry, the rows are counted exactly and
    nothing goes.
    """
    started = time.monotonic()
    if not dry_run:
        for month in await detached(conn):  # a run stopped between detaching and dropping
            await conn.fetchval("SELECT legal.drop_detached_session_month($1)", month)
    present = await months(conn)
    due = [month for month in present if month_end(month) <= cutoff]
    dropped = rows = held = trimmed = held_in_place = 0
    detaching = removing = 0.0
    estimated = False
    for month in due:
        if dry_run:
            counts = await _count(conn, month, cutoff=cutoff, now=now)
            rows, held, dropped = rows + counts[0], held + counts[1], dropped + 1
            continue
        begun = time.monotonic()
        try:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
                (outcome,) = await conn.fetch(
                    "SELECT * FROM legal.detach_session_month($1, $2, $3)", month, cutoff, now
                )
        except asyncpg.LockNotAvailableError:
            log.warning("a session month waits for the next retention run: its lock was busy")
            continue
        detached_at = time.monotonic()
        await conn.fetchval("SELECT legal.drop_detached_session_month($1)", month)
        detaching += detached_at - begun
        removing += time.monotonic() - detached_at
        log.info(
            "a session month dropped",
            extra={
                "detach_ms": round((detached_at - begun) * 1000, 1),
                "drop_ms": round((time.monotonic() - detached_at) * 1000, 1),
            },
        )
        dropped += 1
        rows += outcome["dropped"]
        held += outcome["held"]
        estimated = estimated or outcome["estimated"]
    current = month_of(cutoff.astimezone(UTC).date())
    if current in present and month_start(current) < cutoff:
        trimmed = 0 if dry_run else await _trim(conn, current, cutoff, now=now, batch=batch)
        left, held_in_place = await _count(conn, current, cutoff=cutoff, now=now)
        if dry_run:
            trimmed = left
    return MonthsOutcome(
        dropped,
        rows + trimmed,
        estimated,
        held,
        time.monotonic() - started,
        trimmed,
        held_in_place,
        detaching,
        removing,
    )


async def _count(
    conn: Connection, month: date, *, cutoff: datetime, now: datetime
) -> tuple[int, int]:
    """Rows of ``month`` past ``cutoff`` that are due, and those a preservation order holds."""
    (counts,) = await conn.fetch(
        f"""SELECT count(*) FILTER (WHERE NOT {PRESERVED}) AS rows,
                   count(*) FILTER (WHERE {PRESERVED}) AS held
            FROM {partition_name(month)} s WHERE observed_at < $2""",  # a name made from a date
        now,
        cutoff,
    )
    return int(counts["rows"]), int(counts["held"])


async def _trim(
    conn: Connection, month: date, cutoff: datetime, *, now: datetime, batch: int
) -> int:
    """Delete ``month``'s rows older than ``cutoff``, a batch per transaction; how many.

    Rows another transaction holds are skipped (``SKIP LOCKED``) and a batch never waits
    long on a lock, so the intake keeps writing; what is skipped goes at the next run.
    """
    deleted = 0
    while True:
        async with conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = 2000")
            count = await conn.fetchval(
                f"""WITH due AS (
                        SELECT ctid FROM {partition_name(month)} s
                        WHERE observed_at < $2 AND NOT {PRESERVED}
                        LIMIT $3 FOR UPDATE SKIP LOCKED),
                    gone AS (DELETE FROM {partition_name(month)}
                             WHERE ctid = ANY(ARRAY(SELECT ctid FROM due)) RETURNING 1)
                    SELECT count(*) FROM gone""",
                now,
                cutoff,
                batch,
            )
        deleted += int(count)
        if count < batch:
            return deleted
