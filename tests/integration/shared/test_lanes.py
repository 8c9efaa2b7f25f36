"""Lanes follow the backlog, on the real broker and database: every lane works while a
backlog lasts, one lane once it is gone, and no record is lost, doubled or reordered."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from shared.config import Settings
from shared.db import Connection
from shared.kafka import apply_topics, delete_topics, messages_written
from shared.runtime import ConsumerSpec, Handled, Inbound, Service
from shared.runtime.contract import Outbound
from shared.topics import wire_name
from tests.integration.conftest import MIGRATIONS, committed, eventually, running
from tests.integration.probe import PROBE_IN, PROBE_OUT, TOPICS, Item, create_tables, item

SERVICE = "probe"  # its outbox is the probe's (tests/integration/probe_migrations)
#: Records per batch at most: a backlog of a few thousand is many full batches.
MAX_BATCH = 20


@pytest.fixture
async def probe(base_settings: Settings) -> AsyncIterator[Settings]:
    """Settings with fresh probe topics, an empty probe table, four lanes and small batches."""
    import uuid  # noqa: PLC0415

    settings = base_settings.model_copy(
        update={
            "topic_prefix": f"l{uuid.uuid4().hex[:10]}.",
            "consumer_lanes": 4,
            "consumer_max_batch": MAX_BATCH,
        }
    )
    await apply_topics(settings, TOPICS)
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


@dataclass
class Seen:
    """What the handlers were given: offsets per partition, and how many ran at once."""

    offsets: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    running: int = 0
    most_at_once: int = 0


def service(seen: Seen) -> Service:
    """Stores each item once and announces it, noting what each batch held."""

    async def handle(batch: Sequence[Inbound[Item, None]], conn: Connection) -> Handled:
        seen.running += 1
        seen.most_at_once = max(seen.most_at_once, seen.running)
        try:
            out = []
            for message in batch:
                seen.offsets[message.partition].append(message.offset)
                inserted = await conn.fetchval(
                    "INSERT INTO probe.items (id) VALUES ($1) "
                    "ON CONFLICT (id) DO NOTHING RETURNING id",
                    message.event.id,
                )
                if inserted is not None:
                    body = orjson.dumps({"id": message.event.id})
                    out.append(Outbound(PROBE_OUT.name, message.event.id.encode(), body))
            return Handled(out)
        finally:
            seen.running -= 1

    consumer = ConsumerSpec(models={PROBE_IN: Item}, handler=handle, produces=(PROBE_OUT,))
    return Service(name=SERVICE, consumers=(consumer,))


def changes(direction: str) -> float:
    labels = {"service": SERVICE, "consumer": "main", "direction": direction}
    return REGISTRY.get_sample_value("crible_consumer_lane_changes_total", labels) or 0.0


def active() -> float:
    labels = {"service": SERVICE, "consumer": "main"}
    return REGISTRY.get_sample_value("crible_consumer_active_lanes", labels) or 0.0


async def backlog(producer: AIOKafkaProducer, settings: Settings, ids: list[str]) -> None:
    """Send ``ids`` spread over the topic's four partitions, all at once."""
    topic = wire_name(PROBE_IN.name, settings.topic_prefix)
    sent = [await producer.send(topic, item(i), partition=n % 4) for n, i in enumerate(ids)]
    await asyncio.gather(*sent)


async def done(settings: Settings) -> bool:
    applied, end = await committed(settings, f"crible-{SERVICE}", PROBE_IN.name)
    return applied == end > 0


async def stored(db: asyncpg.Connection, count: int) -> bool:
    return bool(await db.fetchval("SELECT count(*) FROM probe.items") == count)


async def _true(value: bool) -> bool:
    return value


async def test_lanes_grow_under_a_backlog_and_shrink_once_it_is_gone(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    seen = Seen()
    grown, shrunk = changes("grow"), changes("shrink")
    await backlog(producer, probe, [f"b{i}" for i in range(2_000)])

    async with running(service(seen), probe):
        await eventually(lambda: stored(db, 2_000))
        await eventually(lambda: done(probe))
        await eventually(lambda: _true(active() == 1))
        assert changes("grow") > grown  # a full batch brought every lane in
        assert changes("shrink") > shrunk  # and the drained backlog sent them away
        assert seen.most_at_once > 1  # the lanes did work side by side

        # One record at a time: nothing waits, one lane does it all.
        seen.most_at_once = 0
        grown = changes("grow")
        topic = wire_name(PROBE_IN.name, probe.topic_prefix)
        for n in range(12):
            await producer.send_and_wait(topic, item(f"q{n}"), partition=n % 4)
            await eventually(lambda: done(probe))
        assert changes("grow") == grown
        assert seen.most_at_once == 1
        assert active() == 1

    # Each partition's records reached a handler once each, in order, none missing.
    in_order = {p: offsets == sorted(set(offsets)) for p, offsets in seen.offsets.items()}
    assert in_order == dict.fromkeys(range(4), True)
    assert sum(len(set(o)) for o in seen.offsets.values()) == 2_012
    assert sum(len(o) for o in seen.offsets.values()) == 2_012
    assert await db.fetchval("SELECT count(*) FROM probe.items") == 2_012


async def test_a_worker_joining_while_the_lanes_are_grown_loses_and_doubles_nothing(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    grown = changes("grow")
    await backlog(producer, probe, [f"a{i}" for i in range(3_000)])

    async with running(service(Seen()), probe):
        await eventually(lambda: _true(changes("grow") > grown))
        assert await db.fetchval("SELECT count(*) FROM probe.items") < 3_000  # mid-backlog
        async with running(service(Seen()), probe):  # the group rebalances mid-backlog
            await backlog(producer, probe, [f"b{i}" for i in range(3_000)])
            await eventually(lambda: stored(db, 6_000), timeout=120)
            await eventually(lambda: done(probe))

    assert await db.fetchval("SELECT count(*) FROM probe.items") == 6_000
    # One announcement per item: no batch was applied twice, none published twice.
    assert await messages_written(probe, wire_name(PROBE_OUT.name, probe.topic_prefix)) == 6_000
