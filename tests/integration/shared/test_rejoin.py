"""A consumer that loses its group always comes back: a batch held past
``max.poll.interval.ms`` by a lock, and a worker frozen past its session timeout, then
released, consume again within a minute, with nothing lost or doubled; and SIGTERM stops a
worker whatever it is waiting for."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from shared.cli.reportgen import ReportStream
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics, messages_written
from shared.topics import REPORTS_ACCEPTED, REPORTS_SUBMITTED, wire_name
from tests.integration.conftest import (
    INGEST_TOPICS,
    MIGRATIONS,
    committed,
    eventually,
    read_topic,
    running,
)
from tests.integration.probe import (
    PROBE_IN,
    PROBE_OUT,
    TOPICS,
    Faults,
    create_tables,
    item,
    probe_service,
)
from tests.integration.processes import ready, running_process

pytestmark = pytest.mark.integration
#: The group forgets a silent member after 6 s, and a member that holds a batch for 10 s
#: leaves it (the defaults are 30 s and 5 minutes: the same paths, slower).
GROUP_TIMEOUTS = {"consumer_session_timeout_ms": 6_000, "consumer_max_poll_interval_ms": 10_000}


@pytest.fixture
async def probe(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(
        update={"topic_prefix": f"j{uuid.uuid4().hex[:10]}.", **GROUP_TIMEOUTS}
    )
    await apply_topics(settings, TOPICS)
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


async def test_a_batch_held_past_the_poll_interval_by_a_lock_rejoins_and_resumes(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    topic = wire_name(PROBE_IN.name, probe.topic_prefix)

    async def send(*ids: str) -> None:
        for n, item_id in enumerate(ids):
            await producer.send_and_wait(topic, item(item_id), partition=n % 4)

    async with running(probe_service(Faults()), probe):
        await send(*(f"a{i}" for i in range(8)))
        await eventually(lambda: _committed(probe))
        locker = await asyncpg.connect(probe.database_url.get_secret_value())
        lock = locker.transaction()
        await lock.start()
        await locker.execute("LOCK TABLE probe.items IN ACCESS EXCLUSIVE MODE")
        try:
            await send(*(f"b{i}" for i in range(4)))  # one per partition: every lane waits
            await asyncio.sleep(16)  # past max.poll.interval.ms: the consumer leaves the group
        finally:
            await lock.rollback()
            await locker.close()
        released = time.monotonic()
        await send(*(f"c{i}" for i in range(8)))
        await eventually(lambda: _committed(probe), timeout=60)
        resumed = time.monotonic() - released

    ids = [r["id"] for r in await db.fetch("SELECT id FROM probe.items ORDER BY id")]
    assert len(ids) == 20 == len(set(ids))
    announced = await read_topic(probe, PROBE_OUT.name, until=lambda rs: len(rs) >= 20, timeout=5)
    assert sorted(orjson.loads(r.value)["id"] for r in announced) == ids  # each once
    assert resumed < 60


async def _committed(settings: Settings) -> bool:
    done, end = await committed(settings, "crible-probe", PROBE_IN.name)
    return done == end > 0


@pytest.fixture
async def reports(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(update={"topic_prefix": f"k{uuid.uuid4().hex[:10]}."})
    await apply_topics(settings, INGEST_TOPICS)
    yield settings
    await delete_topics(settings)


async def test_a_worker_frozen_past_its_session_then_released_resumes_and_stops_on_sigterm(
    reports: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    env = {
        "CRIBLE_CONSUMER_SESSION_TIMEOUT_MS": "6000",
        "CRIBLE_CONSUMER_MAX_POLL_INTERVAL_MS": "10000",
    }
    topic = wire_name(REPORTS_SUBMITTED.name, reports.topic_prefix)
    stream = ReportStream(seed=20, subjects=300, namespace=reports.topic_prefix)
    payloads = list(stream.payloads(3_000, duplicate_rate=0.0))
    unique = {orjson.loads(value)["report_id"] for _, value in payloads}
    async with running_process("ingest", reports, **env) as worker:
        await ready(worker)
        for key, value in payloads[:1_000]:
            await producer.send(topic, value, key=key)
        await producer.flush()
        await eventually(lambda: db.fetchval("SELECT count(*) >= 1000 FROM ingest.reports"))
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            for key, value in payloads[1_000:]:
                await producer.send(topic, value, key=key)
            await producer.flush()
            # Past the session timeout and the poll interval, and past the default session
            # timeout too (30 s): the group has forgotten this worker whatever its settings.
            await asyncio.sleep(40)
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        released = time.monotonic()
        await eventually(lambda: _all_ingested(reports), timeout=60)
        resumed = time.monotonic() - released
        stopping = time.monotonic()
        code = await worker.stop(timeout=60)
        stopped = time.monotonic() - stopping

    assert resumed < 60
    assert await db.fetchval("SELECT count(*) FROM ingest.reports") == len(unique)
    assert await db.fetchval("SELECT sum(report_count) FROM ingest.cases") == len(unique)
    accepted = wire_name(REPORTS_ACCEPTED.name, reports.topic_prefix)
    assert await messages_written(reports, accepted) == len(unique)  # none announced twice
    assert code == 0
    assert stopped < 30


async def _all_ingested(settings: Settings) -> bool:
    done, end = await committed(settings, "crible-ingest", REPORTS_SUBMITTED.name)
    return done == end > 0


async def test_sigterm_stops_a_worker_whose_batch_waits_on_a_lock(
    reports: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    topic = wire_name(REPORTS_SUBMITTED.name, reports.topic_prefix)
    stream = ReportStream(seed=21, subjects=10, namespace=reports.topic_prefix)
    key, value = next(iter(stream.payloads(1, duplicate_rate=0.0)))
    async with running_process("ingest", reports, CRIBLE_STOP_GRACE_SECONDS="5") as worker:
        await ready(worker)
        await db.execute("BEGIN")
        await db.execute("LOCK TABLE ingest.cases IN ACCESS EXCLUSIVE MODE")
        try:
            await producer.send_and_wait(topic, value, key=key)
            await eventually(lambda: waits_on_cases_lock(db))
            signalled = time.monotonic()
            code = await worker.stop(timeout=30)
            stopped = time.monotonic() - signalled
        finally:
            await db.execute("ROLLBACK")
    assert stopped < 15  # the batch could not finish: the grace period ended it
    assert code == 70
    assert any(line["msg"].startswith("exiting without a graceful stop") for line in worker.lines)


async def waits_on_cases_lock(db: asyncpg.Connection) -> bool:
    waiting = await db.fetchval(
        "SELECT count(*) FROM pg_locks WHERE relation = 'ingest.cases'::regclass AND NOT granted"
    )
    return bool(waiting)
