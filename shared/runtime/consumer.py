"""One consumer of a service: its group membership, its lanes, its offset commits.

Lanes are several batch loops in one process, each over its own share of the partitions:
while one lane waits for PostgreSQL or Kafka, another decodes and folds its batch. A
partition belongs to one lane at a time, so its records are processed and committed in
order. Lanes follow the backlog: one lane takes every partition while the consumer keeps
up (bigger batches, less CPU per record), all of them while a backlog lasts (a batch comes
back full, or a batch's worth waits); the partitions are dealt afresh then, and at every
rebalance, so every active lane has work whatever share of the topic the group gives.

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


def deal(
    partitions: set[TopicPartition], lanes: int, *, active: int | None = None
) -> list[list[TopicPartition]]:
    """Deal ``partitions`` in turn to the first ``active`` of ``lanes`` (all by default).

    No active lane is idle while another has two; the others get none.
    """
    active = lanes if active is None else active
    ordered = sorted(partitions, key=lambda tp: (tp.topic, tp.partition))
    return [ordered[lane::active] if lane < active else [] for lane in range(lanes)]


def lanes_for(active: int, *, most: int, batch: int, waiting: int, max_batch: int) -> int:
    """How many lanes to run after a poll brought ``batch`` records with ``waiting`` more.

    All of them once a batch comes back full or a batch's worth waits (a backlog); one once
    less than an eighth of a batch waits (keeping up). Between the two, no change: a
    consumer does not deal its partitions anew at every wobble.
    """
    full = batch >= max_batch
    if full or waiting >= max_batch:
        return most
    if waiting < max(1, max_batch // 8):
        return 1
    return active


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
        #: Held by a lane from its poll to the end of its batch: a new deal waits for them.
        self._turns = [asyncio.Lock() for _ in range(lanes)]
        #: Lanes holding partitions now (the others wait): see :func:`lanes_for`.
        self._active = 1
        self._partitions: set[TopicPartition] = set()
        #: The next offset of each partition no lane was handed yet (for the backlog).
        self._handed: dict[TopicPartition, int] = {}
        self._redeal: asyncio.Future[Any] | None = None
        self._redealing = False
        #: Set when a lane ends its turn or its batch stalls (a deal waiting looks again).
        self._turn_ended = asyncio.Event()
        #: Lanes whose batch is stalled (an outage or a bug): no deal waits for them.
        self._stalled: set[int] = set()
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
        metrics.ACTIVE_LANES.labels(service, spec.name).set(self._active)
        for direction in ("grow", "shrink"):
            metrics.LANE_CHANGES.labels(service, spec.name, direction)  # counted from 0
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
            # Polls waiting for an assignment that will never come, a deal waiting for lanes.
            for waiting in [self._keeper, self._stopping, self._redeal, *self._abandoned]:
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
                if not self.ready or not mine or self._redealing:  # the keeper polls meanwhile
                    await self._retry.pause(self._settings.consumer_poll_timeout_ms / 1000)
                    continue
                async with self._turns[index]:  # no await since the check: a deal waits
                    records = await self._poll(mine)
                    if records:
                        await self._take(index, records, mine)
                self._turn_ended.set()
                self._follow_backlog(len(records))
        except StopRequestedError:
            log.info("stopped while retrying; the unfinished batch will be redelivered")

    async def _take(self, index: int, records: list[Record], mine: list[TopicPartition]) -> None:
        """Process a lane's batch under its lock, unless its partitions moved meanwhile."""
        async with self._busy[index]:
            if self._owned[index] is not mine or self._revoking:
                self._give_back(records)  # moved while the lane waited for its lock
                return
            await self._process(records, mine, index)

    def _follow_backlog(self, batch: int) -> None:
        """After a lane's turn: more lanes or fewer, if the backlog says so."""
        if self._stalled or not self.ready:
            return
        if self._redeal is not None and not self._redeal.done():
            return
        lanes = lanes_for(
            self._active,
            most=len(self._busy),
            batch=batch,
            waiting=self._waiting(),
            max_batch=self._settings.consumer_max_batch,
        )
        if lanes != self._active:
            self._redealing = True  # from now on no lane starts a turn
            self._redeal = asyncio.ensure_future(self._deal_anew(lanes))

    def _waiting(self) -> int:
        """Records of this process's partitions on the broker that no lane was handed yet."""
        assigned = self._consumer.assignment()
        total = 0
        for tp, handed in self._handed.items():
            high = self._consumer.highwater(tp) if tp in assigned else None
            if high is not None:
                total += max(0, high - handed)
        return total

    async def _deal_anew(self, lanes: int) -> None:
        """Deal the partitions to ``lanes`` lanes once every lane has ended its turn.

        No lane holds records then (fetched or in a batch), so no partition's records are
        in two lanes at once and none is given back behind a newer one; a rebalance
        meanwhile deals afresh and is dealt again here. A stalled batch may last: the
        lanes then go on as they are.
        """
        try:
            while any(turn.locked() for turn in self._turns):
                if self._stalled:
                    return
                self._turn_ended.clear()
                await self._turn_ended.wait()
            if self._revoking or not self._assigned.is_set():
                return  # the next assignment deals with the new count
            direction = "grow" if lanes > self._active else "shrink"
            self._active = lanes
            self._owned = deal(self._partitions, len(self._busy), active=lanes)
            metrics.ACTIVE_LANES.labels(self.service, self._consumer_name).set(lanes)
            metrics.LANE_CHANGES.labels(self.service, self._consumer_name, direction).inc()
            log.info(
                "lanes follow the backlog",
                extra={"group": self.group_id, "lanes": [len(o) for o in self._owned]},
            )
        finally:
            self._redealing = False

    async def _process(self, records: list[Record], mine: list[TopicPartition], index: int) -> None:
        try:
            await self._processor.process(
                records,
                settle=self._settle_later,
                more=lambda: self._more(mine),
                abandon=lambda: self._stalling(index),
            )
        except AbandonedError:
            log.info("stalled batch given up for the rebalance; it will be redelivered")
        finally:
            self._stalled.discard(index)

    def _stalling(self, index: int) -> bool:
        """A lane's batch stalled (and backed off): whether to give it up for a rebalance."""
        self._stalled.add(index)
        self._turn_ended.set()  # a deal waiting for this lane gives up
        return self._revoking

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
        self._note_handed(records)
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
        records = [record for records in batches.values() for record in records]
        self._note_handed(records)
        return records

    def _note_handed(self, records: list[Record]) -> None:
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            self._handed[tp] = max(self._handed.get(tp, 0), record.offset + 1)

    def _give_back(self, records: list[Record]) -> None:
        """Rewind to the first of ``records`` where still assigned: they will come again."""
        first: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            first[tp] = min(first.get(tp, record.offset), record.offset)
        for tp, offset in first.items():
            with contextlib.suppress(IllegalStateError):
                self._consumer.seek(tp, offset)
                self._handed[tp] = offset

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
            try:
                await self._outbox.forget(rows)
            except Exception:
                # Kept for the next settle: offsets never go past rows still to forget.
                self._unsettled_rows[:0] = rows
                for tp, offset in offsets.items():
                    self._unsettled[tp] = max(self._unsettled.get(tp, 0), offset)
                raise
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
                try:
                    await self._settle()
                except StopRequestedError:
                    return
                except Exception as error:  # noqa: BLE001 - kept, and settled at the next tick
                    log.warning(
                        "settling failed; will retry", extra={"error": type(error).__name__}
                    )
                    self._acknowledged.set()

    def _revoke_started(self) -> None:
        self._revoking = True
        self._assigned.clear()

    async def _wait_for_lanes(self) -> None:
        for lock in self._busy:
            async with lock:
                pass  # the batch in flight is acknowledged before its lane is released
        await self._settle()  # its offsets are committed before its partitions move

    async def _assign(self, partitions: set[TopicPartition]) -> None:
        self._partitions = partitions
        self._handed = {}
        self._owned = deal(partitions, len(self._busy), active=self._active)
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
