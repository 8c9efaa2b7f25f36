"""The pipeline as an operator runs it (``crible run all``), and a steady load for it.

``crible run all`` runs in a process of its own under a topic prefix of its own; its
services' readiness is read from outside. :class:`Load` publishes reports (a few malformed
on purpose) and identity events at a steady rate and sends again what a broker fault left
unacknowledged (every id is stable: a duplicate counts once).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared.cli.reportgen import ReportStream, subject_key
from shared.config import Settings
from shared.topics import IDENTITY_EVENTS, REPORTS_SUBMITTED, wire_name


@dataclass
class Pipeline:
    """A running ``crible run all``: its supervisor, its services and their metrics ports."""

    names: list[str]
    supervisor: asyncio.subprocess.Process
    metrics_base_port: int
    token: str

    async def readiness(self) -> dict[str, int | None]:
        """Each service's ``/readyz`` status (None: no answer)."""
        found: dict[str, int | None] = {}
        async with httpx.AsyncClient(timeout=3) as client:
            for i, name in enumerate(self.names):
                url = f"http://127.0.0.1:{self.metrics_base_port + i}/readyz"
                bearer = {"Authorization": f"Bearer {self.token}"}
                try:
                    found[name] = (await client.get(url, headers=bearer)).status_code
                except httpx.HTTPError:
                    found[name] = None
        return found

    async def wait_ready(self, *, within: float = 240) -> float:
        """Wait until every service answers ``/readyz`` 200; the seconds it took."""
        started = time.monotonic()
        while True:
            states = await self.readiness()
            if all(code == 200 for code in states.values()):
                return time.monotonic() - started
            if self.supervisor.returncode is not None:
                raise RuntimeError("crible run all exited while starting")
            if time.monotonic() - started > within:
                raise RuntimeError(f"not every service became ready in {within:.0f} s: {states}")
            await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def running_pipeline(
    names: Sequence[str],
    settings: Settings,
    *,
    env: dict[str, str],
    metrics_base_port: int,
    http_base_port: int,
    log: Path | None = None,
) -> AsyncIterator[Pipeline]:
    """``crible run all`` under ``settings.topic_prefix`` with ``env``; stopped at the end."""
    token = env.get("CRIBLE_METRICS_TOKEN", "")
    if not token:
        raise RuntimeError("CRIBLE_METRICS_TOKEN is not set: run it under `crible local`")
    output = log.open("ab") if log is not None else asyncio.subprocess.DEVNULL
    supervisor = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "run", "all",
        "--metrics-base-port", str(metrics_base_port), "--http-base-port", str(http_base_port),
        env={**env, "CRIBLE_TOPIC_PREFIX": settings.topic_prefix},
        stdout=output, stderr=output,
    )  # fmt: skip
    try:
        yield Pipeline(list(names), supervisor, metrics_base_port, token)
    finally:
        if supervisor.returncode is None:
            supervisor.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(supervisor.wait(), timeout=90)
            except TimeoutError:
                supervisor.kill()
                await supervisor.wait()
        if not isinstance(output, int):
            output.close()


@dataclass
class Sent:
    """What the load published, by what it can be recognised."""

    reports: set[str] = field(default_factory=set)
    malformed_reports: set[bytes] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)


class Load:
    """Reports (every 100th malformed) and identity events (every 10th message) at a rate."""

    def __init__(self, settings: Settings, producer: AIOKafkaProducer) -> None:
        self.sent = Sent()
        self.resent = 0
        self._producer = producer
        self._ns = settings.topic_prefix
        self._reports = wire_name(REPORTS_SUBMITTED.name, self._ns)
        self._identity = wire_name(IDENTITY_EVENTS.name, self._ns)
        self._stream = ReportStream(seed=os.getpid(), subjects=3_000, namespace=self._ns)
        self._pending: list[tuple[asyncio.Future[Any], str, bytes, bytes]] = []

    async def run(self, *, rate: float, until: asyncio.Event) -> None:
        """Publish at ``rate`` messages a second until ``until`` is set; all acknowledged."""
        started = time.monotonic()
        n = 0
        while not until.is_set():
            ahead = n / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
            n += 1
            if n % 100 == 50:
                key = f"{self._ns}malformed-{n}".encode()
                self.sent.malformed_reports.add(key)
                await self._send(self._reports, key, b'{"schema_version": 1, "report_id": ')
            elif n % 10 == 5:
                await self._identity_event(n)
            else:
                report = self._stream.report()
                self.sent.reports.add(report["report_id"])
                key = subject_key(report["subject"]).encode()
                await self._send(self._reports, key, orjson.dumps(report))
            if n % 50 == 0:
                await self._settle(wait=len(self._pending) > 5_000)
        while self._pending:
            await self._settle(wait=True)

    async def _identity_event(self, n: int) -> None:
        user = f"{self._ns}user{n % 300}"
        event: dict[str, Any] = {
            "schema_version": 1, "event_id": f"{self._ns}e{n}", "platform_user_id": user,
            "occurred_at": "2026-12-01T10:00:00+01:00",
        }  # fmt: skip
        if user not in self.sent.accounts:
            self.sent.accounts.add(user)
            event |= {"event_type": "account.registered", "phone_number": f"+3361{n:07d}"}
        else:
            self.sent.sessions.add(f"{self._ns}e{n}")
            event |= {"event_type": "session.observed", "ip_address": f"192.0.2.{n % 250 + 1}",
                      "source_port": 1024 + n % 60_000}  # fmt: skip
        await self._send(self._identity, user.encode(), orjson.dumps(event))

    async def _send(self, topic: str, key: bytes, value: bytes) -> None:
        while True:
            try:
                future = await self._producer.send(topic, value, key=key)
            except KafkaError:
                await asyncio.sleep(0.5)  # no broker takes it now: wait, then send again
                continue
            self._pending.append((future, topic, key, value))
            return

    async def _settle(self, *, wait: bool) -> None:
        if wait and self._pending:
            await asyncio.wait([f for f, *_ in self._pending], timeout=1)
        still, failed = [], []
        for entry in self._pending:
            if not entry[0].done():
                still.append(entry)
            elif entry[0].exception() is not None:
                failed.append(entry)
        self._pending = still
        for _, topic, key, value in failed:  # never acknowledged: sent again
            self.resent += 1
            await self._send(topic, key, value)
