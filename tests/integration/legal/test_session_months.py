"""legal.sessions by month on the real PostgreSQL: months made ahead, a month past its year
dropped whole and the next trimmed to the day (what a preservation order holds kept), a
request reading only its period's months, and keys rotated across months, all as the
service's own role."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest

from services.legal.adapters.postgres import legal_unit, session_months
from services.legal.adapters.postgres.identity_store import account_rows, apply
from services.legal.adapters.postgres.retention import PostgresRetention
from services.legal.adapters.postgres.rotation import PostgresRotation
from services.legal.adapters.postgres.session_months import month_of, next_month
from services.legal.config import LegalSettings
from services.legal.core.fieldcrypt import ACCOUNT_KEY
from services.legal.core.identity import Sealer, changes_for, open_record
from services.legal.core.model import Scope
from services.legal.handlers.account_keys import AccountKeys
from services.legal.handlers.retention import run_retention
from services.legal.handlers.rotation import rotate_batch
from shared.config import Settings
from shared.events.identity import IdentityEvent
from shared.events.legal import DataCategory
from tests.integration.conftest import admin_connection
from tests.integration.legal.test_identity_store import opener_of

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
NOW = datetime.now(UTC)


@pytest.fixture
async def legal_db(
    base_settings: Settings, db: asyncpg.Connection
) -> AsyncIterator[asyncpg.Connection]:
    """A connection as ``crible_legal``, the service's own role (no DDL rights).

    The month partitions are those a fresh store has (yesterday's month to a month ahead):
    the ones earlier tests made are dropped, as an administrator would.
    """
    fresh = month_of(TODAY - timedelta(days=1)), month_of(TODAY + timedelta(days=31))
    async with admin_connection() as admin:
        for month in await session_months.months(admin):
            if not fresh[0] <= month <= fresh[1]:
                await admin.execute(f"DROP TABLE {session_months.partition_name(month)}")
    conn = await asyncpg.connect(base_settings.database_url_for("legal").get_secret_value())
    yield conn
    await conn.close()


class Recorder:
    """A connection that remembers the statements it was given (to explain them after)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, tuple[object, ...]]] = []

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        self.statements.append((sql, args))
        return await self.conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        self.statements.append((sql, args))
        return await self.conn.fetchrow(sql, *args)


def scanned(plan: dict[str, Any]) -> set[str]:
    """The relations an executed plan read (pruned ones are not in it, or never ran)."""
    found = set()
    if "Relation Name" in plan and plan.get("Actual Loops", 0) > 0:
        found.add(plan["Relation Name"])
    for child in plan.get("Plans", ()):
        found |= scanned(child)
    return found


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def store_sessions(
    conn: asyncpg.Connection, user: str, times: list[datetime], *, legacy: bool = False
) -> None:
    """``user``'s sessions at ``times``, sealed as the intake seals them (or per field)."""
    settings = LegalSettings()
    sealer: Sealer = settings.cipher()
    if not legacy:
        sealer = (await AccountKeys().for_users(legal_unit(conn, settings.keys()), [user]))[user]
    registration = {
        "schema_version": 1, "event_id": f"reg-{user}", "platform_user_id": user,
        "occurred_at": "2024-01-01T00:00:00Z", "event_type": "account.registered",
        "phone_number": "+33600000042",
    }  # fmt: skip
    bodies = [registration] + [
        {"schema_version": 1, "event_id": uuid.uuid4().hex, "platform_user_id": user,
         "occurred_at": when.isoformat(), "event_type": "session.observed",
         "ip_address": f"192.0.2.{n + 1}", "source_port": 1000 + n}
        for n, when in enumerate(times)
    ]  # fmt: skip
    changes = [
        change
        for body in bodies
        for change in changes_for(
            IdentityEvent.model_validate_json(json.dumps(body)).root,
            cipher=sealer,
            index=settings.blind_index(),
        )
    ]
    async with conn.transaction():
        await apply(conn, changes)


async def partition_of(conn: asyncpg.Connection, user: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT tableoid::regclass::text FROM legal.sessions WHERE platform_user_id = $1 "
        "ORDER BY observed_at",
        user,
    )
    return [r[0] for r in rows]


async def preserve(user: str) -> None:
    """A running preservation order for ``user`` (seeded as an import would: guards off)."""
    async with admin_connection() as admin:
        await admin.execute(
            """INSERT INTO legal.preservations (request_id, platform_user_id, starts_at, ends_at)
               VALUES ($1, $2, now() - interval '1 day', now() + interval '60 days')""",
            uuid.uuid4(),
            user,
        )


