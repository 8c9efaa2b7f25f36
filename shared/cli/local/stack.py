"""``crible local -- CMD``: bring up what is missing, prepare it, run CMD, tear it all down."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import secrets
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from shared import db_guard
from shared.cli.local.cluster import LocalKafkaCluster
from shared.cli.local.kafka import ROOT, LocalKafka
from shared.cli.local.postgres import CACHE as POSTGRES_CACHE
from shared.cli.local.postgres import LocalPostgres
from shared.cli.local.servers import describe
from shared.cli.local.standby import PRIMARY_OPTIONS, LocalStandby, adopt_promoted, drop_stale_slot
from shared.config import Settings
from shared.db import migrate
from shared.kafka import apply_topics

log = logging.getLogger(__name__)

TOKEN_FILE = ROOT / ".cache" / "metrics-token"
#: Development keys of the legal service's identity store (never used outside `crible local`).
LEGAL_KEYS_FILE = ROOT / ".cache" / "legal-keys.json"
OWNER_FILE = ROOT / ".cache" / "stack.pid"


def _claim_stack() -> None:
    """Make this process the one owner of the local broker and database.

    A second `crible local` (say `make test` while `make run` runs) would otherwise take
    the first one's broker and database for leftovers and stop them.
    """
    OWNER_FILE.parent.mkdir(parents=True, exist_ok=True)
    if OWNER_FILE.exists():
        pid = int(OWNER_FILE.read_text() or 0)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            cmdline = b""
        if pid != os.getpid() and b"crible" in cmdline and b"local" in cmdline:
            raise RuntimeError(
                f"the local Kafka and PostgreSQL belong to another `crible local` (pid {pid}, "
                "e.g. `make run`); stop it first, or point KAFKA_BOOTSTRAP_SERVERS and "
                "DATABASE_URL at servers of your own"
            )
    OWNER_FILE.write_text(str(os.getpid()))


def metrics_token() -> str:
    """The local metrics-reader token, made once and kept in the ignored cache."""
    TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    if not TOKEN_FILE.exists():
        TOKEN_FILE.write_text(secrets.token_urlsafe(32))
        TOKEN_FILE.chmod(0o600)
    return TOKEN_FILE.read_text().strip()


def development_secrets() -> dict[str, str]:
    """The legal service's development keys, made once into the ignored cache.

    Production keys come from the deployment's secret store; these exist so that `make run`
    and the tests have keys without any being in the repository.
    """
    if not LEGAL_KEYS_FILE.exists():
        LEGAL_KEYS_FILE.parent.mkdir(parents=True, exist_ok=True)
        fresh = {
            "CRIBLE_LEGAL_FIELD_KEYS": json.dumps({"dev1": _key()}),
            "CRIBLE_LEGAL_CURRENT_KEY": "dev1",
            "CRIBLE_LEGAL_INDEX_KEY": _key(),
            "CRIBLE_LEGAL_SIGNING_KEY": _key(),
        }
        LEGAL_KEYS_FILE.write_text(json.dumps(fresh))
        LEGAL_KEYS_FILE.chmod(0o600)
    loaded: dict[str, str] = json.loads(LEGAL_KEYS_FILE.read_text())
    # Keys added since the file was made (a newer Crible) are added to it, never replaced.
    added = {
        "CRIBLE_LEGAL_SIGNING_KEY": _key(),
        "CRIBLE_LEGAL_AUDIT_KEYS": json.dumps({"audit1": _key()}),
        "CRIBLE_LEGAL_AUDIT_CURRENT_KEY": "audit1",
    }
    if not added.keys() <= loaded.keys():
        loaded = added | loaded
        LEGAL_KEYS_FILE.write_text(json.dumps(loaded))
    return loaded


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def run_with_stack(
    command: Sequence[str],
    *,
    migrations: Sequence[tuple[str, str]],
    brokers: int = 1,
    standby: bool = False,
) -> int:
    """Start Kafka and PostgreSQL unless configured; apply topics and migrations; run ``command``.

    With the local PostgreSQL, ``command`` gets ``DATABASE_URL`` (the owner role, which
    migrates), ``CRIBLE_SERVICE_DATABASE_URLS`` (each service's own role) and
    ``CRIBLE_ADMIN_DATABASE_URL`` (the superuser, who installed the schema guard).
    ``brokers`` above 1 starts a cluster of that many nodes (``cluster.py``) and ``standby``
    a streaming replica of PostgreSQL (``standby.py``); ``CRIBLE_LOCAL_CLUSTER`` then tells
    ``crible cluster faults`` where they are.

    Returns the command's exit status. Whatever was started here is stopped before returning.
    """
    env = dict(os.environ)
    kafka, postgres, replica = _servers(env, brokers=brokers, standby=standby)
    if kafka is not None or postgres is not None:
        _claim_stack()
    try:
        env |= start_servers(kafka, postgres, replica)
        env = prepare(env, postgres=postgres, migrations=migrations)
        return run_forwarding_signals(command, env=env) if command else 0
    finally:
        if kafka is not None:
            kafka.stop()
        if replica is not None:
            replica.stop()
        if postgres is not None:
            postgres.stop()
        if kafka is not None or postgres is not None:
            OWNER_FILE.unlink(missing_ok=True)


def _servers(
    env: dict[str, str], *, brokers: int, standby: bool
) -> tuple[LocalKafka | LocalKafkaCluster | None, LocalPostgres | None, LocalStandby | None]:
    """The servers to start: what the environment does not name already."""
    kafka: LocalKafka | LocalKafkaCluster | None = None
    if "KAFKA_BOOTSTRAP_SERVERS" not in env:
        kafka = LocalKafka() if brokers == 1 else LocalKafkaCluster(brokers=brokers)
    if "DATABASE_URL" in env:
        if standby:
            raise RuntimeError("--standby is the local PostgreSQL's: DATABASE_URL is set")
        return kafka, None, None
    if adopt_promoted(POSTGRES_CACHE / "data", POSTGRES_CACHE / "standby"):
        log.warning("the PostgreSQL primary is the standby promoted in the last run")
    postgres = LocalPostgres(options=PRIMARY_OPTIONS if standby else "")
    return kafka, postgres, LocalStandby(postgres) if standby else None


def start_servers(
    kafka: LocalKafka | LocalKafkaCluster | None,
    postgres: LocalPostgres | None,
    replica: LocalStandby | None,
) -> dict[str, str]:
    """Start them; the variables that tell a command where they are."""
    env = {}
    if postgres is not None:
        postgres.start()
        if replica is not None:
            replica.start()
            postgres.failover_ports = [replica.port]
        else:
            drop_stale_slot(postgres)
        env["DATABASE_URL"] = postgres.dsn
    if kafka is not None:
        kafka.start()
        env["KAFKA_BOOTSTRAP_SERVERS"] = kafka.bootstrap
    if isinstance(kafka, LocalKafkaCluster):
        env["CRIBLE_KAFKA_REPLICATION_FACTOR"] = str(kafka.replication_factor)
        env["CRIBLE_KAFKA_MIN_INSYNC_REPLICAS"] = str(kafka.min_insync_replicas)
    if isinstance(kafka, LocalKafkaCluster) or replica is not None:
        env["CRIBLE_LOCAL_CLUSTER"] = describe(kafka, postgres, replica)
    return env


def prepare(
    env: dict[str, str], *, postgres: LocalPostgres | None, migrations: Sequence[tuple[str, str]]
) -> dict[str, str]:
    """Topics, the schema guard, migrations and the services' roles; ``env`` completed."""
    env = dict(env)
    env.setdefault("CRIBLE_METRICS_TOKEN", metrics_token())
    for name, value in development_secrets().items():
        env.setdefault(name, value)
    settings = Settings(
        kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        database_url=env["DATABASE_URL"],
        kafka_replication_factor=int(env.get("CRIBLE_KAFKA_REPLICATION_FACTOR", "1")),
        kafka_min_insync_replicas=int(env.get("CRIBLE_KAFKA_MIN_INSYNC_REPLICAS", "1")),
    )
    created = asyncio.run(apply_topics(settings))
    log.info(
        "topics ready", extra={"topics_created": sum(v == "created" for v in created.values())}
    )
    if postgres is not None:
        env["CRIBLE_ADMIN_DATABASE_URL"] = postgres.admin_dsn
        asyncio.run(db_guard.install(postgres.admin_dsn))
    asyncio.run(migrate(settings.database_url.get_secret_value(), migrations))
    if postgres is not None:
        # Each service logs in as its own role; `crible run all` passes this on.
        env["CRIBLE_SERVICE_DATABASE_URLS"] = json.dumps(
            postgres.service_dsns([service for service, _ in migrations])
        )
    return env


def run_forwarding_signals(command: Sequence[str], *, env: dict[str, str]) -> int:
    """Run ``command``; pass SIGTERM and SIGINT on to it.

    A Ctrl-C reaches the child from the terminal as well: the runtime counts signals that
    close together as one request to stop.
    """
    child = subprocess.Popen(command, env=env)  # noqa: S603 - the developer's own command

    def forward(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
