"""Kafka plumbing shared by every service: clients, batched publishing, topic administration."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner

from shared.config import Settings
from shared.topics import TopicSpec, all_topics, wire_name

log = logging.getLogger(__name__)

#: Largest producer batch; stays under the broker's default 1 MiB message limit.
_MAX_BATCH_BYTES = 900 * 1024


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message to publish: logical topic name (the publisher adds the prefix), bytes, headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """An idempotent producer that waits for all in-sync replicas (acks=all)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.producer_linger_ms,
        max_batch_size=_MAX_BATCH_BYTES,
        request_timeout_ms=30_000,
    )


def make_consumer(settings: Settings, *, group_id: str) -> AIOKafkaConsumer:
    """A group consumer with auto-commit off: the runner commits after the work is durable."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
        max_poll_interval_ms=300_000,
        session_timeout_ms=30_000,
        heartbeat_interval_ms=3_000,
    )


class Publisher:
    """Publishes many records at once and returns when Kafka acknowledged every one.

    Records are grouped per partition (the same murmur2 partitioning as the Java client, so
    a key lands where any producer would put it) and sent as whole batches, which costs far
    less per message than one ``send`` each.
    """

    def __init__(self, producer: AIOKafkaProducer, *, prefix: str = "") -> None:
        self._producer = producer
        self._prefix = prefix
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, list[int]] = {}
        # murmur2 is pure Python in aiokafka; keys (case ids, subjects) recur batch after batch.
        self._placed: dict[tuple[str, bytes], int] = {}
        self._round_robin = itertools.count()

    async def publish(self, records: Sequence[Outbound]) -> Counter[str]:
        """Send ``records`` and wait for their acknowledgement; count them per logical topic."""
        groups: dict[tuple[str, int], list[Outbound]] = {}
        for record in records:
            partitions = self._partitions.get(record.topic)
            if partitions is None:
                partitions = await self._load_partitions(record.topic)
            if record.key is None:
                partition = partitions[next(self._round_robin) % len(partitions)]
            else:
                placed = (record.topic, record.key)
                partition = self._placed.get(placed, -1)
                if partition < 0:
                    if len(self._placed) > 200_000:
                        self._placed.clear()
                    partition = self._placed[placed] = self._partitioner(
                        record.key, partitions, partitions
                    )
            groups.setdefault((record.topic, partition), []).append(record)

        futures: list[asyncio.Future[object]] = []
        for (logical, partition), group in groups.items():
            topic = self._prefix + logical
            batch = self._producer.create_batch()
            for record in group:
                if not _append(batch, record):
                    futures.append(
                        await self._producer.send_batch(batch, topic, partition=partition)
                    )
                    batch = self._producer.create_batch()
                    if not _append(batch, record):
                        raise ValueError(f"a record for {topic} exceeds the producer batch size")
            futures.append(await self._producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*futures)
        return Counter(record.topic for record in records)

    async def _load_partitions(self, logical: str) -> list[int]:
        topic = self._prefix + logical
        partitions = await self._producer.partitions_for(topic)
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist; run `crible topics apply`")
        self._partitions[logical] = sorted(partitions)
        return self._partitions[logical]


async def messages_written(settings: Settings, topic: str) -> int:
    """Messages ever written to ``topic`` (named as on the cluster): its summed end offsets."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist")
        return int(sum((await consumer.end_offsets(partitions)).values()))
    finally:
        await consumer.stop()


async def delete_topics(settings: Settings) -> list[str]:
    """Delete every topic under ``settings.topic_prefix`` (tests and benchmarks clean up).

    Refuses an empty prefix: that would be every topic of the cluster.
    """
    if not settings.topic_prefix:
        raise ValueError("delete_topics needs a topic prefix")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
    return doomed


def _append(batch: Any, record: Outbound) -> bool:
    """Add ``record`` to a producer batch; False if the batch is full."""
    appended = batch.append(
        key=record.key, value=record.value, timestamp=None, headers=list(record.headers)
    )
    return appended is not None


async def apply_topics(
    settings: Settings, specs: Iterable[TopicSpec] | None = None
) -> dict[str, str]:
    """Create missing topics and align the configuration of existing ones.

    Returns what was done per topic (``created``, ``updated`` or ``unchanged``). Partitions
    are only ever added: Kafka cannot remove them, and keyed order would break.
    """
    specs = tuple(all_topics() if specs is None else specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    outcome: dict[str, str] = {}
    try:
        existing = set(await admin.list_topics())
        by_name = {wire_name(s.name, settings.topic_prefix): s for s in specs}
        missing = [
            NewTopic(name, spec.partitions, 1, topic_configs=spec.config())
            for name, spec in by_name.items()
            if name not in existing
        ]
        if missing:
            # TopicAlreadyExists: created meanwhile by a concurrent `topics apply`.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            outcome.update({t.name: "created" for t in missing})
        present = [name for name in by_name if name not in outcome]
        if present:
            outcome.update(await _align_existing(admin, {n: by_name[n] for n in present}))
    finally:
        await admin.close()
    return outcome


async def _align_existing(
    admin: AIOKafkaAdminClient, specs: dict[str, TopicSpec]
) -> dict[str, str]:
    outcome = dict.fromkeys(specs, "unchanged")
    described = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in specs]
    )
    current: dict[str, dict[str, str]] = {}
    for response in described:
        for _code, _msg, _type, name, entries in response.resources:
            current[name] = {entry[0]: entry[1] for entry in entries}
    changed = {
        name: spec.config()
        for name, spec in specs.items()
        if any(current.get(name, {}).get(k) != v for k, v in spec.config().items())
    }
    if changed:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n, configs=c) for n, c in changed.items()]
        )
        outcome.update(dict.fromkeys(changed, "updated"))
    metadata = await admin.describe_topics(list(specs))
    grow = {
        t["topic"]: specs[t["topic"]].partitions
        for t in metadata
        if len(t["partitions"]) < specs[t["topic"]].partitions
    }
    if grow:
        await admin.create_partitions(
            {name: NewPartitions(total_count=count) for name, count in grow.items()}
        )
        outcome.update(dict.fromkeys(grow, "updated"))
    return outcome
