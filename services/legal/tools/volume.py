"""``crible bench legal --volume N``: the identity store at a platform's volume.

N sessions (100,000,000 for the figures in the README) over the last 13 months and this one
(from the first day of the month 13 months ago: about 400 days, in their month partitions,
``session_months.py``), spread over N / 100 accounts (about 100 sessions an account a year,
a session every few days), each account with its data key in ``legal.account_keys``, are
made inside PostgreSQL a month at a time, in the order the intake would have written them
(``volume_load.py``). Three accounts' sessions are sealed with their own account keys by
the store's own code and put in their place among the rest: a typical one (100 sessions in
the year), a heavy one (10 a day) and one under a preservation order (one a day). The other
sessions' addresses are real sealed addresses from a pool (bound to other rows: the store
never opens them here), so they take the same room.

Then it prints: the load's rate; the bytes a session takes in the table and in each index;
the time to read and open one account's year (the typical and the heavy account, the first
read and the next ones, and the read alone of accounts never read before); the retention job
beside a writer making the intake's transactions, with that writer's longest transaction:
on the day the oldest month is past its year (the month dropped whole, the preserved
account's rows kept), and on the day after (that day's sessions of the next month trimmed
row by row); and the intake's rate on the full store, then on the emptied store.

It needs a bench database: it refuses a ``legal.sessions`` holding rows of others, and
empties it at the end (``--keep`` leaves the rows for a later ``--reuse``). 100 M sessions
take 27 GiB (294 bytes each with their indexes, built once each month is full), and a few GB
more of WAL while loading (``max_wal_size`` is 4 GB); about 15 minutes on 2 busy cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.legal.adapters.postgres import legal_unit, session_months
from services.legal.adapters.postgres.identity_store import account_rows
from services.legal.adapters.postgres.retention import PostgresRetention
from services.legal.config import LegalSettings
from services.legal.core.fieldcrypt import ACCOUNT_KEY, AccountKey, FieldOpener
from services.legal.core.identity import (
    IdentityChange,
    InsertSession,
    Sealer,
    changes_for,
    open_record,
)
from services.legal.core.model import Scope
from services.legal.handlers.account_keys import AccountKeys
from services.legal.handlers.retention import run_retention
from services.legal.tools import volume_load, volume_variants
from shared.config import Settings
from shared.events.identity import IdentityEvent
from shared.events.legal import DataCategory

#: The most days loaded: the first day of the month 13 months ago to today.
DAYS = 427
PREFIX = volume_load.PREFIX
TYPICAL, HEAVY, PRESERVED = f"{PREFIX}typical", f"{PREFIX}heavy", f"{PREFIX}preserved"
#: Sessions a day of the measured accounts (the typical one: about 100 in a year).
PER_DAY = {TYPICAL: 100 / 365, HEAVY: 10.0, PRESERVED: 1.0}
LOOKUP_TARGET_SECONDS = 0.05
RETENTION_TARGET_SECONDS = 1.0
ESTIMATED = " (as ANALYZE counted them)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The volume mode's options of ``crible bench legal``."""
    parser.add_argument("--volume", type=int, default=0, help="sessions to load (volume mode)")
    parser.add_argument("--keep", action="store_true", help="volume: leave the rows loaded")
    parser.add_argument("--reuse", action="store_true", help="volume: measure rows kept before")
    parser.add_argument("--load-jobs", type=int, default=2, help="volume: months loaded at once")
    parser.add_argument(
        "--variant", choices=volume_variants.VARIANTS, default="none",
        help="volume: a layout to try for one account's year (volume_variants.py)",
    )  # fmt: skip
    parser.add_argument(
        "--lookups-only", action="store_true",
        help="volume: measure sizes and one account's year, not retention and intake",
    )  # fmt: skip


