"""PostgreSQL least privilege: each service reaches its own rows and nothing else.

A second service (``neighbour``, migrations under ``neighbour_migrations/``) is migrated
through the same code path as ingest for these tests, then dropped.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from services.ingest.service import SPEC
from shared.cli.local.postgres import set_password
from shared.config import Settings
from shared.db import migrate
from shared.runtime.contract import Outbound
from shared.runtime.outbox_table import decode_records, encode_records
from shared.topics import CASES
from tests.integration.conftest import MIGRATIONS, eventually, read_topic, running

NEIGHBOUR = ("neighbour", "tests.integration.neighbour_migrations")


def as_role(dsn: str, role: str, password: str | None) -> str:
    """``dsn`` with another user (and password, or none)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    user = role if password is None else f"{role}:{password}"
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


async def connect_as_service(settings: Settings, service: str) -> asyncpg.Connection:
    return await asyncpg.connect(settings.database_url_for(service).get_secret_value())


@pytest.fixture
async def neighbour(base_settings: Settings, db: asyncpg.Connection) -> AsyncIterator[str]:
    """The DSN of a second service, migrated like ingest; its schema and roles go afterwards."""
    owner_dsn = base_settings.database_url.get_secret_value()
    await migrate(owner_dsn, [*MIGRATIONS, NEIGHBOUR])
    password = secrets.token_urlsafe(16)
    await set_password(db, "crible_neighbour", password)
    yield as_role(owner_dsn, "crible_neighbour", password)
    await db.execute("DROP SCHEMA neighbour CASCADE")
    await db.execute(
        "DELETE FROM public.crible_migrations WHERE owner IN ('neighbour', 'runtime:neighbour')"
    )
    await db.execute('REVOKE CONNECT ON DATABASE "crible" FROM crible_neighbour')
    await db.execute("DROP OWNED BY crible_neighbour_owner")  # its default privileges
    await db.execute("DROP ROLE crible_neighbour, crible_neighbour_owner")


async def denied(conn: asyncpg.Connection, sql: str) -> bool:
    """Whether PostgreSQL refuses ``sql`` for lack of privilege."""
    try:
        await conn.execute(sql)
    except asyncpg.InsufficientPrivilegeError:
        return True
    return False


async def test_the_ingest_service_connects_as_its_own_role(
    settings: Settings, db: asyncpg.Connection
) -> None:
    async def ingest_sessions() -> list[str]:
        rows = await db.fetch(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'crible-ingest'"
        )
        return [r["usename"] for r in rows]

    async with running(SPEC, settings):
        users = await eventually(ingest_sessions)

    assert users == ["crible_ingest"]
    assert await db.fetchval("SELECT current_user") != "crible_ingest"


async def test_a_service_cannot_read_or_write_another_services_tables(
    base_settings: Settings, neighbour: str
) -> None:
    ingest = await connect_as_service(base_settings, "ingest")
    other = await asyncpg.connect(neighbour)
    try:
        # Each reaches its own rows...
        await other.execute("INSERT INTO neighbour.notes (body) VALUES ('private')")
        assert await other.fetchval("SELECT body FROM neighbour.notes") == "private"
        assert await ingest.fetchval("SELECT count(*) FROM ingest.outbox") == 0
        # ...and none of the other's, pending events included.
        assert await denied(ingest, "SELECT body FROM neighbour.notes")
        assert await denied(ingest, "INSERT INTO neighbour.notes (body) VALUES ('x')")
        assert await denied(ingest, "UPDATE neighbour.notes SET body = 'x'")
        assert await denied(ingest, "SELECT * FROM neighbour.outbox")
        assert await denied(other, "SELECT * FROM ingest.reports")
        assert await denied(other, "DELETE FROM ingest.cases")
        assert await denied(
            other, "INSERT INTO ingest.outbox (record_count, records) VALUES (0, '')"
        )
    finally:
        await ingest.close()
        await other.close()


async def test_a_service_cannot_change_any_schema_not_even_its_own(
    base_settings: Settings, db: asyncpg.Connection
) -> None:
    ingest = await connect_as_service(base_settings, "ingest")
    try:
        for sql in (
            "DROP TABLE ingest.reports",
            "ALTER TABLE ingest.cases ADD COLUMN note text",
            "TRUNCATE ingest.cases",
            "CREATE TABLE ingest.extra (a int)",
            "CREATE TABLE public.extra (a int)",
            "CREATE SCHEMA extra",
            "CREATE TEMPORARY TABLE extra (a int)",
            "CREATE INDEX ON ingest.cases (category)",
        ):
            assert await denied(ingest, sql), sql
    finally:
        await ingest.close()
    assert await db.fetchval("SELECT to_regclass('ingest.reports') IS NOT NULL")


