"""The short form of `crible chaos`: the whole pipeline under load, every service SIGKILLed
once and the database's backends terminated, then every invariant holds (the full run, with
the broker frozen and killed and the database crashed, is `make chaos`)."""

from __future__ import annotations

import asyncpg
import pytest

from services import SERVICES
from shared.cli.chaos import chaos, table
from shared.cli.chaos_plan import Plan
from shared.cli.registry import Registry
from shared.config import Settings
from shared.runtime.contract import Outbound
from shared.runtime.outbox_table import encode_records
from tests.integration.shared.test_observe import free_port_run

pytestmark = pytest.mark.integration


async def test_one_kill_per_service_under_load_keeps_every_invariant(
    base_settings: Settings, db: asyncpg.Connection
) -> None:
    plan = Plan(
        reports=2_000,
        rate=100,
        kills=1,
        freeze_seconds=0,
        broker_kill=False,
        database_restart=False,
        gap_seconds=2,
        metrics_base_port=free_port_run(len(SERVICES)),
        http_base_port=free_port_run(len(SERVICES)),
        env=(("CRIBLE_CONSUMER_SESSION_TIMEOUT_MS", "6000"),),
    )
    # Another environment's row in the same database (a test's, say) is not this run's to
    # publish: its pipeline relays only its own prefix, and the check counts only those.
    await db.execute(
        "INSERT INTO ingest.outbox (record_count, records, worker, topic_prefix) "
        "VALUES (1, $1, NULL, 'elsewhere.')",
        encode_records([Outbound("cases", b"k", b"{}")]),
    )
    checks = await chaos(Registry(SERVICES), base_settings, plan=plan)
    print(table(checks))
    assert [c.name for c in checks if not c.holds] == [], table(checks)
    assert len(checks) >= 15