async def run_volume(
    settings: Settings, args: argparse.Namespace, *, intake: Any, preservation: Any
) -> int:
    """The volume mode; ``intake`` and ``preservation`` are the bench's own steps."""
    dsn = settings.database_url.get_secret_value()
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    loaded = await _loaded(conn)
    if loaded != args.reuse or (not loaded and await _foreign_rows(conn)):
        await conn.close()
        raise RuntimeError(
            "--reuse needs the rows of a run with --keep"
            if args.reuse
            else "bench rows are loaded: pass --reuse to measure them again"
            if loaded
            else "legal.sessions holds rows: the volume mode needs a bench database (it "
            "empties the table at the end)"
        )
    try:
        if not loaded:
            await _register(conn, list(PER_DAY), since=now - timedelta(days=DAYS + 30))
            await preservation(conn, PRESERVED, now)
            load = await _load(dsn, conn, args.volume, today=today, jobs=args.load_jobs)
            print(
                f"loaded {load.sessions:,} sessions and {args.volume // 100:,} account keys in "
                f"{load.seconds:.0f} s ({load.sessions / load.seconds:,.0f} sessions/s, "
                f"{args.load_jobs} months at once) into "
                f"{len(await session_months.months(conn))} month partitions; "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            print(await volume_variants.apply(conn, args.variant, today=today), flush=True)
            started = time.monotonic()
            # The months were analysed as they were vacuumed; the parent's own statistics.
            await conn.execute("ANALYZE ONLY legal.sessions")
            print(f"analysed in {time.monotonic() - started:.0f} s", flush=True)
        await _sizes(conn)
        await _lookups(conn, now=now)
        if args.lookups_only:
            return 0
        await _retention(conn, dsn, now=now)
        rate = await intake(settings)
        print(
            f"identity intake on the full store: {rate:,.0f} events/s (1 worker); "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if not args.keep:
            await _clean(conn, today=today)
            rate = await intake(settings)
            print(
                f"identity intake on the emptied store, right after: {rate:,.0f} events/s "
                f"(1 worker); load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    finally:
        if not args.keep:
            await _clean(conn, today=today)
            await volume_variants.undo(conn, args.variant)
        await conn.close()
    return 0


def first_day(today: date) -> date:
    """The first day loaded: the first of the month 13 months before ``today``'s."""
    year_before = session_months.month_of(today).replace(year=today.year - 1)
    return session_months.month_of(year_before - timedelta(days=1))


async def _register(conn: asyncpg.Connection, users: Sequence[str], *, since: datetime) -> None:
    """Accounts as the intake makes them (their sessions are what the bench is about)."""
    await conn.executemany(
        """INSERT INTO legal.accounts (platform_user_id, registered_at, key_id, updated_at)
           VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING""",
        [(user, since, ACCOUNT_KEY) for user in users],
    )


async def _loaded(conn: asyncpg.Connection) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM legal.sessions WHERE platform_user_id = $1)", HEAVY
        )
    )


async def _foreign_rows(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM legal.sessions)"))


def _sealed_pool(rng: random.Random, size: int = 4096) -> volume_load.Pool:
    """Addresses sealed by the store's own code, IPv4 (70 %) and IPv6 (30 %), as it packs them."""
    settings = LegalSettings()
    key = AccountKey(os.urandom(32))
    sealed = []
    for i in range(size):
        body = _session_event("sample", i, datetime.now(UTC), rng)
        change = _insert(changes_for(body, cipher=key, index=settings.blind_index()))
        sealed.append(change.address.pack())
    return volume_load.Pool.of(sealed)


def _insert(changes: Sequence[IdentityChange]) -> InsertSession:
    """The one write a session event makes."""
    (change,) = changes
    if not isinstance(change, InsertSession):
        raise TypeError("a session event makes one InsertSession")
    return change