async def test_migration_bookkeeping_is_readable_by_the_owner_role_only(
    base_settings: Settings, db: asyncpg.Connection
) -> None:
    ingest = await connect_as_service(base_settings, "ingest")
    try:
        assert await denied(ingest, "SELECT * FROM public.crible_migrations")
        assert await denied(ingest, "DELETE FROM public.crible_migrations")
    finally:
        await ingest.close()
    assert await db.fetchval("SELECT count(*) FROM public.crible_migrations") >= 2


async def test_a_connection_without_the_password_is_refused(base_settings: Settings) -> None:
    for service_dsn in (
        base_settings.database_url_for("ingest").get_secret_value(),
        base_settings.database_url.get_secret_value(),
    ):
        user = urlsplit(service_dsn).username
        assert user is not None
        for password in (None, "wrong"):
            with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
                await asyncpg.connect(as_role(service_dsn, user, password), passfile="/nonexistent")


async def test_tables_a_later_migration_adds_are_the_services_to_use(
    base_settings: Settings, db: asyncpg.Connection, neighbour: str
) -> None:
    other = await asyncpg.connect(neighbour)
    try:
        # 0002 ran after 0001's grants; a table made now by the owner role, without any
        # migrate run after it, is covered by the default privileges too.
        async with db.transaction():
            await db.execute("SET LOCAL ROLE crible_neighbour_owner")
            await db.execute("CREATE TABLE neighbour.added (id int)")
        note = await other.fetchval("INSERT INTO neighbour.notes (body) VALUES ('n') RETURNING id")
        await other.execute("INSERT INTO neighbour.tags VALUES ($1, 'a')", note)
        await other.execute("INSERT INTO neighbour.added VALUES (1)")
        assert await other.fetchval("SELECT count(*) FROM neighbour.added") == 1
        assert await denied(other, "DROP TABLE neighbour.added")
    finally:
        await other.close()
    # The owner role may create schemas only while its migrations run.
    assert not await db.fetchval(
        "SELECT has_database_privilege('crible_neighbour_owner', current_database(), 'CREATE')"
    )


async def test_migrate_takes_over_the_first_layout_and_its_unpublished_events(
    settings: Settings, db: asyncpg.Connection
) -> None:
    """The first layout: one `crible.outbox` for all, and tables not owned by a service role."""
    pending = [Outbound(CASES.name, b"case-1", b'{"left": "by the first layout"}')]
    await db.execute(
        """
        CREATE SCHEMA crible;
        CREATE TABLE crible.outbox (
            id bigserial PRIMARY KEY, service text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            record_count integer NOT NULL, records bytea NOT NULL);
        INSERT INTO public.crible_migrations (owner, version, name, checksum)
        VALUES ('crible', 1, 'outbox', 'first layout');
        ALTER TABLE ingest.cases OWNER TO CURRENT_USER;
        """
    )
    insert = (
        "INSERT INTO crible.outbox (service, created_at, record_count, records) "
        "VALUES ($1, now() - interval '1 hour', 1, $2)"
    )
    await db.execute(insert, "ingest", encode_records(pending))
    await db.execute(insert, "retired", encode_records(pending))
    dsn = settings.database_url.get_secret_value()

    # Events of a service nobody migrates cannot be moved: nothing happens, migrate says so.
    with pytest.raises(RuntimeError, match="retired"):
        await migrate(dsn, MIGRATIONS)
    assert await db.fetchval("SELECT count(*) FROM crible.outbox") == 2

    await db.execute("DELETE FROM crible.outbox WHERE service = 'retired'")
    assert await migrate(dsn, MIGRATIONS) == []

    assert await db.fetchval("SELECT to_regnamespace('crible')") is None
    assert not await db.fetchval(
        "SELECT count(*) FROM public.crible_migrations WHERE owner = 'crible'"
    )
    owner = "SELECT tableowner FROM pg_tables WHERE schemaname = 'ingest' AND tablename = 'cases'"
    assert await db.fetchval(owner) == "crible_ingest_owner"
    moved = await db.fetchval("SELECT records FROM ingest.outbox")
    assert decode_records(moved) == pending

    # The ingest service may use its table again, and relays the moved events.
    async with running(SPEC, settings):
        events = await read_topic(settings, CASES.name, until=lambda rs: len(rs) >= 1)
        await eventually(lambda: db.fetchval("SELECT count(*) = 0 FROM ingest.outbox"))
    assert [(e.key, e.value) for e in events] == [(b"case-1", pending[0].value)]
    ingest = await connect_as_service(settings, "ingest")
    try:
        assert await ingest.fetchval("SELECT count(*) FROM ingest.cases") == 0
    finally:
        await ingest.close()
