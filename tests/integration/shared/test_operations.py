"""What an operator's Prometheus sees of a process by itself: readiness kept current without
anyone probing, and the known failure counters present at 0 from the start, so that the
first failure is an increase an alert can see."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import REGISTRY

from shared.config import Settings
from shared.kafka import apply_topics, delete_topics
from shared.runtime import Periodic, ServiceContext
from tests.integration.conftest import MIGRATIONS, eventually, running
from tests.integration.probe import PROBE_OUT, TOPICS, Faults, create_tables, probe_service

pytestmark = pytest.mark.integration


@pytest.fixture
async def probe(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(
        update={"topic_prefix": f"o{uuid.uuid4().hex[:10]}.", "housekeeping_seconds": 0.2}
    )
    await apply_topics(settings, TOPICS)
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_readiness_is_kept_current_with_no_one_probing(
    probe: Settings, db: asyncpg.Connection
) -> None:
    name = f"probe-{uuid.uuid4().hex[:6]}"
    async with running(probe_service(Faults(), name=name), probe) as stop:
        # No /readyz request at all (no metrics port): the process keeps the gauge itself.
        await eventually(lambda: _async(value("crible_ready", service=name) == 1.0), timeout=30)
        stop.set()
    assert value("crible_ready", service=name) == 0.0


async def test_known_failure_counters_are_at_zero_from_the_start(
    probe: Settings, db: asyncpg.Connection
) -> None:
    name = f"probe-{uuid.uuid4().hex[:6]}"

    async def tick(_ctx: ServiceContext) -> None:
        return None

    service = dataclasses.replace(
        probe_service(Faults(), name=name),
        periodic=(Periodic("tick", 3600, run=tick, first_after_seconds=3600),),
    )
    async with running(service, probe):
        await eventually(lambda: _async(value("crible_ready", service=name) == 1.0), timeout=30)
        assert value("crible_outbox_relayed_batches_total", service=name) == 0.0
        assert value("crible_commit_recoveries_total", service=name) == 0.0
        assert value("crible_undeliverable_events_total", service=name, topic=PROBE_OUT.name) == 0.0
        for outcome in ("ran", "skipped", "failed"):
            runs = value("crible_periodic_runs_total", service=name, task="tick", outcome=outcome)
            assert runs == 0.0, outcome


async def _async(result: bool) -> bool:
    return result
