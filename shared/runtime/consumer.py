"""One consumer of a service: its group membership, its lanes, its offset commits.

Lanes are several batch loops in one process, each over its own share of the partitions:
while one lane waits for PostgreSQL or Kafka, another decodes and folds its batch. A
partition belongs to one lane at a time, so its records are processed and committed in
order. Partitions are dealt to lanes afresh at every rebalance, so every lane has work
whatever share of the topic the group gives this process.

While the process has no partitions (starting, rebalancing, or after it lost its group:
frozen past the session timeout, or a batch held past ``max.poll.interval.ms``), a task of
its own keeps polling: aiokafka rejoins a group only for a consumer that polls, and the
lanes, waiting for partitions, do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared import metrics
from shared.config import Settings
from shared.kafka import make_consumer
from shared.runtime.batch import AbandonedError, BatchProcessor, Record
from shared.runtime.errors import StopRequestedError
from shared.runtime.outbox import Outbox
from shared.runtime.retry import RetryPolicy
from shared.runtime.spec import ConsumerSpec
from shared.topics import wire_name

log = logging.getLogger(__name__)

E = TypeVar("E")
#: A partition no consumer has: polling it fetches nothing, but counts as polling.
_NOWHERE = TopicPartition("", -1)


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
        spec: ConsumerSpec[E, Any, Any],
        settings: Settings,
        pool: asyncpg.Pool,
        outbox: Outbox,
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
        self._outbox = outbox
        self._stop = stop
        self._on_assigned = on_assigned
        self._consumer: AIOKafkaConsumer = make_consumer(settings, group_id=self.group_id)
        lanes = settings.consumer_lanes
        self._owned: list[list[TopicPartition]] = [[] for _ in range(lanes)]
        self._busy = [asyncio.Lock() for _ in range(lanes)]
        self._assigned = asyncio.Event()
        self._revoking = False
        self._keeper: asyncio.Future[Any] | None = None
        #: Acknowledged batches' outbox rows and next offsets, not settled yet.
        self._unsettled_rows: list[int] = []
        self._unsettled: dict[TopicPartition, int] = {}
        self._settling = asyncio.Lock()
        self._acknowledged = asyncio.Event()
        self._stopping: asyncio.Future[Any] | None = None
        #: Polls left waiting when the stop came (cancelled once the consumer has stopped).
        self._abandoned: set[asyncio.Future[Any]] = set()
        #: How many assignments this process received (a rebalance adds one).
        self.assignments = 0
        self._processor = BatchProcessor(
            service=service,
            consumer=spec,
            pool=pool,
            outbox=outbox,
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
            if not await self._connected():
                return
            log.info("consumer started", extra={"group": self.group_id, "lanes": len(self._busy)})
            tasks = [asyncio.create_task(self._lane(i)) for i in range(len(self._busy))]
            helpers = [
                asyncio.create_task(self._keep_polling()),
                asyncio.create_task(self._settle_every()),
            ]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = [t for t in done if not t.cancelled() and t.exception() is not None]
            if failed:
                self._stop.set()  # let the other lanes finish their batch and commit
                await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*helpers, return_exceptions=True)
            with contextlib.suppress(StopRequestedError):
                await self._settle()  # what the lanes acknowledged last
            if failed:
                failed[0].result()
        finally:
            await self._consumer.stop()
            # Polls waiting for an assignment that will never come.
            for waiting in [self._keeper, self._stopping, *self._abandoned]:
                if waiting is not None and not waiting.done():
                    waiting.cancel()
            log.info("consumer stopped", extra={"group": self.group_id})

    async def _connected(self) -> bool:
        """Start the consumer, or give up when the process is asked to stop first.

        aiokafka's start waits for the metadata of every subscribed topic: a missing one
        would hold the stop for as long as it waits.
        """
        start = asyncio.ensure_future(self._retry.run("connect", self._consumer.start))
        stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({start, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if start.done():
            start.result()
            return True
        start.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await start
        return False

    async def _keep_polling(self) -> None:
        """While this process has no partitions, poll anyway, so that it rejoins its group.

        aiokafka will not rejoin for a consumer that has not polled for
        ``max.poll.interval.ms`` (it waits for the application to come back), and the lanes
        wait for partitions: each would wait for the other. This poll asks for a partition
        nobody has, so it fetches nothing; during a rebalance it waits for the assignment.
        """
        seconds = self._settings.consumer_poll_timeout_ms / 1000
        while not self._stop.is_set():
            if self.ready:
                await self._retry.pause(seconds)
                continue
            if self._keeper is None or self._keeper.done():
                if self._keeper is not None and not self._keeper.cancelled():
                    self._keeper.exception()  # IllegalStateError, a stopped consumer: polled
                self._keeper = asyncio.ensure_future(
                    self._consumer.getmany(_NOWHERE, timeout_ms=int(seconds * 1000))
                )
            await asyncio.wait({self._keeper}, timeout=seconds)

    async def _lane(self, index: int) -> None:
        """One batch loop, over the partitions dealt to it at the last rebalance.

        It polls outside its lock and holds the lock only to process a batch: a revoke
        waits for batches in flight, never for a poll (aiokafka's poll waits for the next
        assignment when a rebalance begins during it).
        """
        try:
            while not self._stop.is_set():
                mine = self._owned[index]
                if not self.ready or not mine:  # the keeper polls meanwhile
                    await self._retry.pause(self._settings.consumer_poll_timeout_ms / 1000)
                    continue
                records = await self._poll(mine)
                if not records:
                    continue
                async with self._busy[index]:
                    if self._owned[index] is not mine or self._revoking:
                        self._give_back(records)  # moved while the lane waited for its lock
                        continue
                    await self._process(records, mine)
        except StopRequestedError:
            log.info("stopped while retrying; the unfinished batch will be redelivered")

    async def _process(self, records: list[Record], mine: list[TopicPartition]) -> None:
        try:
            await self._processor.process(
                records,
                settle=self._settle_later,
                more=lambda: self._more(mine),
                abandon=lambda: self._revoking,
            )
        except AbandonedError:
            log.info("stalled batch given up for the rebalance; it will be redelivered")

    async def _poll(self, partitions: list[TopicPartition]) -> list[Record]:
        """The next records of ``partitions``, or none if the stop came or they moved."""
        if self._revoking:
            return []
        generation = self.assignments
        fetch = asyncio.ensure_future(
            self._consumer.getmany(
                *partitions,
                timeout_ms=self._settings.consumer_poll_timeout_ms,
                max_records=self._settings.consumer_max_batch,
            )
        )
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({fetch, self._stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not fetch.done():
            # Stopping while the poll waits for an assignment: it is cancelled once the
            # consumer has stopped.
            self._abandoned.add(fetch)
            return []
        try:
            batches = fetch.result()
        except IllegalStateError:
            return []  # a rebalance took some of these partitions away
        records = [record for records in batches.values() for record in records]
        if records and (self._revoking or self.assignments != generation):
            # Fetched across a rebalance: these partitions may be another lane's now.
            self._give_back(records)
            return []
        return records

    async def _more(self, partitions: list[TopicPartition]) -> list[Record]:
        """Newer records already fetched, for a stalled batch; never waits (its lock is held)."""
        if self._revoking:
            return []  # a poll now would wait for the next assignment, and the revoke for us
        try:
            batches = await self._consumer.getmany(
                *partitions, timeout_ms=0, max_records=self._settings.consumer_max_batch
            )
        except IllegalStateError:
            return []
        return [record for records in batches.values() for record in records]

    def _give_back(self, records: list[Record]) -> None:
        """Rewind to the first of ``records`` where still assigned: they will come again."""
        first: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            first[tp] = min(first.get(tp, record.offset), record.offset)
        for tp, offset in first.items():
            with contextlib.suppress(IllegalStateError):
                self._consumer.seek(tp, offset)

    def _settle_later(self, rows: list[int], records: list[Record]) -> None:
        """A batch's events are acknowledged: its outbox rows and offsets wait to be settled."""
        self._unsettled_rows.extend(rows)
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            self._unsettled[tp] = max(self._unsettled.get(tp, 0), record.offset + 1)
        self._acknowledged.set()

    async def _settle(self) -> None:
        """Forget the acknowledged batches' outbox rows, then commit their offsets."""
        async with self._settling:
            rows, self._unsettled_rows = self._unsettled_rows, []
            offsets, self._unsettled = self._unsettled, {}
            await self._outbox.forget(rows)
            if not offsets:
                return
            try:
                await self._retry.run("commit", lambda: self._consumer.commit(offsets))
            except (CommitFailedError, IllegalStateError) as error:
                # The partitions moved to another worker, which will see these records
                # again; the handlers are idempotent, so that costs time, not correctness.
                log.warning("offset commit refused after rebalance", extra={"error": str(error)})

    async def _settle_every(self) -> None:
        """Settle what the lanes acknowledged, every ``consumer_commit_interval_ms``."""
        every = self._settings.consumer_commit_interval_ms / 1000
        while not self._stop.is_set():
            # Asleep while there is nothing to settle: an idle consumer costs no wake-ups.
            await _either(self._acknowledged, self._stop)
            await self._retry.pause(every)  # what the next batches add is settled together
            self._acknowledged.clear()
            if self._unsettled or self._unsettled_rows:
                await self._settle()

    def _revoke_started(self) -> None:
        self._revoking = True
        self._assigned.clear()

    async def _wait_for_lanes(self) -> None:
        for lock in self._busy:
            async with lock:
                pass  # the batch in flight is acknowledged before its lane is released
        await self._settle()  # its offsets are committed before its partitions move

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


async def _either(first: asyncio.Event, second: asyncio.Event) -> None:
    """Wait until one of two events is set."""
    waits = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Holds the lanes while partitions move: in-flight batches finish and commit first."""

    def __init__(self, runner: ConsumerRunner[Any]) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Any) -> None:  # noqa: ARG002
        self._runner._revoke_started()
        await self._runner._wait_for_lanes()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._runner._assign(set(assigned))