async def test_the_months_ahead_are_made_and_old_rows_move_into_a_month_made_later(
    legal_db: asyncpg.Connection,
) -> None:
    far = TODAY + timedelta(days=70)
    assert month_of(far) not in await session_months.months(legal_db)
    # A session beyond the months that exist waits in the default partition...
    await store_sessions(legal_db, "ahead", [at(far)])
    assert await partition_of(legal_db, "ahead") == ["legal.sessions_default"]
    # ...and moves into its month once the hourly job has made it.
    made = await session_months.create_ahead(legal_db, today=TODAY + timedelta(days=45))
    assert made >= 1
    assert await partition_of(legal_db, "ahead") == [f"legal.sessions_{far:%Y%m}"]
    assert await session_months.create_ahead(legal_db, today=TODAY + timedelta(days=45)) == 0
    # The service's role creates tables only through that function.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await legal_db.execute("CREATE TABLE legal.sessions_x (LIKE legal.sessions)")


async def test_a_month_past_its_year_goes_whole_the_next_to_the_day_and_preserved_rows_stay(
    db: asyncpg.Connection, legal_db: asyncpg.Connection
) -> None:
    # The run's time is an argument: the 15th of next month, within the order below.
    run_at = datetime.combine(next_month(month_of(TODAY)).replace(day=15), time(12), UTC)
    cutoff = run_at - timedelta(days=365)
    trimmed, old = month_of(cutoff.date()), month_of(month_of(cutoff.date()) - timedelta(days=1))
    recent = TODAY - timedelta(days=100)
    await session_months.create_months(legal_db, old, cutoff.date())
    await session_months.create_months(legal_db, recent, recent)
    hour = timedelta(hours=1)
    await store_sessions(
        legal_db, "gone",
        [at(old, 8), at(old, 9), cutoff - hour, cutoff + hour, at(recent)],
    )  # fmt: skip
    await store_sessions(legal_db, "held", [at(old, 10), cutoff - 2 * hour, at(recent)])
    await preserve("held")
    config = LegalSettings()
    store = PostgresRetention(legal_db, config.retention(), config.audit_ring())

    dry = {o.name: o for o in await run_retention(store, now=run_at, dry_run=True)}
    assert (dry["legal.sessions"].due, dry["legal.sessions"].kept) == (3, 2)
    assert dry["legal.sessions"].partitions == 1
    assert {old, trimmed} <= set(await session_months.months(legal_db))
    assert len(await partition_of(legal_db, "gone")) == 5

    done = {o.name: o for o in await run_retention(store, now=run_at)}
    assert (done["legal.sessions"].due, done["legal.sessions"].kept) == (3, 2)
    assert done["legal.sessions"].partitions == 1
    assert not done["legal.sessions"].estimated  # small months are counted, not estimated
    remaining = set(await session_months.months(legal_db))
    assert old not in remaining
    assert {trimmed, month_of(recent)} <= remaining
    # Not a day more: the session an hour past its year went, the one an hour short stays.
    assert await partition_of(legal_db, "gone") == [
        f"legal.sessions_{trimmed:%Y%m}",
        f"legal.sessions_{recent:%Y%m}",
    ]
    # The order's account keeps both its old sessions (the dropped month's in the default
    # partition, the trimmed month's in place) and reads them.
    assert await partition_of(legal_db, "held") == [
        "legal.sessions_default",
        f"legal.sessions_{trimmed:%Y%m}",
        f"legal.sessions_{recent:%Y%m}",
    ]
    rows = await account_rows(legal_db, "held")
    assert rows is not None
    record = open_record(
        rows[0],
        phone_numbers=rows[1],
        sessions=rows[2],
        cipher=await opener_of(db, "held", config.cipher()),
    )
    assert [s.ip_address for s in record.sessions] == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    # The run is on the audit chain, partitions and counts only.
    details = await db.fetchval(
        "SELECT details::text FROM legal.audit WHERE step = 'retention_run' "
        "ORDER BY sequence DESC LIMIT 1"
    )
    assert json.loads(details)["sessions_partitions_dropped"] == 1
    assert json.loads(details)["sessions_deleted"] == 3
    again = {o.name: o for o in await run_retention(store, now=run_at)}
    assert (again["legal.sessions"].due, again["legal.sessions"].partitions) == (0, 0)
    assert again["legal.sessions"].kept == 2


async def test_a_month_detached_by_a_run_that_stopped_before_dropping_it_goes_at_the_next(
    legal_db: asyncpg.Connection,
) -> None:
    old = month_of(TODAY - timedelta(days=420))
    await session_months.create_months(legal_db, old, old)
    await store_sessions(legal_db, "stopped", [at(old + timedelta(days=3))])
    cutoff = NOW - timedelta(days=365)
    await legal_db.fetch("SELECT * FROM legal.detach_session_month($1, $2, $3)", old, cutoff, NOW)
    # The run stops here: the month is out of legal.sessions, its table still there.
    assert await partition_of(legal_db, "stopped") == []
    assert await session_months.detached(legal_db) == [old]
    config = LegalSettings()
    store = PostgresRetention(legal_db, config.retention(), config.audit_ring())
    await run_retention(store, now=NOW)
    assert await session_months.detached(legal_db) == []
    assert await legal_db.fetchval("SELECT to_regclass($1)", f"legal.sessions_{old:%Y%m}") is None


