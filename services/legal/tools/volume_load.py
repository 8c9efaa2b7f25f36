"""The volume mode's loader: sessions made inside PostgreSQL, a month at a time.

Each month partition is made as the service makes it (``legal.create_session_months``),
detached with its indexes set aside, filled by ``INSERT ... SELECT`` from
``generate_series`` (no row crosses the network), its indexes built again from their own
definitions once it is full (a sort instead of 100 million random index inserts), attached
again, and vacuumed as autovacuum would have left a closed month. Months load side by side,
one connection each; the result is the layout a month made and filled by the service has.

A session's address is one of a pool of real ciphertexts, addresses sealed by the store's
own code (the same format and sizes as the intake writes), each bound to another row: the
bench never opens them. The measured accounts' sessions (sealed with their account keys,
opened by the bench) are put in their place in time among the others, so that they are
spread over the month's pages as the intake would have spread them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_start
from typing import Any

import asyncpg

from services.legal.adapters.postgres import session_months
from services.legal.core.fieldcrypt import ACCOUNT_KEY, KEY_BYTES, AccountKey, FieldCipher

PREFIX = "vol-"
COLUMNS = ["row_id", "platform_user_id", "observed_at", "utc_offset_minutes", "address", "key_id"]
#: The most accounts a load makes (their numbers are 7 digits, as ``account`` writes them).
MOST_ACCOUNTS = 10_000_000
#: Memory for one month's index sorts (two months load at once on 2 cores).
MAINTENANCE_WORK_MEM = "512MB"
_KEYS_BATCH = 50_000

#: Rows ``lo`` to ``hi - 1`` of a month: an account drawn by a hash of the row's number, a
#: row id of 32 hex digits after it (as ``identity.row_id``), times in order a step apart.
_BULK = """
INSERT INTO {table} (row_id, platform_user_id, observed_at, utc_offset_minutes, address,
                     key_id)
SELECT s.account || '/' || md5($10::text || ':' || s.g), s.account,
       to_timestamp($3::float8 + (s.g + random()) * $4::float8), 60,
       substring($6::bytea FROM ($7::int[])[s.i] FOR ($8::int[])[s.i]), '{key}'
FROM (SELECT g, (1 + g % $9::int)::int AS i,
             '{prefix}' || lpad(((hashint8(g + $11::bigint) & 2147483647) % $5::int)::text, 7, '0')
             AS account
      FROM generate_series($1::bigint, $2::bigint - 1) g) s
