"""PostgreSQL access: the asyncpg pool and the SQL migrations of every service.

Each service keeps its migrations in ``services/<name>/migrations/NNNN_title.sql`` and its
tables in a PostgreSQL schema of its own name; the runtime's own tables (the outbox) live in
``shared/migrations`` and the ``crible`` schema. ``crible migrate`` applies what is missing,
in order, each file in its own transaction, under an advisory lock so that several
processes may run it at once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TypeAlias

import asyncpg
from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

#: The runtime's own migrations, applied before those of the services.
RUNTIME_MIGRATIONS = ("crible", "shared.migrations")
#: A connection as handlers receive it: straight from asyncpg, or borrowed from a pool.
Connection: TypeAlias = "asyncpg.Connection[Record] | PoolConnectionProxy[Record]"

_MIGRATION_LOCK = 0x637269626C65  # "crible": one advisory lock id for migrations


@dataclass(frozen=True, slots=True)
class Migration:
    """One SQL file of one owner."""

    owner: str
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


def discover_migrations(services: Sequence[tuple[str, str]]) -> list[Migration]:
    """The runtime's migrations, then those of ``services`` ((owner, package) pairs)."""
    found: list[Migration] = []
    for owner, package in (RUNTIME_MIGRATIONS, *services):
        files = sorted(
            (f for f in resources.files(package).iterdir() if f.name.endswith(".sql")),
            key=lambda f: f.name,
        )
        for file in files:
            version, _, name = file.name.removesuffix(".sql").partition("_")
            found.append(Migration(owner, int(version), name, file.read_text()))
    return found


async def migrate(dsn: str, services: Sequence[tuple[str, str]]) -> list[Migration]:
    """Apply the migrations of the runtime and ``services`` not yet applied; return those."""
    conn = await asyncpg.connect(dsn)
    applied_now: list[Migration] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS public.crible_migrations (
                owner text NOT NULL,
                version integer NOT NULL,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (owner, version)
            )"""
        )
        rows = await conn.fetch("SELECT owner, version, checksum FROM public.crible_migrations")
        done = {(r["owner"], r["version"]): r["checksum"] for r in rows}
        for migration in discover_migrations(services):
            key = (migration.owner, migration.version)
            if key in done:
                if done[key] != migration.checksum:
                    raise RuntimeError(
                        f"migration {migration.owner}/{migration.version:04d}_{migration.name} "
                        "was edited after it was applied; add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO public.crible_migrations (owner, version, name, checksum) "
                    "VALUES ($1, $2, $3, $4)",
                    migration.owner,
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(migration)
            log.info(
                "migration applied",
                extra={"owner": migration.owner, "version": migration.version},
            )
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await conn.close()
    return applied_now