def _session_event(user: str, n: int, when: datetime, rng: random.Random) -> Any:
    if rng.random() < 0.7:
        octets = (
            rng.randrange(1, 224),
            rng.randrange(256),
            rng.randrange(256),
            rng.randrange(1, 255),
        )
        address = ".".join(map(str, octets))
    else:
        address = (
            f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
        )
    body = {
        "schema_version": 1, "event_id": f"{n:08d}{rng.getrandbits(96):024x}",
        "platform_user_id": user, "occurred_at": when.isoformat(),
        "event_type": "session.observed", "ip_address": address,
        "source_port": rng.randrange(1, 65536),
    }  # fmt: skip
    return IdentityEvent.model_validate_json(json.dumps(body)).root


async def _measured_rows(
    conn: asyncpg.Connection, first: date, days: int, rng: random.Random
) -> list[tuple[Any, ...]]:
    """The measured accounts' sessions, sealed with their account keys."""
    settings = LegalSettings()
    keys = await AccountKeys().for_users(legal_unit(conn, settings.keys()), list(PER_DAY))
    rows: list[tuple[Any, ...]] = []
    n = 0
    for user, per_day in PER_DAY.items():
        sealer: Sealer = keys[user]
        count = round(per_day * days)
        for i in range(count):
            day = first + timedelta(days=i * days // count)
            when = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                seconds=rng.randrange(86400)
            )
            n += 1
            change = _insert(
                changes_for(
                    _session_event(user, n, when, rng), cipher=sealer, index=settings.blind_index()
                )
            )
            rows.append(
                (change.row_id, user, change.observed_at, change.utc_offset_minutes,
                 change.address.pack(), change.key_id)
            )  # fmt: skip
    return rows


async def _load(
    dsn: str, conn: asyncpg.Connection, total: int, *, today: date, jobs: int
) -> volume_load.Loaded:
    """Every month made and about ``total`` sessions loaded (the measured ones among them)."""
    rng = random.Random(24)  # noqa: S311 - bench data
    first = first_day(today)
    measured = await _measured_rows(conn, first, (today - first).days + 1, rng)
    return await volume_load.load(
        dsn, total, first=first, today=today, measured=measured, pool=_sealed_pool(rng),
        cipher=LegalSettings().keys().cipher(), jobs=jobs,
    )  # fmt: skip


async def _sizes(conn: asyncpg.Connection) -> None:
    """Bytes a session takes: the table (with TOAST) and each index, over every partition."""
    rows = int(
        await conn.fetchval(
            """SELECT sum(c.reltuples)::bigint FROM pg_inherits i
               JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'legal.sessions'::regclass"""
        )
    )
    table = await conn.fetchval(
        """SELECT sum(pg_table_size(relid)) FROM pg_partition_tree('legal.sessions')
           WHERE isleaf"""
    )
    indexes = await conn.fetch(
        """SELECT c.relname, (SELECT sum(pg_relation_size(t.relid))
                              FROM pg_partition_tree(c.oid) t WHERE t.isleaf) AS bytes
           FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid
           WHERE x.indrelid = 'legal.sessions'::regclass ORDER BY 1"""
    )
    total = table + sum(r["bytes"] for r in indexes)
    parts = ", ".join(f"{r['relname']} {r['bytes'] / rows:.0f}" for r in indexes)
    print(
        f"size: {total / 2**30:.1f} GiB for {rows:,} sessions (estimated by ANALYZE): "
        f"{total / rows:.0f} bytes a session: table {table / rows:.0f}, {parts}",
        flush=True,
    )


@dataclass(frozen=True, slots=True)
class _Timed:
    read: float
    opened: float
    sessions: int
    #: The processor time the opening took (the rest of its time is waiting for a core).
    opening_cpu: float = 0.0


async def _lookup(conn: asyncpg.Connection, user: str, scope: Scope, *, open_them: bool) -> _Timed:
    settings = LegalSettings()
    started = time.perf_counter()
    rows = await account_rows(conn, user, scope)
    read = time.perf_counter() - started
    if rows is None:
        raise RuntimeError(f"no account {user}")
    cpu = 0.0
    if open_them:
        keys = await AccountKeys().for_users(
            legal_unit(conn, settings.keys()), [user], create=False
        )
        cpu = time.process_time()
        record = open_record(
            rows[0], phone_numbers=rows[1], sessions=rows[2],
            cipher=FieldOpener(settings.cipher(), keys.get(user)),
        )  # fmt: skip
        cpu = time.process_time() - cpu
        if len(record.sessions) != len(rows[2]):
            raise RuntimeError("a session did not open")
    return _Timed(read, time.perf_counter() - started, len(rows[2]), cpu)


