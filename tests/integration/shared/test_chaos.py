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
    checks = await chaos(Registry(SERVICES), base_settings, plan=plan)
    print(table(checks))
    assert [c.name for c in checks if not c.holds] == [], table(checks)
    assert len(checks) >= 15
