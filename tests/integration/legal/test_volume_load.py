"""The volume bench's loader on the real PostgreSQL: its months are the service's months
(same bounds, same indexes), its rows what the intake writes (real sealed addresses, in the
order observed, every account with its key), and the measured account's sessions read and
open through the store's own code among the others."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import pytest

from services.legal.adapters.postgres import legal_unit, session_months
from services.legal.adapters.postgres.identity_store import account_rows
from services.legal.config import LegalSettings
from services.legal.core.fieldcrypt import AccountKey, FieldOpener
from services.legal.core.identity import InsertSession, Sealer, changes_for, open_record
from services.legal.core.model import Scope
from services.legal.handlers.account_keys import AccountKeys
from services.legal.tools import volume_load
from services.legal.tools.volume import first_day
from shared.config import Settings
from shared.events.identity import IdentityEvent
from shared.events.legal import DataCategory
from tests.integration.conftest import admin_connection

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
TOTAL = 40_000
USER = "vol-measured"


@pytest.fixture
async def store(base_settings: Settings, db: asyncpg.Connection) -> AsyncIterator[str]:
    """The owner's DSN over a store holding only the months a fresh one has; emptied after."""

    async def fresh() -> None:
        keep = session_months.month_of(TODAY - timedelta(days=1))
        async with admin_connection() as admin:
            await admin.execute("TRUNCATE legal.sessions")
            await admin.execute("DELETE FROM legal.account_keys WHERE platform_user_id ~ '^vol-'")
            old = [m for m in await session_months.months(admin) if m < keep]
            # A load stopped halfway leaves months detached: not the service's any more.
            for month in old + await session_months.detached(admin):
                await admin.execute(f"DROP TABLE {session_months.partition_name(month)}")

    del db  # migrated and emptied
    await fresh()
    yield base_settings.database_url.get_secret_value()
    await fresh()


def _event(n: int, when: datetime, address: str) -> IdentityEvent:
    body = {
        "schema_version": 1, "event_id": uuid.uuid4().hex, "platform_user_id": USER,
        "occurred_at": when.isoformat(), "event_type": "session.observed",
        "ip_address": address, "source_port": 1000 + n,
    }  # fmt: skip
    return IdentityEvent.model_validate_json(json.dumps(body))


def _session(event: IdentityEvent, sealer: Sealer) -> InsertSession:
    (change,) = changes_for(event.root, cipher=sealer, index=LegalSettings().blind_index())
    assert isinstance(change, InsertSession)
    return change


async def _indexes(conn: asyncpg.Connection, month: date) -> list[str]:
    """A month's index and key definitions, its own name taken out."""
    table = session_months.partition_name(month)
    rows = await conn.fetch(
        """SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index
           WHERE indrelid = $1::regclass
           UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = $1::regclass ORDER BY 1""",
        table,
    )
    bare = table.removeprefix("legal.")
    return sorted(r["def"].replace(bare, "<month>") for r in rows)