class _Recorder:
    """A connection that keeps the statements it runs (to explain the store's own query)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.statements.append((sql, args))
        return await self.conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self.statements.append((sql, args))
        return await self.conn.fetchrow(sql, *args)


async def _explained(conn: asyncpg.Connection, user: str, scope: Scope) -> str:
    """Where the store's query for ``user``'s sessions spends its time, as the server says."""
    recorder = _Recorder(conn)
    await account_rows(recorder, user, scope)  # type: ignore[arg-type]
    sql, args = next(s for s in recorder.statements if "legal.sessions" in s[0])
    (plan,) = json.loads(
        await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *args)
    )
    top = plan["Plan"]
    return (
        f"server: planning {plan['Planning Time']:.1f} ms, execution "
        f"{plan['Execution Time']:.1f} ms, {top.get('Shared Hit Blocks', 0):,} pages from "
        f"PostgreSQL's buffers and {top.get('Shared Read Blocks', 0):,} read in"
    )


async def _lookups(conn: asyncpg.Connection, *, now: datetime) -> None:
    """One account's year: read, and read and opened; first and next; never-read accounts."""
    year = Scope(frozenset({DataCategory.IDENTIFICATION}), now - timedelta(days=365), now)
    for user in (TYPICAL, HEAVY):
        runs = [await _lookup(conn, user, year, open_them=True) for _ in range(6)]
        first, rest = runs[0], runs[1:]
        print(
            f"one account's year ({first.sessions:,} sessions): read and opened "
            f"{first.opened * 1000:.1f} ms the first time, then median "
            f"{statistics.median(r.opened for r in rest) * 1000:.1f} ms (read alone "
            f"{statistics.median(r.read for r in rest) * 1000:.1f} ms, opening's processor "
            f"time {statistics.median(r.opening_cpu for r in rest) * 1000:.1f} ms; target "
            f"< {LOOKUP_TARGET_SECONDS * 1000:.0f} ms); {await _explained(conn, user, year)}",
            flush=True,
        )
    # Accounts nobody read since the load: their pages are wherever the machine left them.
    rng = random.Random()  # noqa: S311 - bench data; others each run
    accounts = max(1, int(await conn.fetchval("SELECT sum(reltuples) FROM pg_class c "
        "JOIN pg_inherits i ON i.inhrelid = c.oid WHERE i.inhparent = 'legal.sessions'::regclass"
    )) // 100)  # fmt: skip
    users = [volume_load.account(rng.randrange(accounts)) for _ in range(30)]
    await _register(conn, users, since=now - timedelta(days=DAYS + 30))
    cold = [await _lookup(conn, user, year, open_them=False) for user in users]
    reads = sorted(r.read for r in cold)
    print(
        f"the year of {len(cold)} accounts never read before (read alone, "
        f"{statistics.mean(r.sessions for r in cold):.0f} sessions on average): median "
        f"{statistics.median(reads) * 1000:.1f} ms, slowest {reads[-1] * 1000:.1f} ms",
        flush=True,
    )


async def _writer(dsn: str, stop: asyncio.Event) -> list[float]:
    """The intake's transactions (one session inserted each), each timed, until ``stop``."""
    conn = await asyncpg.connect(dsn)
    timings = []
    try:
        n = 0
        while not stop.is_set():
            n += 1
            started = time.perf_counter()
            async with conn.transaction():
                await conn.execute(
                    """INSERT INTO legal.sessions (row_id, platform_user_id, observed_at,
                           utc_offset_minutes, address, key_id)
                       VALUES ($1, $2, now(), 0, $3, '@account')
                       ON CONFLICT (row_id, observed_at) DO NOTHING""",
                    f"{PREFIX}writer/{uuid.uuid4().hex}",
                    f"{PREFIX}writer",
                    os.urandom(48),
                )
            timings.append(time.perf_counter() - started)
            await asyncio.sleep(0.002)
    finally:
        await conn.close()
    return timings


async def _retention(conn: asyncpg.Connection, dsn: str, *, now: datetime) -> None:
    """The retention job beside the intake's transactions: a month dropped, then a day trimmed.

    The job takes its time as an argument: first the day the oldest month is wholly past
    its year (that month goes in one DROP, nothing to trim), then the day after (that day's
    sessions of the next month go row by row), as the scheduled job meets them.
    """
    del now  # the runs' times follow from the oldest month loaded
    config = LegalSettings()
    store = PostgresRetention(conn, config.retention(), config.audit_ring())
    oldest = min(await session_months.months(conn))
    month_day = session_months.month_end(oldest) + config.retention().connection_data
    baseline = await _writing(dsn, None)
    for label, at in (
        (f"the month {oldest:%Y-%m} past its year", month_day),
        ("the next day, trimmed row by row", month_day + timedelta(days=1)),
    ):
        (outcomes, took), during = await _writing(dsn, _timed(run_retention(store, now=at)))
        sessions = next(o for o in outcomes if o.name == "legal.sessions")
        kept = await conn.fetchval(
            "SELECT count(*) FROM legal.sessions WHERE platform_user_id = $1 AND observed_at < $2",
            PRESERVED,
            at - config.retention().connection_data,
        )
        parts = ""
        if store.months is not None and store.months.months:
            parts = (
                f" (detached in {store.months.detaching * 1000:.0f} ms: the lock on "
                f"legal.sessions; dropped in {store.months.removing:.2f} s: the files freed, "
                "a lock on the detached month alone)"
            )
        print(
            f"retention, {label}: {sessions.partitions} month(s) dropped whole{parts} and "
            f"{sessions.due:,} sessions gone{ESTIMATED if sessions.estimated else ''}"
            f" in {sessions.seconds:.2f} s (the whole run {took:.2f} s; target for a month "
            f"< {RETENTION_TARGET_SECONDS:.0f} s); {kept} sessions of the preserved account "
            f"past their year kept; the intake's transactions beside it: longest "
            f"{max(during) * 1000:.1f} ms, p99 {_p99(during) * 1000:.1f} ms over "
            f"{len(during):,} (alone: longest {max(baseline[1]) * 1000:.1f} ms, p99 "
            f"{_p99(baseline[1]) * 1000:.1f} ms); load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )


async def _timed(job: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    return await job, time.perf_counter() - started


async def _writing(dsn: str, job: Any) -> tuple[Any, list[float]]:
    """Await ``job`` (or 5 s, if None) beside the intake's transactions; its result and theirs."""
    stop = asyncio.Event()
    writer = asyncio.create_task(_writer(dsn, stop))
    await asyncio.sleep(1)
    result = None
    if job is None:
        await asyncio.sleep(4)
    else:
        result = await job
    await asyncio.sleep(1)
    stop.set()
    return result, await writer


def _p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _clean(conn: asyncpg.Connection, *, today: date) -> None:
    """Empty the store's sessions and the bench's accounts; drop the days it made."""
    await conn.execute("TRUNCATE legal.sessions")
    await conn.execute("DELETE FROM legal.accounts WHERE platform_user_id LIKE $1", PREFIX + "%")
    await conn.execute(
        "DELETE FROM legal.account_keys WHERE platform_user_id LIKE $1", PREFIX + "%"
    )
    for month in await session_months.months(conn):
        if month < session_months.month_of(today - timedelta(days=1)):
            await conn.execute(f"DROP TABLE {session_months.partition_name(month)}")
