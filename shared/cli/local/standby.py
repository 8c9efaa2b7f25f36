"""A streaming replica of the local PostgreSQL, from the same binaries (``crible local --standby``).

The standby is copied from the primary with ``pg_basebackup`` through a physical replication
slot, starts with ``standby.signal`` and follows the primary's WAL as the role
``crible_replicator``. The primary names it in ``synchronous_standby_names``: a commit
returns once the standby has flushed it, so that a promotion loses no transaction a client
was told about (the runtime commits Kafka offsets only after the database commit).

Services connect with a DSN naming both servers and ``target_session_attrs=read-write``:
after ``pg_ctl promote`` they find the new primary by themselves. A standby promoted in an
earlier run holds the newest data: the next start makes it the primary (see
:func:`adopt_promoted`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from pathlib import Path

import asyncpg

from shared.cli.local.postgres import (
    CACHE,
    LOCAL_COMMIT,
    LocalPostgres,
    role_password,
    set_password,
)

log = logging.getLogger(__name__)

#: The standby's name: its application_name, and its replication slot's.
STANDBY = "crible_standby"
REPLICATOR = "crible_replicator"
#: Synchronous replication to the standby, and WAL kept for a vanished standby bounded.
PRIMARY_OPTIONS = f"-c synchronous_standby_names={STANDBY} -c max_slot_wal_keep_size=4GB"


class LocalStandby(LocalPostgres):
    """A hot standby of ``primary`` on ``port``, made by ``pg_basebackup`` the first time."""

    def __init__(
        self, primary: LocalPostgres, data_dir: Path = CACHE / "standby", *, port: int = 0
    ) -> None:
        super().__init__(data_dir, port=port or primary.port + 1)
        self.primary = primary

    def start(self, *, timeout: float = 120.0) -> None:
        """Copy the primary (first time), start following it, wait until it streams."""
        entry = self._own_folders()
        asyncio.run(self._prepare_primary())
        if not (self.data_dir / "PG_VERSION").exists():
            env = {**os.environ, "PGPASSWORD": role_password(REPLICATOR)}
            self._run(
                "pg_basebackup",
                "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", REPLICATOR,
                "-D", str(self.data_dir), "-X", "stream", "-S", STANDBY, "-c", "fast",
                env=env,
            )  # fmt: skip
            conninfo = (
                f"host=127.0.0.1 port={self.primary.port} user={REPLICATOR} "
                f"password={role_password(REPLICATOR)} application_name={STANDBY}"
            )
            settings = self.data_dir / "postgresql.auto.conf"
            with settings.open("a") as file:
                file.write(f"primary_conninfo = '{conninfo}'\nprimary_slot_name = '{STANDBY}'\n")
            (self.data_dir / "standby.signal").touch()
            self.data_dir.chmod(0o700)  # PostgreSQL refuses a data folder others may read
            for path in (settings, self.data_dir / "standby.signal"):
                path.chmod(0o600)
                if entry is not None:
                    os.chown(path, entry.pw_uid, entry.pw_gid)
        if self.running():
            log.warning("stopping a leftover local PostgreSQL standby")
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=100"
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-o", options,
            "-l", str(self.data_dir / "server.log"), "-w", "-t", str(int(timeout)), "start",
        )  # fmt: skip
        self._started = True
        asyncio.run(self._wait_streaming(timeout))
        log.info("postgres standby streaming", extra={"port": self.port})

    async def _prepare_primary(self) -> None:
        """The replication role and slot on the primary (its superuser's job, once)."""
        conn = await asyncpg.connect(
            self.primary.superuser_dsn("postgres"), server_settings=LOCAL_COMMIT
        )
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", REPLICATOR):
                await conn.execute(f"CREATE ROLE {REPLICATOR} LOGIN REPLICATION")
            await set_password(conn, REPLICATOR, role_password(REPLICATOR))
            if not await conn.fetchval(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", STANDBY
            ):
                await conn.execute("SELECT pg_create_physical_replication_slot($1, true)", STANDBY)
        finally:
            await conn.close()

    async def _wait_streaming(self, within: float) -> None:
        deadline = time.monotonic() + within
        while True:
            conn = await asyncpg.connect(self.primary.superuser_dsn("postgres"))
            try:
                state = await conn.fetchval(
                    "SELECT state FROM pg_stat_replication WHERE application_name = $1", STANDBY
                )
            finally:
                await conn.close()
            if state == "streaming":
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby is not streaming after {within:.0f} s: {state}")
            await asyncio.sleep(0.3)

    def promote(self) -> None:
        """Make the standby the primary (``pg_ctl promote``), and wait until it writes."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "promote")


def drop_stale_slot(primary: LocalPostgres) -> None:
    """Without a standby, no slot may keep WAL for one (a run with ``--standby`` left it)."""

    async def drop() -> None:
        conn = await asyncpg.connect(primary.admin_dsn, server_settings=LOCAL_COMMIT)
        try:
            await conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = $1 AND NOT active",
                STANDBY,
            )
        finally:
            await conn.close()

    asyncio.run(drop())


def adopt_promoted(primary_dir: Path, standby_dir: Path) -> bool:
    """Make a standby promoted in an earlier run the primary (its data is the newest).

    The old primary's folder (a timeline left behind) is removed; the next ``--standby``
    copies the new primary afresh. Returns whether it did.
    """
    if not (standby_dir / "PG_VERSION").exists() or (standby_dir / "standby.signal").exists():
        return False
    log.warning("the local standby was promoted in an earlier run: it is the primary now")
    if primary_dir.exists():
        shutil.rmtree(primary_dir)
    standby_dir.rename(primary_dir)
    return True
