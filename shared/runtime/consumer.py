"""One consumer of a service: its group membership, its lanes, its offset commits.

Lanes are several batch loops in one process, each over its own share of the partitions:
while one lane waits for PostgreSQL or Kafka, another decodes and folds its batch. A
partition belongs to one lane at a time, so its records are processed and committed in
order. Partitions are dealt to lanes afresh at every rebalance, so every lane has work
whatever share of the topic the group gives this process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared import metrics
from shared.config import Settings
from shared.errors import StopRequestedError
from shared.kafka import make_consumer
from shared.runtime.batch import AbandonedError, BatchProcessor, Record
from shared.runtime.emit import Emitter
from shared.runtime.retry import RetryPolicy
from shared.runtime.spec import ConsumerSpec
from shared.topics import wire_name

log = logging.getLogger(__name__)

E = TypeVar("E")


def deal(partitions: set[TopicPartition], lanes: int) -> list[list[TopicPartition]]:
    """Deal ``partitions`` to ``lanes`` in turn, so that no lane is idle while another has two."""
    ordered = sorted(partitions, key=lambda tp: (tp.topic, tp.partition))
    return [ordered[lane::lanes] for lane in range(lanes)]


class ConsumerRunner(Generic[E]):
    """Runs one :class:`ConsumerSpec` of a service until the stop event is set."""

    def __init__(
        self,
        *,
        service: str,
        spec: ConsumerSpec[E],
        settings: Settings,
        pool: asyncpg.Pool,
        emitter: Emitter,
        retry: RetryPolicy,
        stop: asyncio.Event,
        executor: Executor | None = None,
        on_assigned: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        prefix = settings.topic_prefix
        self.service = service
        self.logical = {wire_name(t.name, prefix): t.name for t in spec.models}
        self.group_id = prefix + spec.group_id(service)
        self._consumer_name = spec.name
        self._settings = settings
        self._retry = retry
        self._stop = stop
        self._on_assigned = on_assigned
        self._consumer: AIOKafkaConsumer = make_consumer(settings, group_id=self.group_id)
        lanes = settings.consumer_lanes
        self._owned: list[list[TopicPartition]] = [[] for _ in range(lanes)]
        self._busy = [asyncio.Lock() for _ in range(lanes)]
        self._assigned = asyncio.Event()
        self._revoking = False
        #: How many assignments this process received (a rebalance adds one).
        self.assignments = 0
        self._processor = BatchProcessor(
            service=service,
            consumer=spec,
            pool=pool,
            emitter=emitter,
            retry=retry,
            logical=self.logical,
            stop=stop,
            executor=executor,
            max_batch=settings.consumer_max_batch,
        )

    @property
    def ready(self) -> bool:
        """Whether the group gave this process its partitions (possibly none)."""
        return self._assigned.is_set() and not self._revoking

    async def run(self) -> None:
        """Consume until the stop event is set, then finish the batches, commit and close."""
        self._consumer.subscribe(list(self.logical), listener=_Rebalance(self))
        try:
            await self._retry.run("connect", self._consumer.start)
            log.info("consumer started", extra={"group": self.group_id, "lanes": len(self._busy)})
            tasks = [asyncio.create_task(self._lane(i)) for i in range(len(self._busy))]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = [t for t in done if not t.cancelled() and t.exception() is not None]
            if failed:
                self._stop.set()  # let the other lanes finish their batch and commit
                await asyncio.gather(*tasks, return_exceptions=True)
                failed[0].result()
        finally:
            await self._consumer.stop()
            log.info("consumer stopped", extra={"group": self.group_id})

    async def _lane(self, index: int) -> None:
        """One batch loop, over the partitions dealt to it at the last rebalance."""
        try:
            while not self._stop.is_set():
                if not self.ready:
                    await self._retry.pause(self._settings.consumer_poll_timeout_ms / 1000)
                    continue
                async with self._busy[index]:
                    mine = self._owned[index]
                    if self._revoking or not mine:
                        records = []
                    else:
                        records = await self._poll(mine)
                    if records:
                        await self._process(records, mine)
                if not records:
                    await self._idle(mine)
        except StopRequestedError:
            log.info("stopped while retrying; the unfinished batch will be redelivered")

    async def _idle(self, mine: list[TopicPartition]) -> None:
        if not mine:  # nothing dealt to this lane: wait rather than spin
            await self._retry.pause(self._settings.consumer_poll_timeout_ms / 1000)

    async def _process(self, records: list[Record], mine: list[TopicPartition]) -> None:
        try:
            await self._processor.process(
                records,
                commit=self._commit,
                more=lambda: self._poll(mine, timeout_ms=0),
                abandon=lambda: self._revoking,
            )
        except AbandonedError:
            log.info("stalled batch given up for the rebalance; it will be redelivered")

    async def _poll(
        self, partitions: list[TopicPartition], *, timeout_ms: int | None = None
    ) -> list[Record]:
        try:
            batches = await self._consumer.getmany(
                *partitions,
                timeout_ms=self._settings.consumer_poll_timeout_ms
                if timeout_ms is None
                else timeout_ms,
                max_records=self._settings.consumer_max_batch,
            )
        except IllegalStateError:
            return []  # a rebalance took some of these partitions away
        return [record for records in batches.values() for record in records]

    async def _commit(self, records: list[Record]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        try:
            await self._retry.run("commit", lambda: self._consumer.commit(offsets))
        except (CommitFailedError, IllegalStateError) as error:
            # The partitions moved to another worker, which will see these records again;
            # the handlers are idempotent, so that costs time, not correctness.
            log.warning("offset commit refused after rebalance", extra={"error": str(error)})

    def _revoke_started(self) -> None:
        self._revoking = True
        self._assigned.clear()

    async def _wait_for_lanes(self) -> None:
        for lock in self._busy:
            async with lock:
                pass  # every batch commits its own offsets before releasing its lane

    async def _assign(self, partitions: set[TopicPartition]) -> None:
        self._owned = deal(partitions, len(self._busy))
        self.assignments += 1
        metrics.ASSIGNMENTS.labels(self.service, self._consumer_name).inc()
        if self._on_assigned is not None:
            # Before any lane publishes: events a dead peer left in the outbox go out first,
            # so a key's older events are not published after its newer ones.
            try:
                await self._on_assigned()
            except Exception as error:  # noqa: BLE001 - the periodic relay tries again
                log.warning("relay after assignment failed", extra={"error": type(error).__name__})
        self._revoking = False
        self._assigned.set()
        log.info(
            "partitions assigned",
            extra={"partitions": len(partitions), "lanes": [len(o) for o in self._owned]},
        )


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Holds the lanes while partitions move: in-flight batches finish and commit first."""

    def __init__(self, runner: ConsumerRunner[Any]) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Any) -> None:  # noqa: ARG002
        self._runner._revoke_started()
        await self._runner._wait_for_lanes()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._runner._assign(set(assigned))