"""


def account(n: int) -> str:
    """The bulk account number ``n`` (what the loader's SQL writes)."""
    return f"{PREFIX}{n:07d}"


@dataclass(frozen=True, slots=True)
class MonthPlan:
    """One month's share: ``count`` sessions evenly spread over [``start``, ``end``)."""

    month: date
    start: datetime
    end: datetime
    count: int

    @property
    def step(self) -> float:
        """Seconds between two sessions' slots."""
        return (self.end - self.start).total_seconds() / max(1, self.count)

    def slot(self, when: datetime) -> int:
        """The slot a session observed at ``when`` takes (its neighbours are before/after)."""
        return min(self.count - 1, int((when - self.start).total_seconds() / self.step))


def plan(total: int, *, first: date, today: date) -> list[MonthPlan]:
    """``total`` sessions over the days ``first`` to ``today``, each month its days' share."""
    begin = datetime.combine(first, day_start(), tzinfo=UTC)
    finish = datetime.combine(today + timedelta(days=1), day_start(), tzinfo=UTC)
    seconds = (finish - begin).total_seconds()
    plans: list[MonthPlan] = []
    month, given = session_months.month_of(first), 0
    while session_months.month_start(month) < finish:
        start = max(begin, session_months.month_start(month))
        end = min(finish, session_months.month_end(month))
        count = round(total * (end - begin).total_seconds() / seconds) - given
        plans.append(MonthPlan(month, start, end, count))
        given += count
        month = session_months.next_month(month)
    return plans


@dataclass(frozen=True, slots=True)
class Pool:
    """Sealed addresses in one value, cut out by offset and length (an O(1) lookup in SQL)."""

    blob: bytes
    offsets: list[int]
    lengths: list[int]

    @classmethod
    def of(cls, sealed: Sequence[bytes]) -> Pool:
        """The pool of ``sealed`` (packed ciphertexts)."""
        offsets, at = [], 1  # SQL's substring counts from 1
        for value in sealed:
            offsets.append(at)
            at += len(value)
        return cls(b"".join(sealed), offsets, [len(v) for v in sealed])


@dataclass(slots=True)
class Loaded:
    """What the load did: sessions written, seconds, and each month's line."""

    sessions: int = 0
    seconds: float = 0.0
    months: list[str] = field(default_factory=list)


def placed(
    plans: Sequence[MonthPlan], rows: Sequence[tuple[Any, ...]]
) -> dict[date, list[tuple[int, tuple[Any, ...]]]]:
    """The measured rows (observed at ``row[2]``) by month, with their slots, in time order."""
    found: dict[date, list[tuple[int, tuple[Any, ...]]]] = {}
    by_month = {p.month: p for p in plans}
    for row in sorted(rows, key=lambda r: r[2]):
        month_plan = by_month[session_months.month_of(row[2].astimezone(UTC).date())]
        found.setdefault(month_plan.month, []).append((month_plan.slot(row[2]), row))
    return found


def chunks(count: int, slots: Sequence[int]) -> Iterator[tuple[int, int, int | None]]:
    """Bulk ranges [lo, hi) and, after each, the index of the measured row that follows.

    A measured row takes its slot's place: the bulk row of that number is not made.
    """
    lo = 0
    for i, slot in enumerate(slots):
        yield lo, max(lo, slot), i
        lo = max(lo, slot + 1)
    yield lo, count, None


async def load(
    dsn: str,
    total: int,
    *,
    first: date,
    today: date,
    measured: Sequence[tuple[Any, ...]],
    pool: Pool,
    cipher: FieldCipher,
    jobs: int = 2,
    report: Callable[[str], None] = print,
) -> Loaded:
    """Load ``total`` sessions (with ``measured`` among them) and every account's key."""
    accounts = max(1, total // 100)
    if accounts > MOST_ACCOUNTS:
        raise ValueError(f"at most {MOST_ACCOUNTS * 100:,} sessions")
    plans = plan(total, first=first, today=today)
    where = placed(plans, measured)
    conn = await asyncpg.connect(dsn)
    try:
        await session_months.create_months(conn, first, today + timedelta(days=1))
        indexes = {p.month: await _set_aside(conn, p.month) for p in plans}
    finally:
        await conn.close()
    outcome = Loaded()
    started = time.monotonic()
    queue: asyncio.Queue[MonthPlan] = asyncio.Queue()
    for month_plan in plans:
        queue.put_nowait(month_plan)

    async def worker() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            while not queue.empty():
                month_plan = queue.get_nowait()
                line, written = await _month(
                    conn, month_plan, where.get(month_plan.month, []), indexes[month_plan.month],
                    accounts=accounts, pool=pool,
                )  # fmt: skip
                outcome.sessions += written
                outcome.months.append(line)
                done = time.monotonic() - started
                report(f"  {line}; {outcome.sessions:,} so far, {outcome.sessions / done:,.0f}/s")
        finally:
            await conn.close()

    async def keys() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await _account_keys(conn, accounts, cipher=cipher)
        finally:
            await conn.close()

    await asyncio.gather(keys(), *(worker() for _ in range(max(1, jobs))))
    outcome.seconds = time.monotonic() - started
    return outcome


_LOADING_RANGE = "loading_range"


def _bounds(month: date) -> tuple[str, str]:
    """``month``'s bounds as SQL literals (made from a date: safe to put in SQL)."""
    return (
        f"'{session_months.month_start(month).isoformat()}'",
        f"'{session_months.month_end(month).isoformat()}'",
    )


@dataclass(frozen=True, slots=True)
class _Indexes:
    """A month's primary key and other indexes, as the parent table gave them."""

    primary_key: tuple[str, str]
    others: list[tuple[str, str]]


async def _set_aside(conn: asyncpg.Connection, month: date) -> _Indexes:
    """Detach an empty month and drop its indexes, keeping their definitions."""
    table = session_months.partition_name(month)
    if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
        raise RuntimeError(f"{table} holds rows: the loader needs empty months")
    (key,) = await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype = 'p'",
        table,
    )
    others = await conn.fetch(
        "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def "
        "FROM pg_index WHERE indrelid = $1::regclass AND NOT indisprimary ORDER BY 1",
        table,
    )
    await conn.execute(f"ALTER TABLE legal.sessions DETACH PARTITION {table}")
    await conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {key['conname']}")
    for index in others:
        await conn.execute(f"DROP INDEX {index['name']}")
    # Checked row by row as the month fills, this spares ATTACH a scan of the full month.
    low, high = _bounds(month)
    await conn.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {_LOADING_RANGE} "
        f"CHECK (observed_at >= {low} AND observed_at < {high})"
    )
    return _Indexes((key["conname"], key["def"]), [(r["name"], r["def"]) for r in others])


