"""The pipeline on a three-broker cluster and a PostgreSQL with a standby, under load: one
broker SIGKILLed and restarted, another stopped for good, the primary crashed and the standby
promoted. Nothing lost, nothing doubled, every service resumes, every group drains.

The short form of `crible cluster faults` (a lower rate and shorter pauses), on servers of
its own beside the local stack."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services import SERVICES
from shared.cli.drill.faults import Plan, drill, report
from shared.cli.local.cluster import LocalKafkaCluster
from shared.cli.local.kafka import ROOT
from shared.cli.local.postgres import LocalPostgres
from shared.cli.local.servers import LocalServers
from shared.cli.local.stack import prepare, start_servers
from shared.cli.local.standby import PRIMARY_OPTIONS, LocalStandby
from shared.cli.registry import Registry
from shared.config import Settings
from tests.integration.conftest import MIGRATIONS

pytestmark = pytest.mark.integration

SETUP_SECONDS = 600
DRILL_SECONDS = 1200

#: What the outer stack set, which the cluster's own values replace.
OUTER = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "CRIBLE_SERVICE_DATABASE_URLS",
         "CRIBLE_ADMIN_DATABASE_URL", "CRIBLE_KAFKA_REPLICATION_FACTOR",
         "CRIBLE_KAFKA_MIN_INSYNC_REPLICAS")  # fmt: skip


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {count} consecutive free ports")


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[LocalServers, dict[str, str]]]:
    """Three brokers and a primary with its synchronous standby, prepared as crible local does.

    PostgreSQL's folders are in the ignored .cache, not under pytest's: a pytest run of
    someone else on the machine makes /tmp/pytest-of-<user> private again, and the server's
    own user would lose its way to its files.
    """
    kafka = LocalKafkaCluster(tmp_path / "kafka", brokers=3, port=free_ports(6), heap="384m")
    home = ROOT / ".cache" / f"cluster-test-{uuid.uuid4().hex[:8]}"
    primary = LocalPostgres(home / "data", port=free_ports(2), options=PRIMARY_OPTIONS)
    standby = LocalStandby(primary, home / "standby", port=primary.port + 1)
    env = {k: v for k, v in os.environ.items() if k not in OUTER}
    try:
        # Bounded: a standby that died would hold every synchronous commit for ever.
        env |= await asyncio.wait_for(
            asyncio.to_thread(start_servers, kafka, primary, standby), SETUP_SECONDS
        )
        env = await asyncio.wait_for(
            asyncio.to_thread(prepare, env, postgres=primary, migrations=MIGRATIONS),
            SETUP_SECONDS,
        )
        yield LocalServers(kafka, primary, standby), env
    finally:
        await asyncio.to_thread(kafka.stop)
        await asyncio.to_thread(standby.halt, mode="immediate")
        await asyncio.to_thread(primary.halt, mode="immediate")
        shutil.rmtree(home, ignore_errors=True)


async def test_a_broker_lost_and_the_database_failed_over_lose_and_double_nothing(
    cluster: tuple[LocalServers, dict[str, str]],
) -> None:
    servers, env = cluster
    settings = Settings(
        kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        database_url=env["DATABASE_URL"],
        kafka_replication_factor=3,
        kafka_min_insync_replicas=2,
    )
    plan = Plan(
        rate=60,
        settle_seconds=8,
        down_seconds=8,
        promote_after_seconds=3,
        resume_within_seconds=150,
        metrics_base_port=free_ports(5),
        http_base_port=free_ports(5),
    )
    lines: list[str] = []
    result = await asyncio.wait_for(
        drill(servers, Registry(SERVICES), settings, plan=plan, extra_env=env, say=lines.append),
        DRILL_SECONDS,
    )
    print("\n".join(lines), report(result), sep="\n")
    failed = [c for c in result.checks if not c.holds]
    assert not failed, report(result)
    assert [f.name for f in result.faults] == [
        "broker 1 SIGKILLed, started again",
        "broker 2 stopped for good (2 of 3 in sync)",
        "PostgreSQL primary crashed, standby promoted",
    ]
    for fault in result.faults:
        assert set(fault.resumed) == set(Registry(SERVICES).names), report(result)
    assert len(result.sent.reports) > 1000, "the load was too small to mean anything"
    # The standby is the primary now, and the crashed one stays down.
    assert not servers.primary.running()  # type: ignore[union-attr]
    promoted = await asyncpg.connect(servers.standby.admin_dsn)  # type: ignore[union-attr]
    try:
        assert await promoted.fetchval("SELECT pg_is_in_recovery()") is False
    finally:
        await promoted.close()
