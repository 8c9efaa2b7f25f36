"""Kafka security and durability: SASL through every client, replication refused where it
cannot hold, topic limits and DLQ retention as applied on the broker."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError
from pydantic import SecretStr, ValidationError

from services.ingest.service import SPEC
from shared.config import Settings
from shared.events import CaseEvent
from shared.kafka import apply_topics, delete_topics, make_admin, make_plain_producer
from shared.topics import (
    CASES,
    DAY_MS,
    DLQ_HEADROOM_BYTES,
    IDENTITY_EVENTS,
    REPORTS_SUBMITTED,
    TopicSpec,
    wire_name,
)
from tests.integration.brokers import own_broker
from tests.integration.conftest import INGEST_TOPICS, eventually, read_topic, running
from tests.integration.ingest.test_ingest import encode, report


async def test_a_service_works_through_a_sasl_listener_and_anonymous_clients_are_refused(
    base_settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    password = secrets.token_urlsafe(16)
    users = {"broker": secrets.token_urlsafe(16), "crible-ingest": password}
    async with own_broker(tmp_path / "kafka", sasl_users=users) as broker:
        secure = Settings(
            kafka_bootstrap_servers=broker.bootstrap,
            database_url=base_settings.database_url,
            topic_prefix=f"sec{uuid.uuid4().hex[:6]}.",
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="crible-ingest",
            kafka_sasl_password=SecretStr(password),
            consumer_poll_timeout_ms=100,
        )
        await apply_topics(secure, INGEST_TOPICS)
        producer = make_plain_producer(secure)
        await producer.start()
        try:
            async with running(SPEC, secure):
                topic = wire_name(REPORTS_SUBMITTED.name, secure.topic_prefix)
                await producer.send_and_wait(topic, encode(report("r1")))
                events = await read_topic(secure, CASES.name, until=lambda rs: len(rs) >= 1)
        finally:
            await producer.stop()
        assert CaseEvent.model_validate_json(events[0].value).report_count == 1

        anonymous = Settings(kafka_bootstrap_servers=broker.bootstrap)
        wrong = secure.model_copy(update={"kafka_sasl_password": SecretStr("not-it")})
        for refused in (anonymous, wrong):
            admin = make_admin(refused)
            with pytest.raises(KafkaError):
                await asyncio.wait_for(admin.start(), timeout=60)
            await admin.close()


async def test_topics_apply_refuses_a_replication_the_cluster_cannot_hold(
    settings: Settings,
) -> None:
    three = settings.model_copy(update={"kafka_replication_factor": 3})

    with pytest.raises(RuntimeError, match="REPLICATION_FACTOR=3 needs as many brokers"):
        await apply_topics(three, [CASES])
    with pytest.raises(ValidationError, match="MIN_INSYNC_REPLICAS cannot exceed"):
        Settings(kafka_replication_factor=1, kafka_min_insync_replicas=2)


async def test_limits_retention_and_hand_made_settings_as_applied_on_the_broker(
    settings: Settings,
) -> None:
    await apply_topics(settings, [IDENTITY_EVENTS, IDENTITY_EVENTS.dlq()])
    dlq = wire_name(IDENTITY_EVENTS.dlq().name, settings.topic_prefix)
    admin = make_admin(settings)
    await admin.start()
    try:
        # An operator tunes something Crible does not declare (kept by `topics apply`) and
        # something it does (put back).
        hand_made = {"segment.ms": "3600000", "retention.ms": "1000"}
        await eventually(lambda: described(admin, dlq))  # created, and visible
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, dlq, hand_made)])
        await eventually(lambda: hand_made_applied(admin, dlq))
        outcome = await apply_topics(settings, [IDENTITY_EVENTS.dlq()])
        await eventually(lambda: retention_restored(admin, dlq))  # the broker applies it
        config = await described(admin, dlq)
    finally:
        await admin.close()
        await delete_topics(settings)

    assert outcome == {dlq: "updated"}
    limit = IDENTITY_EVENTS.max_message_bytes + DLQ_HEADROOM_BYTES
    assert config["retention.ms"] == (str(IDENTITY_EVENTS.retention_ms), DYNAMIC)  # personal
    assert config["max.message.bytes"] == (str(limit), DYNAMIC)
    assert config["min.insync.replicas"] == ("1", DYNAMIC)  # set by Crible, not the default
    assert config["segment.ms"] == ("3600000", DYNAMIC)


#: Kafka's config source for a setting made on the topic itself.
DYNAMIC = 1


async def retention_restored(admin: object, topic: str) -> bool:
    wanted = str(IDENTITY_EVENTS.retention_ms)
    return (await described(admin, topic)).get("retention.ms", ("", 0))[0] == wanted


async def hand_made_applied(admin: object, topic: str) -> bool:
    return (await described(admin, topic)).get("retention.ms", ("", 0))[0] == "1000"


async def described(admin: object, topic: str) -> dict[str, tuple[str, int]]:
    """Each setting of the topic: (value, where it comes from)."""
    result = await admin.describe_configs(  # type: ignore[attr-defined]
        [ConfigResource(ConfigResourceType.TOPIC, topic)]
    )
    return {entry[0]: (entry[1], entry[3]) for entry in result[0].resources[0][4]}


async def test_topics_apply_reports_what_the_broker_refused(settings: Settings) -> None:
    bogus = TopicSpec("bogus", 1, DAY_MS, extra_config=(("cleanup.policy", "shred"),))

    with pytest.raises(RuntimeError, match=r"could not create topics: .*bogus"):
        await apply_topics(settings, [bogus])
