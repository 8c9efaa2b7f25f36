"""Every service's `/readyz` answers while it starts and while it stops: 503 with a reason,
never an exception or a dropped connection; and its exposition holds no `_created` series
(real processes, real broker and database)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services import SERVICES
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics
from shared.topics import all_topics
from tests.integration.processes import DroppedProbeError, Worker, probe, start

pytestmark = pytest.mark.integration


@pytest.fixture
async def every_topic(base_settings: Settings) -> AsyncIterator[Settings]:
    """Settings with a fresh prefix under which every topic exists."""
    settings = base_settings.model_copy(update={"topic_prefix": f"r{uuid.uuid4().hex[:10]}."})
    await apply_topics(settings, all_topics())
    yield settings
    await delete_topics(settings)


async def test_every_service_answers_readyz_while_starting_and_stopping(
    every_topic: Settings, db: asyncpg.Connection
) -> None:
    workers = [await start(name, every_topic) for name in SERVICES]
    try:
        answers = await asyncio.gather(*(_watch(worker) for worker in workers))
    finally:
        for worker in workers:
            if worker.process.returncode is None:
                worker.process.kill()
    for worker, (starting, stopping) in zip(workers, answers, strict=True):
        assert starting, f"{worker.name} never answered before it was ready"
        assert all(code == 503 and reason.strip() for code, reason in starting), worker.name
        # (A service may stop too fast for a probe to catch it stopping.)
        assert all(code == 503 and reason.strip() for code, reason in stopping), worker.name
        assert await worker.stop() == 0
    assert any(stopping for _, stopping in answers), "no service was seen stopping"


async def _watch(worker: Worker) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Probe from the start until ready, then stop it and probe until it stops listening.

    A dropped probe raises (:class:`DroppedProbeError`), failing the test.
    """
    starting: list[tuple[int, str]] = []
    deadline = time.monotonic() + 120
    while True:
        answer = await _ask(worker, "starting")
        if answer is not None:
            if answer[0] == 200:
                break
            starting.append(answer)
        assert time.monotonic() < deadline, f"{worker.name} not ready in 120 s: {starting[-3:]}"
        assert worker.process.returncode is None, f"{worker.name} exited while starting"
        await asyncio.sleep(0.01)
    exposition = await _lag_exported(worker)
    created = [line for line in exposition.splitlines() if "_created" in line.split(" ")[0]]
    assert created == [], f"{worker.name} exports series the catalogue does not list"
    worker.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    stopping: list[tuple[int, str]] = []
    while worker.process.returncode is None:
        answer = await _ask(worker, "stopping")
        # A probe answered in the instant the signal arrived may still say ready.
        if answer is not None and time.monotonic() - signalled > 0.1:
            stopping.append(answer)
        await asyncio.sleep(0.01)
    return starting, stopping


async def _ask(worker: Worker, phase: str) -> tuple[int, str] | None:
    try:
        return await worker.readyz()
    except DroppedProbeError as error:
        raise DroppedProbeError(f"{worker.name} while {phase}: {error}") from None


async def _lag_exported(worker: Worker) -> str:
    """The exposition once it holds the lag of the worker's groups (read from the broker)."""
    mine = f'service="{worker.name}"'
    deadline = time.monotonic() + 30
    while True:
        exposition = await probe(worker.metrics_port, "/metrics")
        assert exposition is not None
        assert exposition[0] == 200
        lines = exposition[1].splitlines()
        if any(line.startswith("crible_consumer_lag_messages{") and mine in line for line in lines):
            return exposition[1]
        assert time.monotonic() < deadline, f"{worker.name} exports no lag for its groups"
        await asyncio.sleep(0.5)
