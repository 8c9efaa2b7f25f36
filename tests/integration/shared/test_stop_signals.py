"""A Ctrl-C reaches every process of the terminal's group and `crible run all` then sends
its services SIGTERM: those two signals are one request, answered by a graceful stop. A
second request made later still ends a stop that hangs, at once (real processes, broker
and database)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from shared.cli.reportgen import ReportStream
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics
from shared.runtime.process import EX_SOFTWARE
from shared.topics import REPORTS_SUBMITTED, wire_name
from tests.integration.conftest import INGEST_TOPICS, eventually
from tests.integration.processes import Worker, exited, ready, running_process
from tests.integration.shared.test_rejoin import waits_on_cases_lock

pytestmark = pytest.mark.integration


@pytest.fixture
async def reports(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(update={"topic_prefix": f"g{uuid.uuid4().hex[:10]}."})
    await apply_topics(settings, INGEST_TOPICS)
    yield settings
    await delete_topics(settings)


async def test_ctrl_c_then_the_supervisors_sigterm_stop_a_service_gracefully(
    reports: Settings, db: asyncpg.Connection
) -> None:
    async with running_process("ingest", reports) as worker:
        await ready(worker)
        worker.process.send_signal(signal.SIGINT)  # the terminal's Ctrl-C,
        worker.process.send_signal(signal.SIGTERM)  # and the supervisor's, a moment later
        code = await exited(worker.process, within=60)
        await _log_read(worker)
    assert code == 0, worker.lines[-3:]
    assert _forced(worker) == []
    assert worker.logged("consumer stopped"), "the consumers did not stop gracefully"


async def test_a_second_stop_request_made_later_ends_a_hanging_stop_at_once(
    reports: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    topic = wire_name(REPORTS_SUBMITTED.name, reports.topic_prefix)
    stream = ReportStream(seed=5, subjects=3, namespace=reports.topic_prefix)
    key, value = next(iter(stream.payloads(1, duplicate_rate=0.0)))
    async with running_process("ingest", reports, CRIBLE_STOP_GRACE_SECONDS="120") as worker:
        await ready(worker)
        await db.execute("BEGIN")
        await db.execute("LOCK TABLE ingest.cases IN ACCESS EXCLUSIVE MODE")
        try:
            await producer.send_and_wait(topic, value, key=key)
            await eventually(lambda: waits_on_cases_lock(db))
            worker.process.send_signal(signal.SIGTERM)  # waits on the batch, for 120 s
            await asyncio.sleep(3)
            assert worker.process.returncode is None, "the first request did not wait"
            asked = time.monotonic()
            worker.process.send_signal(signal.SIGTERM)
            code = await exited(worker.process, within=60)
            took = time.monotonic() - asked
        finally:
            await db.execute("ROLLBACK")
        await _log_read(worker)
    assert code == EX_SOFTWARE
    assert took < 30  # at once, not at the end of the 120 s grace
    assert _forced(worker) == ["exiting without a graceful stop: second stop signal"]


async def _log_read(worker: Worker) -> None:
    if worker.reader is not None:
        await asyncio.wait_for(worker.reader, timeout=10)


def _forced(worker: Worker) -> list[str]:
    return [line["msg"] for line in worker.lines if "without a graceful" in line["msg"]]
