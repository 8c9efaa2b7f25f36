"""A broker outage is logged once as it starts and once as it ends, and the clients' repeated
reconnection errors are folded into a few lines instead of thousands."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from shared.config import Settings
from shared.kafka import apply_topics
from tests.integration.brokers import own_broker
from tests.integration.conftest import INGEST_TOPICS
from tests.integration.processes import Worker, running_process

pytestmark = pytest.mark.integration


async def test_a_broker_outage_is_two_lines_and_a_few_counts_not_a_storm(
    base_settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    async with own_broker(tmp_path / "kafka") as broker:
        settings = base_settings.model_copy(
            update={
                "kafka_bootstrap_servers": broker.bootstrap,
                "topic_prefix": f"qo{uuid.uuid4().hex[:6]}.",
            }
        )
        await apply_topics(settings, INGEST_TOPICS)
        async with running_process("ingest", settings) as worker:
            await _ready(worker)
            before = len(worker.lines)
            await broker.stop()
            await asyncio.sleep(30)
            await broker.start()
            await _ready(worker)
            await asyncio.sleep(5)
            during = worker.lines[before:]
    loud = [line for line in during if line.get("level") in {"warning", "error", "critical"}]
    started = [line for line in loud if line["msg"] == "kafka unreachable: outage started"]
    ended = [line for line in loud if line["msg"] == "kafka reachable again: outage ended"]
    assert len(started) == 1, loud
    assert len(ended) == 1, loud
    assert ended[0]["outage_s"] >= 25
    # Each client error is written when it first appears and counted once per fold
    # interval after that: a few lines each, against thousands unfolded.
    per_message = Counter((line["logger"], line["msg"]) for line in loud)
    assert max(per_message.values()) <= 3, per_message.most_common(3)
    assert len(loud) <= 60, f"{len(loud)} lines for one outage: {loud[:10]}"


async def _ready(worker: Worker) -> None:
    deadline = time.monotonic() + 120
    while (answer := await worker.readyz()) is None or answer[0] != 200:
        assert worker.process.returncode is None, worker.lines[-3:]
        assert time.monotonic() < deadline, answer
        await asyncio.sleep(0.5)
