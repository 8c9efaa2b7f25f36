"""A worker killed with SIGKILL mid-batch and restarted loses no report and counts none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from services.ingest.service import REPORTS, SPEC
from shared.cli.reportgen import ReportStream
from shared.config import Settings
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, wire_name
from tests.integration.conftest import committed, eventually, read_topic

INGEST_GROUP = REPORTS.group_id(SPEC.name)

TOTAL = 20_000


def worker(settings: Settings) -> asyncio.Future[asyncio.subprocess.Process]:
    env = dict(
        os.environ,
        CRIBLE_TOPIC_PREFIX=settings.topic_prefix,
        CRIBLE_CONSUMER_MAX_BATCH="300",
        CRIBLE_OUTBOX_RELAY_SECONDS="0.5",
        CRIBLE_OUTBOX_ORPHAN_SECONDS="2",
        CRIBLE_METRICS_PORT="0",
    )
    return asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services",
            "run",
            "ingest",
            env=env,
            stderr=asyncio.subprocess.DEVNULL,
        )
    )


async def test_sigkill_mid_batch_then_restart_loses_nothing_and_counts_nothing_twice(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    unique: set[str] = set()
    for key, value in ReportStream(seed=5, subjects=300).payloads(TOTAL, duplicate_rate=0.05):
        unique.add(orjson.loads(value)["report_id"])
        await producer.send(topic, value, key=key)
    await producer.flush()

    first = await worker(settings)
    # Kill it while it is part-way through the stream, without any chance to clean up.
    await eventually(lambda: db.fetchval("SELECT count(*) > 3000 FROM ingest.reports"), every=0.05)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    stored_at_kill = await db.fetchval("SELECT count(*) FROM ingest.reports")
    assert stored_at_kill < len(unique), "the worker finished before it could be killed"

    second = await worker(settings)
    try:
        await eventually(lambda: all_committed(settings), timeout=120)
        await eventually(lambda: db.fetchval("SELECT count(*) = 0 FROM ingest.outbox"), timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=60) == 0

    assert await db.fetchval("SELECT count(*) FROM ingest.reports") == len(unique)
    assert await db.fetchval("SELECT sum(report_count) FROM ingest.cases") == len(unique)
    reporters = await db.fetchval(
        "SELECT count(DISTINCT (case_id, case_revision, reporter_id)) FROM ingest.reports"
    )
    assert await db.fetchval("SELECT sum(reporter_count) FROM ingest.cases") == reporters

    # Read until every report is there: the topic may hold a few twice (a killed worker's
    # acknowledged events that it had not yet forgotten are relayed by the next one).
    accepted = await read_topic(
        settings, REPORTS_ACCEPTED.name, until=lambda rs: _announced(rs) >= unique
    )
    assert _announced(accepted) == unique
    # The last event of every case on the topic (a case is one key, one partition, read in
    # offset order) announces the count the database holds, even though a batch's events
    # were left in the outbox by the killed worker and relayed by the next one.
    events = await read_topic(settings, CASES.name, until=lambda rs: False, timeout=3)
    latest: dict[str, int] = {}
    for record in events:
        event = orjson.loads(record.value)
        latest[event["case_id"]] = event["report_count"]
    stored = {
        str(r["case_id"]): r["report_count"]
        for r in await db.fetch("SELECT case_id, report_count FROM ingest.cases")
    }
    assert latest == stored


def _announced(records: list[ConsumerRecord[bytes, bytes]]) -> set[str]:
    return {orjson.loads(r.value or b"{}")["report"]["report_id"] for r in records}


async def all_committed(settings: Settings) -> bool:
    done, end = await committed(settings, INGEST_GROUP, REPORTS_SUBMITTED.name)
    return done == end


async def test_sigterm_finishes_the_batch_publishes_and_commits_before_exiting(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    for key, value in ReportStream(seed=9, subjects=300).payloads(TOTAL, duplicate_rate=0):
        await producer.send(topic, value, key=key)
    await producer.flush()

    process = await worker(settings)
    await eventually(lambda: db.fetchval("SELECT count(*) > 3000 FROM ingest.reports"), every=0.05)
    process.send_signal(signal.SIGTERM)

    assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    # Nothing left half-done: every stored batch was published, and its offsets committed.
    assert await db.fetchval("SELECT count(*) FROM ingest.outbox") == 0
    stored = await db.fetchval("SELECT count(*) FROM ingest.reports")
    done, end = await committed(settings, INGEST_GROUP, REPORTS_SUBMITTED.name)
    assert done == stored < end