async def _month(
    conn: asyncpg.Connection,
    month_plan: MonthPlan,
    measured: Sequence[tuple[int, tuple[Any, ...]]],
    indexes: _Indexes,
    *,
    accounts: int,
    pool: Pool,
) -> tuple[str, int]:
    """Fill one detached month, index it, attach it, vacuum it; its line and rows."""
    table = session_months.partition_name(month_plan.month)
    bulk = _BULK.format(table=table, prefix=PREFIX, key=ACCOUNT_KEY)
    single = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6)"
    seed = int(month_plan.month.strftime("%Y%m"))
    started = time.monotonic()
    written = 0
    async with conn.transaction():
        for lo, hi, after in chunks(month_plan.count, [slot for slot, _ in measured]):
            if hi > lo:
                status = await conn.execute(
                    bulk, lo, hi, month_plan.start.timestamp(), month_plan.step, accounts,
                    pool.blob, pool.offsets, pool.lengths, len(pool.offsets), str(seed),
                    seed * 1_000_003,
                )  # fmt: skip
                written += int(status.split()[-1])
            if after is not None:
                await conn.execute(single, *measured[after][1])
                written += 1
    filled = time.monotonic()
    name, definition = indexes.primary_key
    await conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _, definition in indexes.others:
        await conn.execute(definition)
    indexed = time.monotonic()
    low, high = _bounds(month_plan.month)
    async with conn.transaction():
        await conn.execute(
            f"ALTER TABLE legal.sessions ATTACH PARTITION {table} "
            f"FOR VALUES FROM ({low}) TO ({high})"
        )
        await conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_LOADING_RANGE}")
    await conn.execute(f"VACUUM (ANALYZE) {table}")
    done = time.monotonic()
    line = (
        f"{month_plan.month:%Y-%m}: {written:,} sessions in {done - started:.0f} s (rows "
        f"{filled - started:.0f} s, indexes {indexed - filled:.0f} s, attach and vacuum "
        f"{done - indexed:.0f} s); load average {os.getloadavg()[0]:.1f}"
    )
    return line, written


async def _account_keys(conn: asyncpg.Connection, accounts: int, *, cipher: FieldCipher) -> None:
    """Every bulk account's data key, made and wrapped as the intake makes it."""

    def wrapped(lo: int, hi: int) -> list[tuple[str, bytes, str]]:
        rows = []
        for n in range(lo, hi):
            user = account(n)
            sealed = AccountKey.wrap(os.urandom(KEY_BYTES), cipher=cipher, user=user)
            rows.append((user, sealed.pack(), sealed.key_id))
        return rows

    for lo in range(0, accounts, _KEYS_BATCH):
        rows = await asyncio.to_thread(wrapped, lo, min(accounts, lo + _KEYS_BATCH))
        await conn.copy_records_to_table(
            "account_keys", schema_name="legal", records=rows,
            columns=["platform_user_id", "data_key", "key_id"],
        )  # fmt: skip
