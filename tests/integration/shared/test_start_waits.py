"""Every service waits for a broker or a database that is down when it starts: one log line
per attempt, with back-off, and no exit; once they are up, it becomes ready."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services import SERVICES
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics
from shared.topics import all_topics
from tests.integration.processes import Forwarder, Worker, port_of, start, with_port

pytestmark = pytest.mark.integration
RETRY = "retrying after a failure"


@pytest.fixture
async def every_topic(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(update={"topic_prefix": f"w{uuid.uuid4().hex[:10]}."})
    await apply_topics(settings, all_topics())
    yield settings
    await delete_topics(settings)


async def test_every_service_waits_for_the_database_and_the_broker_then_becomes_ready(
    every_topic: Settings, db: asyncpg.Connection
) -> None:
    kafka = Forwarder(port_of(every_topic.kafka_bootstrap_servers))
    database = Forwarder(port_of(os.environ["DATABASE_URL"]))
    services = json.loads(os.environ["CRIBLE_SERVICE_DATABASE_URLS"])
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka.port}",
        "DATABASE_URL": with_port(os.environ["DATABASE_URL"], database.port),
        "CRIBLE_SERVICE_DATABASE_URLS": json.dumps(
            {name: with_port(dsn, database.port) for name, dsn in services.items()}
        ),
        "CRIBLE_RETRY_MAX_SECONDS": "2",
    }
    workers = [await start(name, every_topic, **env) for name in SERVICES]
    try:
        await _until_waiting(workers)  # neither is up
        await database.open()
        await asyncio.sleep(8)  # the database is up, the broker is not
        _all_waiting(workers)
        waited = {w.name: len(w.logged(RETRY)) for w in workers}
        await kafka.open()
        await asyncio.gather(*(_ready(w) for w in workers))
        for worker in workers:
            assert waited[worker.name] >= 4, f"{worker.name}: {waited[worker.name]} attempts"
            delays = [line["retry_in_s"] for line in worker.logged(RETRY)]
            assert max(delays) == 2.0, f"{worker.name} does not back off: {delays}"
            noise = [
                line
                for line in worker.lines
                if line.get("level") in {"warning", "error"} and line.get("msg") != RETRY
            ]
            # The rest is folded: an outage's first lines and their counts, not a storm.
            assert len(noise) <= 20, f"{worker.name} wrote {len(noise)} lines: {noise[-5:]}"
    finally:
        codes = {w.name: await _stopped(w) for w in workers}
        await kafka.close()
        await database.close()
    assert codes == dict.fromkeys(SERVICES, 0)


async def _until_waiting(workers: list[Worker]) -> None:
    """Until every worker has said what it waits for (starting takes longer on a busy machine)."""
    deadline = time.monotonic() + 90
    while not all(worker.logged(RETRY) for worker in workers):
        for worker in workers:
            assert worker.process.returncode is None, f"{worker.name} exited: {worker.lines[-3:]}"
        assert time.monotonic() < deadline, [w.name for w in workers if not w.logged(RETRY)]
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # and they keep waiting, never exiting
    _all_waiting(workers)


def _all_waiting(workers: list[Worker]) -> None:
    for worker in workers:
        assert worker.process.returncode is None, (
            f"{worker.name} exited ({worker.process.returncode}): {worker.lines[-3:]}"
        )
        assert worker.logged(RETRY), f"{worker.name} says nothing of what it waits for"


async def _ready(worker: Worker) -> None:
    deadline = time.monotonic() + 120
    while (answer := await worker.readyz()) is None or answer[0] != 200:
        assert worker.process.returncode is None, f"{worker.name} exited: {worker.lines[-3:]}"
        assert time.monotonic() < deadline, f"{worker.name} not ready: {answer}"
        await asyncio.sleep(0.5)


async def _stopped(worker: Worker) -> int | None:
    try:
        return await worker.stop(timeout=60)
    except TimeoutError:
        worker.process.kill()
        return None


async def test_prescreen_waits_when_the_broker_goes_away_while_it_starts(
    every_topic: Settings, db: asyncpg.Connection
) -> None:
    kafka = Forwarder(port_of(every_topic.kafka_bootstrap_servers))
    await kafka.open()
    env = {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka.port}", "CRIBLE_RETRY_MAX_SECONDS": "2"}
    worker = await start("prescreen", every_topic, **env)
    try:
        deadline = time.monotonic() + 120
        while not any(str(line.get("msg", "")).startswith("loaded") for line in worker.lines):
            assert time.monotonic() < deadline, worker.lines[-3:]
            await asyncio.sleep(0.05)
        # Connected once, loading its banks and model: now the broker cannot be reached by
        # a new client (the bank feed's follower starts after the model is loaded).
        await kafka.close()
        # On a loaded machine the model takes a while longer: wait for the follower's attempt.
        deadline = time.monotonic() + 90
        while "connect-bank-feed" not in {line["stage"] for line in worker.logged(RETRY)}:
            assert worker.process.returncode is None, f"exited: {worker.lines[-3:]}"
            assert time.monotonic() < deadline, worker.logged(RETRY)[-3:]
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # and it keeps waiting, never exiting
        _all_waiting([worker])
        await kafka.open()
        await _ready(worker)
    finally:
        code = await _stopped(worker)
        await kafka.close()
    assert code == 0
