"""Kafka plumbing shared by every service: clients, batched publishing, topic administration."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from shared.config import Settings
from shared.topics import TopicSpec, all_topics, wire_name

log = logging.getLogger(__name__)

#: Largest producer batch; stays under the broker's default 1 MiB message limit.
MAX_BATCH_BYTES = 900 * 1024


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """An idempotent producer that waits for all in-sync replicas (acks=all)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.producer_linger_ms,
        max_batch_size=MAX_BATCH_BYTES,
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
