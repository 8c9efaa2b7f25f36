"""PostgreSQL access: the asyncpg pool, the SQL migrations and the roles of every service.

Each service keeps its migrations in ``services/<name>/migrations/NNNN_title.sql`` and its
tables in a PostgreSQL schema of its own name. ``crible migrate`` runs as the owner role of
``DATABASE_URL`` (owner of the database, ``CREATEROLE``, not a superuser) and, for each
service, makes sure that:

- the ``NOLOGIN`` role ``crible_<service>_owner`` owns schema ``<service>`` and everything
  in it: the service's migrations run under ``SET ROLE`` to it;
- the role ``crible_<service>``, the one the service logs in as, may use that schema and
  only read and write its rows (no DDL, no other schema, no ``public``, no temporary tables);
- the runtime's own tables (the outbox, ``shared/migrations``) exist in that schema.

Migrations are applied in order, each in its own transaction, under an advisory lock so that
several processes may run them at once; a second run changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TypeAlias

import asyncpg
from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

#: The runtime's own tables, created in every service's schema before the service's own.
RUNTIME_MIGRATIONS = "shared.migrations"
#: Migration bookkeeping: owned by the migrating role, readable by no service.
BOOKKEEPING = "public.crible_migrations"
#: A connection as handlers receive it: straight from asyncpg, or borrowed from a pool.
Connection: TypeAlias = "asyncpg.Connection[Record] | PoolConnectionProxy[Record]"

_MIGRATION_LOCK = 0x637269626C65  # "crible": one advisory lock id for migrations
# Service names become role and schema names, which SQL cannot take as parameters.
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def service_schema(service: str) -> str:
    """The service's schema, checked to be a plain identifier (safe to put in SQL)."""
    if not _SERVICE_NAME.fullmatch(service):
        raise ValueError(f"service name {service!r} is not a lower-case identifier")
    return service


def owner_role(service: str) -> str:
    """The role that owns the service's schema and tables (no login; migrations use it)."""
    return f"crible_{service_schema(service)}_owner"


def login_role(service: str) -> str:
    """The role the service connects as: rows of its own tables, nothing more."""
    return f"crible_{service_schema(service)}"


@dataclass(frozen=True, slots=True)
class Migration:
    """One SQL file, applied in one service's schema."""

    owner: str
    schema: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the SQL, so an edited, already-applied file is noticed."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


async def create_pool(dsn: str, *, max_size: int, application_name: str) -> asyncpg.Pool:
    """Open a connection pool; ``application_name`` names the service in ``pg_stat_activity``."""
    return await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        command_timeout=60,
        server_settings={"application_name": application_name},
    )


