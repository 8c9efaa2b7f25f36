"""`crible run all` restarts a service that dies, and stops them all on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.config import Settings
from shared.topics import REPORTS_SUBMITTED, wire_name
from tests.integration.conftest import eventually
from tests.integration.ingest.test_ingest import encode, report


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_killed_service_is_restarted_and_goes_on_consuming(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    env = dict(os.environ, CRIBLE_TOPIC_PREFIX=settings.topic_prefix)
    supervisor = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services",
        "run",
        "all",
        "--metrics-base-port",
        str(free_port()),
        "--http-base-port",
        str(free_port()),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[dict[str, Any]] = []

    async def collect() -> None:
        assert supervisor.stderr is not None
        async for raw in supervisor.stderr:
            with contextlib.suppress(ValueError):
                lines.append(json.loads(raw))

    reader = asyncio.create_task(collect())

    def started() -> list[dict[str, Any]]:
        return [
            line
            for line in lines
            if line.get("msg") == "service started" and line.get("service") == "ingest"
        ]

    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    try:
        await eventually(lambda: _true(len(started()) == 1))
        await producer.send_and_wait(topic, encode(report("before")))
        await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM ingest.reports"))

        os.kill(started()[0]["pid"], signal.SIGKILL)
        await eventually(lambda: _true(len(started()) == 2))
        exited = [line for line in lines if line.get("msg") == "service exited; restarting"]
        assert exited[0]["code"] == -signal.SIGKILL
        assert started()[1]["pid"] != started()[0]["pid"]

        await producer.send_and_wait(topic, encode(report("after", reporter="u2")))
        await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM ingest.reports"))
    finally:
        supervisor.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(supervisor.wait(), timeout=60)
        await reader

    assert code == 0
    last = started()[-1]["pid"]
    assert _gone(last), "the service outlived its supervisor"


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # a zombie is gone
    except OSError:
        return True


async def _true(value: bool) -> bool:
    return value
