"""The shared runtime's infrastructure commands and endpoint, on the real components."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.config import Settings
from shared.db import migrate
from shared.kafka import apply_topics, make_admin
from shared.metrics import CONSUMED, MetricsServer
from shared.topics import CASES, REPORTS_SUBMITTED, TopicSpec, wire_name
from tests.integration.conftest import MIGRATIONS, eventually


async def test_topics_apply_is_idempotent_and_repairs_drifted_config(settings: Settings) -> None:
    specs = [REPORTS_SUBMITTED, CASES]
    assert set((await apply_topics(settings, specs)).values()) == {"unchanged"}

    name = wire_name(CASES.name, settings.topic_prefix)
    admin = make_admin(settings)
    await admin.start()
    try:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs={"retention.ms": "1000"})]
        )
        # Someone changed the topic by hand; wait until the broker shows the drift.
        await eventually(lambda: retention_ms(admin, name), every=0.1)
        grown = TopicSpec(REPORTS_SUBMITTED.name, 12, REPORTS_SUBMITTED.retention_ms)
        outcome = await apply_topics(settings, [CASES, grown])
        # The controller adds partitions asynchronously: wait until the metadata shows them.
        await eventually(lambda: partitions(admin, wire_name(grown.name, settings.topic_prefix)))
    finally:
        await admin.close()

    assert outcome == {name: "updated", wire_name(grown.name, settings.topic_prefix): "updated"}


async def partitions(admin: AIOKafkaAdminClient, topic: str) -> bool:
    described = await admin.describe_topics([topic])
    return len(described[0]["partitions"]) == 12


async def retention_ms(admin: AIOKafkaAdminClient, topic: str) -> bool:
    described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    entries = described[0].resources[0][4]
    return any(entry[0] == "retention.ms" and entry[1] == "1000" for entry in entries)


async def test_migrations_apply_once(base_settings: Settings, db: asyncpg.Connection) -> None:
    assert await migrate(base_settings.database_url.get_secret_value(), MIGRATIONS) == []
    tables = await db.fetch(
        "SELECT schemaname || '.' || tablename AS t, tableowner FROM pg_tables "
        "WHERE schemaname IN ('ingest', 'crible') ORDER BY 1"
    )
    assert [(r["t"], r["tableowner"]) for r in tables] == [
        ("ingest.cases", "crible_ingest_owner"),
        ("ingest.outbox", "crible_ingest_owner"),
        ("ingest.reports", "crible_ingest_owner"),
    ]


async def test_metrics_endpoint_demands_the_reader_token() -> None:
    CONSUMED.labels("ingest", "reports.submitted", "processed").inc(0)
    server = MetricsServer(host="127.0.0.1", port=0, token="s3cret")
    await server.start()
    try:
        anonymous = await _get(server.port, "/metrics", None)
        wrong = await _get(server.port, "/metrics", "nope")
        scraper = await _get(server.port, "/metrics", "s3cret")
        elsewhere = await _get(server.port, "/admin", "s3cret")
    finally:
        await server.close()

    assert anonymous.startswith(b"HTTP/1.1 401")
    assert wrong.startswith(b"HTTP/1.1 401")
    assert scraper.startswith(b"HTTP/1.1 200")
    assert b"crible_messages_consumed_total" in scraper
    assert elsewhere.startswith(b"HTTP/1.1 404")


async def _get(port: int, path: str, token: str | None) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    return response
