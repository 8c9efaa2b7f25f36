"""Periodic work beside the consumers: lag, readiness, orphaned outbox rows, the database.

It runs as its own task, so that it goes on whatever the lanes are doing (a lane stalled by
an outage, or with no partition at all).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from shared import metrics, outbox
from shared.config import Settings
from shared.errors import Fault, StopRequestedError, classify
from shared.runtime.consumer import ConsumerRunner
from shared.runtime.emit import Emitter

log = logging.getLogger(__name__)


class Housekeeping:
    """Updates the lag gauges, relays orphaned outbox rows and checks the database."""

    def __init__(
        self,
        *,
        service: str,
        settings: Settings,
        pool: asyncpg.Pool | None,
        emitter: Emitter | None,
        runners: Sequence[ConsumerRunner[Any]],
        stop: asyncio.Event,
        readiness: Callable[[], object] | None = None,
    ) -> None:
        self._service = service
        self._settings = settings
        self._pool = pool
        self._emitter = emitter
        self._runners = runners
        self._stop = stop
        self._readiness = readiness
        self._last_relay = 0.0
        #: Whether the last database check succeeded (``/readyz``).
        self.database_ok = pool is None

    async def run(self) -> None:
        """Until stopped: every ``housekeeping_seconds``."""
        while not self._stop.is_set():
            await self._round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stop.wait(), timeout=self._settings.housekeeping_seconds
                )

    async def _round(self) -> None:
        for runner in self._runners:
            try:
                await runner.update_lag()
            except Exception as error:  # noqa: BLE001 - lag is best effort; never stop for it
                log.warning("lag update failed", extra={"error": type(error).__name__})
        await self._check_database()
        if self._readiness is not None:
            self._readiness()  # keeps crible_ready current without anyone probing
        now = time.monotonic()
        if now - self._last_relay >= self._settings.outbox_relay_seconds:
            self._last_relay = now
            await self.relay()

    async def _check_database(self) -> None:
        if self._pool is None:
            return
        try:
            await asyncio.wait_for(self._pool.fetchval("SELECT 1"), timeout=2)
        except Exception:  # noqa: BLE001 - readiness reports it; the lanes retry on their own
            self.database_ok = False
        else:
            self.database_ok = True

    async def relay(self) -> int:
        """Publish the outbox rows that workers which died before publishing left behind."""
        if self._pool is None or self._emitter is None:
            return 0
        emitter = self._emitter
        try:
            relayed = await outbox.relay_orphans(
                self._pool,
                lambda records: emitter.deliver([], records),
                service=self._service,
                topic_prefix=self._settings.topic_prefix,
                older_than_seconds=self._settings.outbox_orphan_seconds,
            )
        except StopRequestedError:
            return 0
        except Exception as error:
            if classify(error) is Fault.FATAL:
                raise
            log.warning("outbox relay failed; will retry", extra={"error": type(error).__name__})
            return 0
        if relayed:
            metrics.OUTBOX_RELAYED.labels(self._service).inc(relayed)
            log.warning("relayed orphaned outbox batches", extra={"batches": relayed})
        return relayed