def _read(package: str, *, owner: str, schema: str) -> list[Migration]:
    files = sorted(
        (f for f in resources.files(package).iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    found = []
    for file in files:
        version, _, name = file.name.removesuffix(".sql").partition("_")
        found.append(Migration(owner, schema, int(version), name, file.read_text()))
    return found


def discover_migrations(service: str, package: str) -> list[Migration]:
    """The runtime's migrations for ``service`` (owner ``runtime:<service>``), then its own."""
    schema = service_schema(service)
    return [
        *_read(RUNTIME_MIGRATIONS, owner=f"runtime:{service}", schema=schema),
        *_read(package, owner=service, schema=schema),
    ]


async def migrate(dsn: str, services: Sequence[tuple[str, str]]) -> list[Migration]:
    """Set up the roles and apply the migrations of ``services`` not yet applied; return those.

    ``services`` are (service, migrations package) pairs; ``dsn`` is the owner role's.
    """
    conn = await asyncpg.connect(dsn)
    applied_now: list[Migration] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await _close_public(conn)
        rows = await conn.fetch(f"SELECT owner, version, checksum FROM {BOOKKEEPING}")
        done = {(r["owner"], r["version"]): r["checksum"] for r in rows}
        for service, package in services:
            await _ensure_roles_and_schema(conn, service)
            for migration in discover_migrations(service, package):
                key = (migration.owner, migration.version)
                if key in done:
                    if done[key] != migration.checksum:
                        raise RuntimeError(
                            f"migration {migration.owner}/{migration.version:04d}_"
                            f"{migration.name} was edited after it was applied; "
                            "add a new migration instead"
                        )
                    continue
                await _apply(conn, migration)
                applied_now.append(migration)
                log.info(
                    "migration applied",
                    extra={"owner": migration.owner, "version": migration.version},
                )
            await _grant_rows(conn, service)
        await _retire_shared_outbox(conn, [service for service, _ in services])
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await conn.close()
    return applied_now


async def _close_public(conn: asyncpg.Connection) -> None:
    """Bookkeeping table; no schema ``public``, temporary table or connection for just anyone."""
    database = await conn.fetchval("SELECT quote_ident(current_database())")
    async with conn.transaction():
        await conn.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {BOOKKEEPING} (
                owner text NOT NULL,
                version integer NOT NULL,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (owner, version)
            )"""
        )
        await conn.execute(f"REVOKE ALL ON {BOOKKEEPING} FROM PUBLIC")
        await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await conn.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM PUBLIC")


async def _ensure_roles_and_schema(conn: asyncpg.Connection, service: str) -> None:
    """Create the service's roles and schema if missing; give the owner role what it owns."""
    schema, owner, login = service_schema(service), owner_role(service), login_role(service)
    database = await conn.fetchval("SELECT quote_ident(current_database())")
    async with conn.transaction():
        # Roles are made without a password: an operator sets it (`crible local` does).
        for role, options in ((owner, "NOLOGIN"), (login, "LOGIN")):
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {role} {options}")
        # The migrating role acts as the owner role (SET ROLE) and sees what it owns.
        if not await conn.fetchval(
            "SELECT 1 FROM pg_auth_members WHERE roleid = $1::text::regrole AND member = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user) AND set_option "
            "AND inherit_option",
            owner,
        ):
            await conn.execute(f"GRANT {owner} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE")
        current = await conn.fetchval(
            "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", schema
        )
        if current is None:
            await conn.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {owner}")
        elif current != owner:  # made by an earlier layout, by the migrating role itself
            await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {owner}")
        await _give_tables_to(conn, schema=schema, owner=owner)
        await conn.execute(f"GRANT CONNECT ON DATABASE {database} TO {login}")


async def _give_tables_to(conn: asyncpg.Connection, *, schema: str, owner: str) -> None:
    """Make ``owner`` own every table and free sequence in ``schema`` (earlier layouts)."""
    strays = await conn.fetch(
        """
        SELECT quote_ident(c.relname) AS name, c.relkind = 'S' AS is_sequence
        FROM pg_class c
        WHERE c.relnamespace = $1::text::regnamespace AND c.relowner <> $2::text::regrole
          AND (c.relkind IN ('r', 'p', 'v', 'm', 'f')
               OR (c.relkind = 'S' AND NOT EXISTS (
                   SELECT 1 FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND d.deptype IN ('a', 'i'))))
        ORDER BY c.relkind = 'S', c.relname
        """,
        schema,
        owner,
    )
    for stray in strays:
        kind = "SEQUENCE" if stray["is_sequence"] else "TABLE"
        # A table takes its indexes and owned sequences along.
        await conn.execute(f"ALTER {kind} {schema}.{stray['name']} OWNER TO {owner}")


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    schema, owner = migration.schema, owner_role(migration.schema)
    database = await conn.fetchval("SELECT quote_ident(current_database())")
    async with conn.transaction():
        # `CREATE SCHEMA IF NOT EXISTS` checks the right to create schemas before it looks
        # whether the schema exists: the owner role holds that right only while migrating.
        await conn.execute(f"GRANT CREATE ON DATABASE {database} TO {owner}")
        await conn.execute(f"SET LOCAL ROLE {owner}")
        await conn.execute(f"SET LOCAL search_path TO {schema}")
        await conn.execute(migration.sql)
        await conn.execute("RESET ROLE")
        await conn.execute(f"REVOKE CREATE ON DATABASE {database} FROM {owner}")
        await conn.execute(
            f"INSERT INTO {BOOKKEEPING} (owner, version, name, checksum) VALUES ($1, $2, $3, $4)",
            migration.owner,
            migration.version,
            migration.name,
            migration.checksum,
        )


async def _grant_rows(conn: asyncpg.Connection, service: str) -> None:
    """The login role gets rows of its schema's tables, now and for later migrations' tables."""
    schema, owner, login = service_schema(service), owner_role(service), login_role(service)
    async with conn.transaction():
        # As the owner role, so that the grants are the owner's and read as such.
        await conn.execute(f"SET LOCAL ROLE {owner}")
        await conn.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
        await conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {login}")
        # Revoked first so that whatever else was granted by hand goes away.
        await conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC, {login}")
        await conn.execute(f"GRANT {_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {login}")
        await conn.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM PUBLIC, {login}")
        await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {login}")
        await conn.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT {_TABLE_PRIVILEGES} ON TABLES TO {login}"
        )
        await conn.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {login}"
        )
        # A table whose comment starts with "append-only" (an audit log) is the service's
        # to insert into and read, never to change: its role loses UPDATE, DELETE, TRUNCATE.
        append_only = await conn.fetch(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = $1 AND c.relkind = 'r'
                 AND obj_description(c.oid, 'pg_class') LIKE 'append-only%'""",
            schema,
        )
        for row in append_only:
            await conn.execute(
                f'REVOKE UPDATE, DELETE, TRUNCATE ON {schema}."{row["relname"]}" FROM {login}'
            )
        # A table whose comment starts with "read-only" (who may act: officers, authorities)
        # is written by operators as the owner role; the service's role may only read it.
        read_only = await conn.fetch(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = $1 AND c.relkind = 'r'
                 AND obj_description(c.oid, 'pg_class') LIKE 'read-only%'""",
            schema,
        )
        for row in read_only:
            await conn.execute(
                f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}."{row["relname"]}" '
                f"FROM {login}"
            )


async def _retire_shared_outbox(conn: asyncpg.Connection, services: Sequence[str]) -> None:
    """Move the rows of the first layout's shared ``crible.outbox`` to each service's outbox.

    Unpublished events survive the move (the relay publishes them); then the table, its
    schema and its bookkeeping row go.
    """
    if await conn.fetchval("SELECT to_regclass('crible.outbox')") is None:
        return
    async with conn.transaction():
        for service in services:
            schema = service_schema(service)
            await conn.execute(
                f"""
                WITH moved AS (
                    DELETE FROM crible.outbox WHERE service = $1
                    RETURNING id, created_at, record_count, records
                )
                INSERT INTO {schema}.outbox (created_at, record_count, records)
                SELECT created_at, record_count, records FROM moved ORDER BY id
                """,
                service,
            )
        left = await conn.fetch("SELECT DISTINCT service FROM crible.outbox ORDER BY 1")
        if left:
            names = ", ".join(r["service"] for r in left)
            raise RuntimeError(
                f"crible.outbox holds unpublished events of services not migrated here "
                f"({names}); run `crible migrate` with them registered"
            )
        await conn.execute("DROP TABLE crible.outbox")
        await conn.execute("DROP SCHEMA IF EXISTS crible RESTRICT")
        await conn.execute(f"DELETE FROM {BOOKKEEPING} WHERE owner = 'crible'")
    log.info("moved the shared outbox into the services' schemas")
