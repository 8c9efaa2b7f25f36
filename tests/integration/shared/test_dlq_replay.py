"""``crible dlq`` on the real broker: dead letters listed, shown, and replayed after a fix,
each once; one that fails again returns to the dead-letter topic once and stays there."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from shared.config import Settings
from shared.kafka import apply_topics, delete_topics, messages_written
from shared.topics import DLQ_REPLAYS, wire_name
from tests.integration.conftest import MIGRATIONS, eventually, running
from tests.integration.probe import PROBE_IN, TOPICS, Faults, create_tables, item, probe_service

pytestmark = pytest.mark.integration


@pytest.fixture
async def probe(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(
        update={"topic_prefix": f"q{uuid.uuid4().hex[:10]}.", "retry_max_seconds": 1.0}
    )
    await apply_topics(settings, [*TOPICS, DLQ_REPLAYS])
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


async def crible_dlq(settings: Settings, *args: str) -> str:
    env = {**os.environ, "CRIBLE_TOPIC_PREFIX": settings.topic_prefix}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "dlq", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_dead_letters_are_replayed_after_a_fix_once_and_never_loop(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    faults = Faults()
    service = probe_service(faults)
    source = wire_name(PROBE_IN.name, probe.topic_prefix)
    dlq = wire_name(PROBE_IN.dlq().name, probe.topic_prefix)
    async with running(service, probe):
        # One partition, failures between successes: a record failing alone is poison (a
        # whole batch failing would be an outage, retried, not dead-lettered).
        inputs = [
            item("ok-1"), item("bug-1", fail="bug"), item("ok-2"), item("bug-2", fail="bug"),
            item("ok-3"), item("hopeless", fail="always"), item("ok-4"),
        ]  # fmt: skip
        for value in inputs:
            await producer.send_and_wait(source, value, key=b"one")
        await eventually(lambda: _has(probe, dlq, 3))

        listed = json.loads(await crible_dlq(probe, "list", PROBE_IN.name))
        assert listed["total"] == 3
        assert listed["by_error_class"] == {"KeyError": 2, "ValueError": 1}
        assert listed["oldest"] is not None
        shown = json.loads(await crible_dlq(probe, "show", PROBE_IN.name, "--limit", "2"))
        assert len(shown) == 2
        assert all("payload" not in s for s in shown)  # never unless asked
        assert shown[-1]["headers"]["crible.source.topic"] == source

        # The release that fixes the bug is out; replay what the bug sent away, and only that.
        faults.bug_fixed = True
        dry = await crible_dlq(probe, "replay", PROBE_IN.name, "--error-class", "KeyError",
                               "--dry-run")  # fmt: skip
        assert dry.startswith("would replay 2 message(s)")
        assert await db.fetchval("SELECT count(*) FROM probe.items") == 4  # nothing sent
        done = await crible_dlq(probe, "replay", PROBE_IN.name, "--error-class", "KeyError")
        assert done.startswith("replayed 2 message(s)")
        await eventually(lambda: db.fetchval("SELECT count(*) = 6 FROM probe.items"))
        # Again: nothing is sent twice.
        again = await crible_dlq(probe, "replay", PROBE_IN.name, "--error-class", "KeyError")
        assert again.startswith("replayed 0 message(s)")

        # The hopeless one: replayed, it fails again and comes back once, then stays.
        await crible_dlq(probe, "replay", PROBE_IN.name)
        # (A lone failing record is told from an outage once a good one follows it.)
        await producer.send_and_wait(source, item("ok-5"), key=b"one")
        await eventually(lambda: _has(probe, dlq, 4))
        last = await crible_dlq(probe, "replay", PROBE_IN.name)
        assert last.startswith("replayed 0 message(s)")
        assert "failed again after a replay" in last
        await asyncio.sleep(2)
        assert await messages_written(probe, dlq) == 4

    ids = [r["id"] for r in await db.fetch("SELECT id FROM probe.items ORDER BY id")]
    assert ids == ["bug-1", "bug-2", "ok-1", "ok-2", "ok-3", "ok-4", "ok-5"]  # each once


async def _has(settings: Settings, topic: str, count: int) -> bool:
    return await messages_written(settings, topic) >= count


async def test_show_keeps_bytes_that_are_not_utf8_visible(
    probe: Settings, producer: AIOKafkaProducer
) -> None:
    source = wire_name(PROBE_IN.name, probe.topic_prefix)
    dlq = wire_name(PROBE_IN.dlq().name, probe.topic_prefix)
    async with running(probe_service(Faults()), probe):
        await producer.send_and_wait(source, b'{"id": "caf\xe9\xff"}', key=b"one")
        await eventually(lambda: _has(probe, dlq, 1))
    shown = json.loads(await crible_dlq(probe, "show", PROBE_IN.name, "--payload"))
    assert shown[0]["headers"]["crible.error.class"] == "ValidationError"
    # The operator sees which bytes were wrong, not a replacement character.
    assert shown[0]["payload"] == '{"id": "caf\\xe9\\xff"}'
