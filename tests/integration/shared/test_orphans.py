"""No process outlives its parent: SIGKILL a worker, and 5 s later nothing of its process
tree runs (prescreen's text child, a process stage's workers, multiprocessing's resource
tracker); SIGKILL `crible run all`, and its services stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from services import SERVICES
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics
from shared.topics import all_topics, wire_name
from tests.integration.conftest import MIGRATIONS, committed, eventually
from tests.integration.probe import PROBE_IN, TOPICS, create_tables, item
from tests.integration.processes import (
    alive,
    descendants,
    free_port,
    left_alive,
    probe,
    ready,
    running_process,
    service_env,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def every_topic(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(update={"topic_prefix": f"x{uuid.uuid4().hex[:10]}."})
    await apply_topics(settings, [*all_topics(), *TOPICS])
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


async def test_a_sigkilled_prescreen_worker_leaves_no_process_behind(
    every_topic: Settings, db: asyncpg.Connection
) -> None:
    async with running_process("prescreen", every_topic) as worker:
        await ready(worker)
        tree = descendants(worker.pid)
        assert len(tree) >= 2, "expected the text screener's child and the resource tracker"
        os.kill(worker.pid, signal.SIGKILL)
        await asyncio.sleep(5)
    assert left_alive(tree) == []


async def test_a_sigkilled_worker_with_a_process_stage_leaves_no_process_behind(
    every_topic: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    port = free_port()
    env = service_env(every_topic, CRIBLE_METRICS_PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.run_probe", env=env,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        topic = wire_name(PROBE_IN.name, every_topic.topic_prefix)
        for n in range(8):
            await producer.send_and_wait(topic, item(f"i{n}"), partition=n % 4)
        await eventually(lambda: _all_committed(every_topic), timeout=90)
        tree = descendants(process.pid)
        assert len(tree) >= 2, "expected the stage's workers and the resource tracker"
    finally:
        process.kill()
    await asyncio.sleep(5)
    assert left_alive(tree) == []


async def test_a_sigkilled_supervisor_leaves_no_service_running(
    every_topic: Settings, db: asyncpg.Connection
) -> None:
    metrics_base = free_port()
    supervisor = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "run", "all",
        "--metrics-base-port", str(metrics_base), "--http-base-port", str(free_port()),
        env=service_env(every_topic), stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for i in range(len(SERVICES)):
            await _answers(metrics_base + i)
        tree = descendants(supervisor.pid)
        assert len(tree) >= len(SERVICES)
    finally:
        supervisor.kill()
    for _ in range(80):  # each service stops gracefully (25 s at most)
        if not any(alive(pid) for pid in tree):
            break
        await asyncio.sleep(0.5)
    assert left_alive(tree) == []


#: A benchmark in small: starts `crible run all` as the benchmarks do, then waits.
BENCH = """
import os, subprocess, sys, time
from shared.runtime.parent import stop_with_me
subprocess.Popen([sys.executable, "-m", "services", "run", "all", *sys.argv[1:]],
                 env={**os.environ, **stop_with_me()}, stderr=subprocess.DEVNULL)
time.sleep(600)
"""


async def test_a_sigkilled_benchmark_leaves_no_pipeline_running(
    every_topic: Settings, db: asyncpg.Connection
) -> None:
    """`crible bench e2e` (or any benchmark) killed: the `crible run all` it started, and
    that one's services, stop too."""
    metrics_base = free_port()
    bench = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BENCH,
        "--metrics-base-port", str(metrics_base), "--http-base-port", str(free_port()),
        env=service_env(every_topic),
    )  # fmt: skip
    try:
        for i in range(len(SERVICES)):
            await _answers(metrics_base + i)
        tree = descendants(bench.pid)
        assert len(tree) >= len(SERVICES) + 1  # the supervisor and its services
    finally:
        bench.kill()
    for _ in range(100):  # the supervisor notices within a second, each service stops gracefully
        if not any(alive(pid) for pid in tree):
            break
        await asyncio.sleep(0.5)
    assert left_alive(tree) == []


async def _all_committed(settings: Settings) -> bool:
    done, end = await committed(settings, "crible-probe", PROBE_IN.name)
    return done == end > 0


async def _answers(port: int) -> None:
    deadline = time.monotonic() + 120
    while (answer := await probe(port, "/readyz")) is None or answer[0] != 200:
        assert time.monotonic() < deadline, answer
        await asyncio.sleep(0.5)
