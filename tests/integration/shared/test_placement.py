"""Crible places a key on the partition the Java client would, before and after the topic
gains partitions (so consumers keyed by case or subject see one partition per key)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.cli.local.kafka import LIBS
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics, make_producer
from shared.runtime.contract import Outbound
from shared.runtime.publisher import Publisher
from shared.topics import DAY_MS, TopicSpec, wire_name
from tests.integration.conftest import read_topic

JAVA_PROGRAM = Path(__file__).parents[1] / "java" / "Placement.java"
KEYS = [f"case-{uuid.UUID(int=i * 7919)}" for i in range(60)] + ["message:c1:m1", "user:42", "é"]


@pytest.fixture
async def prefixed(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(update={"topic_prefix": f"pl{uuid.uuid4().hex[:8]}."})
    yield settings
    await delete_topics(settings)


async def java_placement(settings: Settings, topic: str) -> dict[str, int]:
    java = shutil.which("java")
    assert java is not None
    process = await asyncio.create_subprocess_exec(
        java,
        "-cp",
        f"{LIBS}/*",
        str(JAVA_PROGRAM),
        settings.kafka_bootstrap_servers,
        wire_name(topic, settings.topic_prefix),
        *KEYS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0
    return {key: int(p) for key, p in (line.split("\t") for line in out.decode().splitlines())}


async def crible_placement(
    publisher: Publisher, settings: Settings, topic: str, *, round_: bytes
) -> dict[str, int]:
    await publisher.publish([Outbound(topic, key.encode(), round_) for key in KEYS])
    records = await read_topic(
        settings, topic, until=lambda rs: sum(r.value == round_ for r in rs) >= len(KEYS)
    )
    return {r.key.decode(): r.partition for r in records if r.key and r.value == round_}


async def test_keys_land_where_the_java_client_puts_them_also_after_a_partition_increase(
    prefixed: Settings,
) -> None:
    java_topic, ours = TopicSpec("place.java", 5, DAY_MS), TopicSpec("place.crible", 5, DAY_MS)
    await apply_topics(prefixed, [java_topic, ours])
    producer = make_producer(prefixed)
    await producer.start()
    try:
        publisher = Publisher(
            producer,
            prefix=prefixed.topic_prefix,
            limit=lambda _topic: 1024 * 1024,
            metadata_refresh_seconds=0.2,
        )
        before = await crible_placement(publisher, prefixed, ours.name, round_=b"before")
        assert before == await java_placement(prefixed, java_topic.name)
        assert len(set(before.values())) == 5

        # `crible topics apply` grows both topics while the publisher runs.
        grown = [TopicSpec(t.name, 9, DAY_MS) for t in (java_topic, ours)]
        await apply_topics(prefixed, grown)
        await asyncio.sleep(1)  # past the publisher's metadata refresh
        after = await crible_placement(publisher, prefixed, ours.name, round_=b"after")
    finally:
        await producer.stop()

    java_after = await java_placement(prefixed, java_topic.name)
    assert after == java_after
    assert max(after.values()) > 4  # keys moved onto the new partitions
