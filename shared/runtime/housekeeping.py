"""Periodic work beside the consumers: lag, readiness, orphaned outbox rows, the database.

It runs as its own tasks, so that it goes on whatever the lanes are doing (a lane stalled by
an outage, or with no partition at all). Kafka is asked in a task of its own, so that a
broker that does not answer never delays the database check or the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import errors as kafka_errors

from shared import metrics
from shared.config import Settings
from shared.runtime import outbox_table
from shared.runtime.consumer import ConsumerRunner
from shared.runtime.errors import Fault, StopRequestedError, classify
from shared.runtime.lag import BrokerLag, WatchedGroup
from shared.runtime.outages import Outages
from shared.runtime.outbox import Outbox
from shared.runtime.spec import OwnGroup
from shared.topics import wire_name

log = logging.getLogger(__name__)

#: The longest a round of broker questions may take before it counts as failed.
KAFKA_CHECK_SECONDS = 10.0
#: How long a broker that answers but has no group coordinator yet (a fresh broker creating
#: its offsets topic, a coordinator moving after a broker restart) is given before it counts
#: as an outage: the consumers wait for their coordinator by themselves meanwhile.
COORDINATOR_GRACE_SECONDS = 30.0
#: Errors of a broker that answers while its group coordinator is loading or moving.
_COORDINATOR_SETTLING = (
    kafka_errors.CoordinatorLoadInProgressError,
    kafka_errors.CoordinatorNotAvailableError,
    kafka_errors.NotCoordinatorError,
)


class Housekeeping:
    """Updates the lag gauges, relays orphaned outbox rows, checks Kafka and the database."""

    def __init__(
        self,
        *,
        service: str,
        settings: Settings,
        pool: asyncpg.Pool | None,
        outbox: Outbox | None,
        runners: Sequence[ConsumerRunner[Any]],
        stop: asyncio.Event,
        readiness: Callable[[], object] | None = None,
        own_groups: Sequence[OwnGroup] = (),
    ) -> None:
        self._service = service
        self._settings = settings
        self._pool = pool
        self._outbox = outbox
        self._runners = runners
        self._own_groups = own_groups
        self._stop = stop
        self._readiness = readiness
        self._last_relay = 0.0
        self._lag = BrokerLag(settings)
        #: Outages of Kafka and PostgreSQL, logged once as they start and end.
        self.outages = Outages()
        #: Whether the last database check succeeded (``/readyz``).
        self.database_ok = pool is None

    async def run(self) -> None:
        """Until stopped: every ``housekeeping_seconds``."""
        kafka = asyncio.create_task(self._watch_kafka())
        try:
            while not self._stop.is_set():
                await self._round()
                await self._pause()
        finally:
            kafka.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await kafka
            await self._lag.close()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=self._settings.housekeeping_seconds)

    async def _round(self) -> None:
        await self._check_database()
        if self._readiness is not None:
            self._readiness()  # keeps crible_ready current without anyone probing
        now = time.monotonic()
        if now - self._last_relay >= self._settings.outbox_relay_seconds:
            self._last_relay = now
            await self.relay()

    def groups(self) -> list[WatchedGroup]:
        """The consumer groups of this process, the runtime's and the service's own."""
        prefix = self._settings.topic_prefix
        return [
            *(WatchedGroup(self._service, r.group_id, r.logical) for r in self._runners),
            *(
                WatchedGroup(
                    self._service,
                    prefix + group.group_id,
                    {wire_name(t.name, prefix): t.name for t in group.topics},
                )
                for group in self._own_groups
            ),
        ]

    async def _watch_kafka(self) -> None:
        """The groups' lag from the broker; a broker that cannot answer is an outage."""
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._lag.update(self.groups()), KAFKA_CHECK_SECONDS)
            except _COORDINATOR_SETTLING as error:
                self.outages.failed("kafka", error, grace=COORDINATOR_GRACE_SECONDS)
            except Exception as error:  # noqa: BLE001 - logged once per outage, retried
                self.outages.failed("kafka", error)
            else:
                self.outages.succeeded("kafka")
            await self._pause()

    async def _check_database(self) -> None:
        if self._pool is None:
            return
        try:
            await asyncio.wait_for(self._pool.fetchval("SELECT 1"), timeout=2)
        except Exception as error:  # noqa: BLE001 - readiness reports it; the lanes retry
            self.database_ok = False
            self.outages.failed("database", error)
        else:
            self.database_ok = True
            self.outages.succeeded("database")

    async def relay(self) -> int:
        """Publish the outbox rows that workers which died before publishing left behind."""
        if self._pool is None or self._outbox is None:
            return 0
        outbox = self._outbox
        try:
            relayed = await outbox_table.relay_orphans(
                self._pool,
                lambda records: outbox.deliver([], records),
                service=self._service,
                topic_prefix=self._settings.topic_prefix,
                older_than_seconds=self._settings.outbox_orphan_seconds,
                worker=outbox.worker,
                held=outbox.held,
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
