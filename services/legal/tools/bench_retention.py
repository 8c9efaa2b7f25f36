"""``crible bench retention``: the retention job on a large store, beside a busy writer.

``--rows`` session rows (10 million by default) are written into ``legal.sessions`` by
COPY, ``--due`` of them (20 %) observed more than a year ago. Then, for ``--seconds``
before the job and during it, a writer runs short transactions as the identity consumer
and the key rotation do: insert a session, and update a random existing one (due or not,
so that it meets the job's batches). The bench prints the rows the job deleted per second
and the longest time one of the writer's transactions took, before and during the job:
the difference is what the job made other transactions wait.

Rows are the bench's own (users ``bench-retention-*``) and are removed at the end; the
job's runs stay on the audit chain (append-only). It needs a few GB of disk for 10 M rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import uvloop

from services import SERVICES
from services.legal.adapters.postgres.retention import rules
from services.legal.config import LegalSettings
from shared.cli.registry import Registry
from shared.config import Settings
from shared.db import migrate
from shared.runtime.retention import enforce_rule

USERS = 100_000
PREFIX = "bench-retention-"


def run(settings: Settings, options: Sequence[str]) -> int:
    """Entry point of ``crible bench retention``."""
    parser = argparse.ArgumentParser(prog="crible bench retention", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="session rows")
    parser.add_argument("--due", type=float, default=0.2, help="share past retention")
    parser.add_argument("--batch", type=int, default=5000, help="rows per job transaction")
    parser.add_argument("--seconds", type=float, default=10, help="writer baseline length")
    args = parser.parse_args(list(options))
    return uvloop.run(_bench(settings, args))


async def _bench(settings: Settings, args: argparse.Namespace) -> int:
    dsn = settings.database_url.get_secret_value()
    await migrate(dsn, Registry(SERVICES).migrations())
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        await _clean(conn)
        started = time.perf_counter()
        due = await _fill(conn, args.rows, args.due, now)
        print(
            f"stored {args.rows:,} sessions ({due:,} past retention) in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        await conn.execute("ANALYZE legal.sessions")
        baseline = await _writer(dsn, args.rows, stop_after=args.seconds)
        print(
            f"writer alone: {baseline.count:,} transactions, longest {baseline.longest * 1000:.1f}"
            f" ms, p99 {baseline.p99 * 1000:.1f} ms",
            flush=True,
        )
        stop = asyncio.Event()
        writer = asyncio.create_task(_writer(dsn, args.rows, stop=stop))
        sessions = rules(LegalSettings().retention())[0]
        outcome = await enforce_rule(conn, sessions, now=now, batch=args.batch)
        stop.set()
        during = await writer
        rate = outcome.due / outcome.seconds if outcome.seconds else 0.0
        print(
            f"retention: {outcome.due:,} rows deleted in {outcome.seconds:.1f} s = "
            f"{rate:,.0f} rows/s (batches of {args.batch:,})",
            flush=True,
        )
        print(
            f"writer during the job: {during.count:,} transactions, longest "
            f"{during.longest * 1000:.1f} ms, p99 {during.p99 * 1000:.1f} ms "
            f"(alone: longest {baseline.longest * 1000:.1f} ms)",
            flush=True,
        )
    finally:
        await _clean(conn)
        await conn.close()
    return 0


async def _fill(conn: asyncpg.Connection, rows: int, share_due: float, now: datetime) -> int:
    """COPY ``rows`` sessions in; a ``share_due`` of them older than a year. How many due."""
    rng = random.Random(7)  # noqa: S311 - benchmark data, not a secret
    due = 0
    chunk = 200_000
    for start in range(0, rows, chunk):
        records = []
        for i in range(start, min(rows, start + chunk)):
            old = rng.random() < share_due
            due += old
            age = (
                timedelta(days=400 + rng.random() * 300)
                if old
                else timedelta(days=rng.random() * 300)
            )
            records.append(
                (
                    f"{PREFIX}{i}",
                    f"{PREFIX}{i % USERS}",
                    now - age,
                    0,
                    os.urandom(48),  # stands for a sealed address: the job never opens it
                    "bench",
                )
            )
        await conn.copy_records_to_table(
            "sessions",
            schema_name="legal",
            records=records,
            columns=["row_id", "platform_user_id", "observed_at", "utc_offset_minutes",
                     "address", "key_id"],
        )  # fmt: skip
    return due


class _Timings:
    def __init__(self, seconds: list[float]) -> None:
        ordered = sorted(seconds) or [0.0]
        self.count = len(seconds)
        self.longest = ordered[-1]
        self.p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _writer(
    dsn: str, rows: int, *, stop: asyncio.Event | None = None, stop_after: float = 0
) -> _Timings:
    """Short transactions as the store's writers make them, each timed."""
    conn = await asyncpg.connect(dsn)
    rng = random.Random()  # noqa: S311 - benchmark load, not a secret
    timings: list[float] = []
    deadline = time.monotonic() + stop_after
    n = 0
    try:
        while (stop is None and time.monotonic() < deadline) or (
            stop is not None and not stop.is_set()
        ):
            n += 1
            started = time.perf_counter()
            async with conn.transaction():
                await conn.execute(
                    """INSERT INTO legal.sessions (row_id, platform_user_id, observed_at,
                           utc_offset_minutes, address, key_id)
                       VALUES ($1, $2, now(), 0, $3, 'bench')""",
                    f"{PREFIX}w{os.getpid()}-{time.monotonic_ns()}-{n}",
                    f"{PREFIX}{rng.randrange(USERS)}",
                    os.urandom(48),
                )
                await conn.execute(
                    "UPDATE legal.sessions SET key_id = 'bench2' WHERE row_id = $1",
                    f"{PREFIX}{rng.randrange(rows)}",
                )
            timings.append(time.perf_counter() - started)
            await asyncio.sleep(0)
    finally:
        await conn.close()
    return _Timings(timings)


async def _clean(conn: asyncpg.Connection) -> None:
    await conn.execute("DELETE FROM legal.sessions WHERE platform_user_id LIKE $1", PREFIX + "%")
