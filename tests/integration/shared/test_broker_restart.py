"""The broker stops and comes back mid-stream: nothing lost, nothing doubled, nothing
dead-lettered."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import orjson

from services.ingest.service import REPORTS, SPEC
from shared.cli.reportgen import ReportStream
from shared.config import Settings
from shared.kafka import apply_topics, make_plain_producer, messages_written
from shared.topics import REPORTS_ACCEPTED, REPORTS_SUBMITTED, wire_name
from tests.integration.brokers import own_broker
from tests.integration.conftest import INGEST_TOPICS, committed, eventually, running

TOTAL = 8_000


async def test_a_broker_restart_mid_stream_loses_and_doubles_nothing(
    base_settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    async with own_broker(tmp_path / "kafka") as broker:
        settings = base_settings.model_copy(
            update={
                "kafka_bootstrap_servers": broker.bootstrap,
                "topic_prefix": f"br{uuid.uuid4().hex[:6]}.",
                "consumer_max_batch": 200,
                "retry_max_seconds": 1.0,
            }
        )
        await apply_topics(settings, INGEST_TOPICS)
        producer = make_plain_producer(settings, linger_ms=20)
        await producer.start()
        unique: set[str] = set()
        topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
        stream = ReportStream(seed=21, subjects=400, namespace=settings.topic_prefix)
        for key, value in stream.payloads(TOTAL, duplicate_rate=0.05):
            unique.add(orjson.loads(value)["report_id"])
            await producer.send(topic, value, key=key)
        await producer.flush()
        await producer.stop()

        async with running(SPEC, settings):
            await eventually(
                lambda: db.fetchval("SELECT count(*) > 1000 FROM ingest.reports"), every=0.05
            )
            await broker.stop()
            stored_while_down = await db.fetchval("SELECT count(*) FROM ingest.reports")
            await asyncio.sleep(3)
            await broker.start()
            await eventually(lambda: all_committed(settings), timeout=180)

        assert stored_while_down < len(unique), "the stream ended before the broker stopped"
        assert await db.fetchval("SELECT count(*) FROM ingest.reports") == len(unique)
        assert await db.fetchval("SELECT sum(report_count) FROM ingest.cases") == len(unique)
        accepted = wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix)
        assert await messages_written(settings, accepted) == len(unique)  # none doubled
        dlq = wire_name(REPORTS_SUBMITTED.dlq().name, settings.topic_prefix)
        assert await messages_written(settings, dlq) == 0


async def all_committed(settings: Settings) -> bool:
    done, end = await committed(settings, REPORTS.group_id(SPEC.name), REPORTS_SUBMITTED.name)
    return done == end