async def test_the_loader_makes_the_services_months_and_the_intakes_rows(store: str) -> None:
    settings = LegalSettings()
    first = first_day(TODAY)
    conn = await asyncpg.connect(store)
    try:
        keys = await AccountKeys().for_users(legal_unit(conn, settings.keys()), [USER])
        days = [first + timedelta(days=d) for d in range(0, (TODAY - first).days + 1, 9)]
        addresses = ["192.0.2.7", "2001:db8::1"]
        measured = []
        for n, day in enumerate(days):
            when = datetime.combine(day, time(12, 0, n % 60), UTC)
            change = _session(_event(n, when, addresses[n % 2]), keys[USER])
            measured.append(
                (change.row_id, USER, change.observed_at, change.utc_offset_minutes,
                 change.address.pack(), change.key_id)
            )  # fmt: skip
        sealer = AccountKey(bytes(32))
        sealed = [
            _session(_event(n, datetime.now(UTC), f"198.51.100.{n}"), sealer).address.pack()
            for n in range(50)
        ]
        lines: list[str] = []
        loaded = await volume_load.load(
            store, TOTAL, first=first, today=TODAY, measured=measured,
            pool=volume_load.Pool.of(sealed), cipher=settings.keys().cipher(), jobs=2,
            report=lines.append,
        )  # fmt: skip

        plans = volume_load.plan(TOTAL, first=first, today=TODAY)
        assert len(lines) == len(plans)
        # Every session made is there, a measured one in the place of a bulk one.
        count = await conn.fetchval("SELECT count(*) FROM legal.sessions")
        assert count == loaded.sessions
        assert TOTAL - len(measured) <= count <= TOTAL + len(measured)
        # Each month is one of the service's: attached with its bounds, with its indexes.
        ahead = session_months.next_month(session_months.month_of(TODAY + timedelta(days=31)))
        await session_months.create_months(conn, ahead, ahead)
        made = await _indexes(conn, ahead)
        for month_plan in plans:
            assert await _indexes(conn, month_plan.month) == made
            in_month = await conn.fetchval(
                f"SELECT count(*) FROM {session_months.partition_name(month_plan.month)}"
            )
            assert abs(in_month - month_plan.count) <= len(measured)
        assert set(await session_months.months(conn)) >= {p.month for p in plans}
        # In each month, rows lie in about the order observed (as the intake wrote them),
        # as the statistics vacuum gathered say: what the trim's BRIN index relies on.
        correlations = await conn.fetch(
            """SELECT tablename, correlation FROM pg_stats
               WHERE schemaname = 'legal' AND attname = 'observed_at'
                 AND tablename = ANY($1::text[])""",
            [session_months.partition_name(p.month).removeprefix("legal.") for p in plans],
        )
        assert len(correlations) == len(plans)
        # PostgreSQL puts a row that fits in a full page's leftover space there, about one per
        # page, out of order: in a month of a few days (this month, early in it) those few
        # rows weigh more (0.978 with 794 rows on the 8th) than in a whole month (0.998).
        sizes = {session_months.partition_name(p.month).removeprefix("legal."): p.count
                 for p in plans}  # fmt: skip
        for r in correlations:
            least = 0.99 if sizes[r["tablename"]] >= 2_000 else 0.95
            assert r["correlation"] > least, (r["tablename"], r["correlation"])
        # Bulk rows: real sealed addresses from the pool, the intake's key id and offset.
        odd = await conn.fetchval(
            """SELECT count(*) FROM legal.sessions
               WHERE platform_user_id <> $1
                 AND (address <> ALL($2::bytea[]) OR key_id <> '@account'
                      OR utc_offset_minutes <> 60 OR row_id NOT LIKE platform_user_id || '/%'
                      OR length(row_id) <> length(platform_user_id) + 33)""",
            USER,
            sealed,
        )
        assert odd == 0
        # Every account that has sessions has its data key, wrapped as the intake wraps it.
        accounts = await conn.fetchval(
            "SELECT count(DISTINCT platform_user_id) FROM legal.sessions "
            "WHERE platform_user_id <> $1",
            USER,
        )
        assert TOTAL // 100 * 0.95 <= accounts <= TOTAL // 100
        keyless = await conn.fetchval(
            """SELECT count(*) FROM (SELECT DISTINCT platform_user_id FROM legal.sessions) s
               WHERE NOT EXISTS (SELECT 1 FROM legal.account_keys k
                                 WHERE k.platform_user_id = s.platform_user_id)"""
        )
        assert keyless == 0
        some = volume_load.account(TOTAL // 100 - 1)
        wrapped = await legal_unit(conn, settings.keys()).identity.account_keys([some])
        AccountKey.unwrap(wrapped[some], cipher=settings.keys().cipher(), user=some)

        # The measured account's year reads and opens through the store, every session.
        await conn.execute(
            """INSERT INTO legal.accounts (platform_user_id, registered_at, key_id, updated_at)
               VALUES ($1, $2, '@account', now())""",
            USER,
            datetime.combine(first, time(), UTC) - timedelta(days=1),
        )
        everything = Scope(
            frozenset({DataCategory.IDENTIFICATION}),
            datetime.combine(first, time(), UTC),
            datetime.now(UTC) + timedelta(days=1),
        )
        rows = await account_rows(conn, USER, everything)
        assert rows is not None
        record = open_record(
            rows[0], phone_numbers=rows[1], sessions=rows[2],
            cipher=FieldOpener(settings.keys().cipher(), keys[USER]),
        )  # fmt: skip
        assert [(s.observed_at_utc, s.ip_address, s.source_port) for s in record.sessions] == [
            (row[2], addresses[n % 2], 1000 + n) for n, row in enumerate(measured)
        ]
    finally:
        await conn.close()