async def test_a_month_within_its_year_or_not_a_month_is_never_dropped(
    legal_db: asyncpg.Connection,
) -> None:
    young = month_of(TODAY - timedelta(days=300))
    await session_months.create_months(legal_db, young, young)
    cutoff = NOW - timedelta(days=365)
    with pytest.raises(asyncpg.InvalidParameterValueError, match="not past its retention"):
        await legal_db.fetch(
            "SELECT * FROM legal.detach_session_month($1, $2, $3)", young, cutoff, NOW
        )
    # Nor is a month still attached dropped as if it were detached.
    with pytest.raises(asyncpg.InvalidParameterValueError, match="not a detached month"):
        await legal_db.fetchval("SELECT legal.drop_detached_session_month($1)", young)
    # A month without a partition (nothing to name) is refused.
    with pytest.raises(asyncpg.InvalidParameterValueError, match="not a month partition"):
        await legal_db.fetch(
            "SELECT * FROM legal.detach_session_month($1, $2, $3)", date(1999, 1, 1), cutoff, NOW
        )
    assert young in await session_months.months(legal_db)
    # The service's role drops no table itself.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await legal_db.execute(f"DROP TABLE legal.sessions_{young:%Y%m}")


async def explained_partitions(conn: asyncpg.Connection, user: str, period: Scope) -> set[str]:
    """The partitions the store's read of ``user``'s sessions in ``period`` reads."""
    recorder = Recorder(conn)
    rows = await account_rows(recorder, user, period)  # type: ignore[arg-type]
    assert rows is not None
    sql, args = next(s for s in recorder.statements if "FROM legal.sessions" in s[0])
    explained = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
    return scanned(json.loads(explained)[0]["Plan"]) - {"sessions_default"}


async def test_a_request_reads_only_the_months_of_its_period(
    legal_db: asyncpg.Connection,
) -> None:
    first = TODAY - timedelta(days=364)
    await session_months.create_months(legal_db, first, TODAY)
    every_third_day = [at(first + timedelta(days=d)) for d in range(0, 364, 3)]
    await store_sessions(legal_db, "reader", every_third_day)
    low, high = TODAY - timedelta(days=45), TODAY - timedelta(days=21)
    period = Scope(
        categories=frozenset({DataCategory.IDENTIFICATION}),
        date_from=at(low, 0),
        date_to=at(high, 0),
    )
    read = await explained_partitions(legal_db, "reader", period)
    assert read == {f"sessions_{month_of(low):%Y%m}", f"sessions_{month_of(high):%Y%m}"}
    # A year is its 13 months (or 12), not its 365 days.
    year = Scope(
        categories=frozenset({DataCategory.IDENTIFICATION}),
        date_from=at(first, 0),
        date_to=at(TODAY, 23),
    )
    read = await explained_partitions(legal_db, "reader", year)
    months, month = set(), month_of(first)
    while month <= TODAY:
        months.add(f"sessions_{month:%Y%m}")
        month = next_month(month)
    assert read == months
    assert len(read) in (12, 13)


async def test_rotate_key_moves_sessions_of_every_month_to_the_account_key(
    db: asyncpg.Connection, legal_db: asyncpg.Connection
) -> None:
    days = [TODAY - timedelta(days=d) for d in (70, 10)]
    await session_months.create_months(legal_db, days[0], days[1])
    # Sealed per field, as the store held them before account keys: two months and a stray.
    await store_sessions(
        legal_db, "legacy", [at(days[0]), at(days[1]), at(TODAY + timedelta(days=200))],
        legacy=True,
    )  # fmt: skip
    assert len(set(await partition_of(legal_db, "legacy"))) == 3
    config = LegalSettings()
    moved = 0
    while True:
        batch = await rotate_batch(
            PostgresRotation(legal_db), legal_unit(legal_db, config.keys()), config.cipher(),
            batch=2,
        )  # fmt: skip
        if not any(batch.values()):
            break
        moved += batch["sessions"]
    assert moved == 3
    keys = await legal_db.fetch(
        "SELECT DISTINCT key_id FROM legal.sessions WHERE platform_user_id = 'legacy'"
    )
    assert [r[0] for r in keys] == [ACCOUNT_KEY]
    rows = await account_rows(legal_db, "legacy")
    assert rows is not None
    record = open_record(
        rows[0], phone_numbers=rows[1], sessions=rows[2],
        cipher=await opener_of(db, "legacy", config.cipher()),
    )  # fmt: skip
    assert [s.ip_address for s in record.sessions] == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
