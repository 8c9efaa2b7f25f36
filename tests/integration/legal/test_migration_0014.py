"""Migration 0014 on a store kept by day (0013): every row moves into its month, none lost.

A database of its own is migrated to 0013 and filled as the intake would have filled it
(sessions over the year in their days, a preserved stray older than a year and one far
ahead in the default partition); then ``crible migrate`` applies 0014 alone.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from services.legal.adapters.postgres.session_months import month_of
from shared.config import Settings
from shared.db import migrate

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).parents[3] / "services" / "legal" / "migrations"
TODAY = datetime.now(UTC).date()


def in_database(dsn: str, database: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{database}"))


@pytest.fixture
async def store_by_day(tmp_path: Path, base_settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """The owner's and the service's DSNs of a new database migrated up to 0013 (dropped
    afterwards)."""
    admin_dsn = os.environ.get("CRIBLE_ADMIN_DATABASE_URL")
    if admin_dsn is None:
        pytest.fail("CRIBLE_ADMIN_DATABASE_URL (a superuser's DSN) is needed for a new database")
    owner_dsn = os.environ["DATABASE_URL"]
    database = f"crible_m0014_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f"CREATE DATABASE {database} OWNER {urlsplit(owner_dsn).username}")
    # The legal migrations as they were before 0014, as a package of their own.
    package = tmp_path / "legal_until_0013"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for sql in MIGRATIONS.glob("*.sql"):
        if int(sql.name[:4]) <= 13:
            shutil.copy(sql, package / sql.name)
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    dsn = in_database(owner_dsn, database)
    legal = in_database(base_settings.database_url_for("legal").get_secret_value(), database)
    try:
        await migrate(dsn, [("legal", "legal_until_0013")])
        yield dsn, legal
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("legal_until_0013", None)
        await admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
        await admin.close()


def session(n: int, when: datetime) -> tuple[object, ...]:
    user = f"user-{n % 7}"
    return (f"{user}/{n:032x}", user, when, 60, os.urandom(40 + n % 30), "@account")


async def test_0014_moves_every_session_from_its_day_into_its_month(
    store_by_day: tuple[str, str],
) -> None:
    owner, legal = store_by_day
    conn = await asyncpg.connect(legal)  # the service's own role, as the intake writes
    try:
        days = await conn.fetchval(
            "SELECT legal.create_session_days($1, $2)", TODAY - timedelta(days=364), TODAY
        )
        assert days >= 360  # the month ahead was there already
        start = datetime.combine(TODAY - timedelta(days=364), time(), UTC)
        rows = [session(n, start + timedelta(hours=n * 7)) for n in range(1240)]
        rows.append(session(5000, start - timedelta(days=200)))  # kept by an order: default
        rows.append(session(5001, start + timedelta(days=700)))  # far ahead: default
        await conn.copy_records_to_table(
            "sessions", schema_name="legal", records=rows,
            columns=["row_id", "platform_user_id", "observed_at", "utc_offset_minutes",
                     "address", "key_id"],
        )  # fmt: skip
        before = sorted(tuple(r) for r in await conn.fetch("SELECT * FROM legal.sessions"))
        assert len(before) == 1242

        applied = await migrate(owner, [("legal", "services.legal.migrations")])
        assert [m.version for m in applied] == [14]

        after = await conn.fetch("SELECT *, tableoid::regclass::text AS part FROM legal.sessions")
        assert sorted(tuple(r)[:-1] for r in after) == before
        for row in after:
            observed = row["observed_at"].astimezone(UTC).date()
            if observed < TODAY - timedelta(days=366) or observed > TODAY + timedelta(days=31):
                assert row["part"] == "legal.sessions_default"
            else:
                assert row["part"] == f"legal.sessions_{month_of(observed):%Y%m}"
        # No day is left, and the day functions went with them.
        leftover = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'legal'::regnamespace "
            "AND relname ~ '^sessions_[0-9]{8}$|before_0014'"
        )
        assert leftover == 0
        assert await conn.fetchval("SELECT to_regproc('legal.create_session_days')") is None
        # The service's role reads and writes the months, and makes new ones, as before.
        ahead = rows[-1][2].date()  # type: ignore[attr-defined]
        made = await conn.fetchval("SELECT legal.create_session_months($1, $2)", ahead, ahead)
        assert made == 1
        moved = await conn.fetchval(
            "SELECT tableoid::regclass::text FROM legal.sessions WHERE row_id = $1", rows[-1][0]
        )
        assert moved == f"legal.sessions_{month_of(ahead):%Y%m}"
        deleted = await conn.execute(
            "DELETE FROM legal.sessions WHERE row_id = $1 AND observed_at = $2",
            rows[0][0], rows[0][2],
        )  # fmt: skip
        assert deleted == "DELETE 1"
    finally:
        await conn.close()
