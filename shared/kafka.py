"""Kafka plumbing shared by every service: clients and topic administration.

Every Kafka client Crible makes (consumers, producers, admin clients, the benchmarks' and
tests' own) takes its connection settings from :func:`kafka_client_options`, so TLS and
SASL configured once apply everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.helpers import create_ssl_context

from shared.config import Settings
from shared.topics import TopicSpec, all_topics, largest_message_bytes, wire_name

log = logging.getLogger(__name__)

#: Largest producer batch; stays under the broker's default 1 MiB message limit.
MAX_BATCH_BYTES = 900 * 1024


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """Connection options for any aiokafka client (and faust's broker credentials).

    Bootstrap servers, the security protocol, SASL credentials and a TLS context built
    from the configured CA, certificate and key.
    """
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=None if password is None else password.get_secret_value(),
        )
    if settings.kafka_security_protocol.endswith("SSL"):
        key_password = settings.kafka_ssl_key_password
        options["ssl_context"] = create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
            password=None if key_password is None else key_password.get_secret_value(),
        )
    return options


def make_admin(settings: Settings) -> AIOKafkaAdminClient:
    """An admin client (topics, consumer groups)."""
    return AIOKafkaAdminClient(**kafka_client_options(settings))


def make_plain_consumer(settings: Settings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer outside any group (reading a topic, its offsets), same connection settings."""
    return AIOKafkaConsumer(*topics, **kafka_client_options(settings), **options)


def make_plain_producer(settings: Settings, **options: Any) -> AIOKafkaProducer:
    """A producer with the caller's options (benchmarks, demo), same connection settings."""
    return AIOKafkaProducer(**kafka_client_options(settings), **options)


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """An idempotent producer that waits for all in-sync replicas (acks=all).

    Its request size matches the largest ``max.message.bytes`` declared, so any record a
    topic takes can be sent.
    """
    return AIOKafkaProducer(
        **kafka_client_options(settings),
        max_request_size=largest_message_bytes() + 64 * 1024,
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.producer_linger_ms,
        max_batch_size=MAX_BATCH_BYTES,
        request_timeout_ms=30_000,
    )


def make_consumer(settings: Settings, *, group_id: str) -> AIOKafkaConsumer:
    """A group consumer with auto-commit off: the runtime commits after the work is durable."""
    return AIOKafkaConsumer(
        **kafka_client_options(settings),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
        max_poll_interval_ms=settings.consumer_max_poll_interval_ms,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=max(1_000, settings.consumer_session_timeout_ms // 10),
    )


async def messages_written(settings: Settings, topic: str) -> int:
    """Messages ever written to ``topic`` (named as on the cluster): its summed end offsets."""
    consumer = make_plain_consumer(settings, topic)
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
    admin = make_admin(settings)
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
    are only ever added: Kafka cannot remove them, and keyed order would break. Refuses
    (``RuntimeError``) a cluster on which the configured replication cannot hold: fewer
    brokers than the replication factor, or an existing topic with another factor.
    """
    specs = tuple(all_topics() if specs is None else specs)
    admin = make_admin(settings)
    await admin.start()
    outcome: dict[str, str] = {}
    try:
        await _check_replication(admin, settings)
        existing = set(await admin.list_topics())
        by_name = {wire_name(s.name, settings.topic_prefix): s for s in specs}
        wanted = {name: _config(spec, settings) for name, spec in by_name.items()}
        missing = [
            NewTopic(
                name,
                spec.partitions,
                settings.kafka_replication_factor,
                topic_configs=wanted[name],
            )
            for name, spec in by_name.items()
            if name not in existing
        ]
        if missing:
            created = await admin.create_topics(missing)
            _raise_errors("create", created.topic_errors, tolerate=TopicAlreadyExistsError)
            # A topic the broker's metadata did not list yet, or that a concurrent
            # `topics apply` created meanwhile, already exists: it is aligned, not "created".
            already = {name for name, code, *_ in created.topic_errors if code != 0}
            fresh = [t.name for t in missing if t.name not in already]
            outcome.update(dict.fromkeys(fresh, "created"))
            await _until_listed(admin, fresh)
        present = [name for name in by_name if name not in outcome]
        if present:
            outcome.update(
                await _align_existing(
                    admin,
                    {n: by_name[n] for n in present},
                    {n: wanted[n] for n in present},
                    settings,
                )
            )
    finally:
        await admin.close()
    return outcome


async def _until_listed(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Wait (30 s at most) until the broker's metadata lists topics the controller created.

    The controller answers before every broker knows the topic; a caller that produces or
    applies again at once would otherwise find it missing.
    """
    deadline = time.monotonic() + 30
    while names and time.monotonic() < deadline:
        if set(names) <= set(await admin.list_topics()):
            return
        await asyncio.sleep(0.1)


def _config(spec: TopicSpec, settings: Settings) -> dict[str, str]:
    return {**spec.config(), "min.insync.replicas": str(settings.kafka_min_insync_replicas)}


async def _check_replication(admin: AIOKafkaAdminClient, settings: Settings) -> None:
    cluster = await admin.describe_cluster()
    brokers = len(cluster.get("brokers", ()))
    if brokers < settings.kafka_replication_factor:
        raise RuntimeError(
            f"CRIBLE_KAFKA_REPLICATION_FACTOR={settings.kafka_replication_factor} needs as many "
            f"brokers, and the cluster has {brokers}; lower it (1 for a single local broker)"
        )


async def _align_existing(
    admin: AIOKafkaAdminClient,
    specs: dict[str, TopicSpec],
    wanted: dict[str, dict[str, str]],
    settings: Settings,
) -> dict[str, str]:
    """Bring existing topics to their declared configuration and partition count."""
    outcome = dict.fromkeys(specs, "unchanged")
    metadata = await admin.describe_topics(list(specs))
    _check_replicas(metadata, settings)
    configured = await _align_configs(admin, specs, wanted)
    grown = await _grow_partitions(admin, specs, metadata)
    outcome.update(dict.fromkeys([*configured, *grown], "updated"))
    return outcome


def _check_replicas(metadata: list[dict[str, Any]], settings: Settings) -> None:
    """Refuse topics whose replica count is not the configured replication factor."""
    wrong = sorted(
        t["topic"]
        for t in metadata
        if t["partitions"]
        and len(t["partitions"][0]["replicas"]) != settings.kafka_replication_factor
    )
    if wrong:
        raise RuntimeError(
            f"topics {', '.join(wrong)} do not have {settings.kafka_replication_factor} "
            "replicas; reassign them (kafka-reassign-partitions) or correct "
            "CRIBLE_KAFKA_REPLICATION_FACTOR"
        )


async def _described_configs(
    admin: AIOKafkaAdminClient, names: Iterable[str]
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Each topic's whole configuration, and the part of it set on the topic itself."""
    described = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    )
    current: dict[str, dict[str, str]] = {}
    dynamic: dict[str, dict[str, str]] = {}
    for response in described:
        for _code, _msg, _type, name, entries in response.resources:
            current[name] = {entry[0]: entry[1] for entry in entries}
            # AlterConfigs replaces a topic's whole dynamic configuration: keep what someone
            # set that Crible does not declare (source 1: DYNAMIC_TOPIC_CONFIG).
            dynamic[name] = {e[0]: e[1] for e in entries if len(e) > 3 and e[3] == 1}
    return current, dynamic


async def _align_configs(
    admin: AIOKafkaAdminClient, specs: dict[str, TopicSpec], wanted: dict[str, dict[str, str]]
) -> list[str]:
    """Set what differs from the declared configuration; the topics changed."""
    current, dynamic = await _described_configs(admin, specs)
    changed = {
        name: {**dynamic.get(name, {}), **config}
        for name, config in wanted.items()
        if any(current.get(name, {}).get(k) != v for k, v in config.items())
    }
    if changed:
        altered = await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n, configs=c) for n, c in changed.items()]
        )
        for response in altered:
            _raise_errors("configure", [(r[3], r[0], r[1]) for r in response.resources])
    return list(changed)


async def _grow_partitions(
    admin: AIOKafkaAdminClient, specs: dict[str, TopicSpec], metadata: list[dict[str, Any]]
) -> list[str]:
    """Add the partitions a topic lacks (never removes any); the topics grown."""
    grow = {
        t["topic"]: specs[t["topic"]].partitions
        for t in metadata
        if len(t["partitions"]) < specs[t["topic"]].partitions
    }
    if grow:
        grown = await admin.create_partitions(
            {name: NewPartitions(total_count=count) for name, count in grow.items()}
        )
        _raise_errors("add partitions to", grown.topic_errors)
    return list(grow)


def _raise_errors(
    action: str, results: Iterable[tuple[Any, ...]], *, tolerate: type[Exception] | None = None
) -> None:
    """Raise on the per-topic error codes of an admin response: aiokafka returns them."""
    failures = []
    for name, code, *message in results:
        if code == 0:
            continue
        error = for_code(code)
        if tolerate is not None and issubclass(error, tolerate):
            continue
        detail = message[0] if message and message[0] else error.__name__
        failures.append(f"{name}: {detail}")
    if failures:
        raise RuntimeError(f"could not {action} topics: {'; '.join(failures)}")
