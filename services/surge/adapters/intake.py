"""The intake: ``reports.accepted`` read in batches, validated, repartitioned by reporter.

It keeps no state, so it needs nothing of faust's, and faust's consumer costs about as much
per message as all the detection does per report: every accepted report went through a few
asyncio tasks (a queue per stream, an acknowledgement each) before a stage saw it. Here a
plain aiokafka consumer takes batches from ``getmany``, as the runtime's lanes do, and
sends one packed message per destination partition of ``surge.by_reporter``; once the
broker has acknowledged them (and any dead letter), it commits the batch's offsets. At
least once: a batch read again is counted once downstream (reporter updates are minima and
maxima, the subject stage ignores a report it has counted).

Reading, placing and packing a batch (:func:`services.surge.core.intake.place`) runs in a
worker process of its own, on another core than the faust stages: a quarter to a third of
the process's samples in the last profiles. This loop only moves bytes: the batch's values
to the worker, its packed messages and dead letters to the broker. The worker places the
next batch while this loop waits for the broker to acknowledge the one before (and
commits it): one after the other, the worker sat idle for each acknowledgement and for
every stretch the faust stages held the event loop. Batches are still handed on and
committed in order, and a rebalance waits for the batch in hand to be committed.

Its consumer group is ``crible-surge.intake`` (the faust stages keep ``crible-surge``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from services.surge import metrics
from services.surge.config import SurgeSettings
from services.surge.core.intake import Placed, place
from shared import metrics as shared_metrics
from shared.config import Settings
from shared.kafka import kafka_client_options
from shared.runtime.deadletter import dead_letter
from shared.runtime.parent import exit_with_parent
from shared.topics import REPORTS_ACCEPTED, SURGE_BY_REPORTER, max_message_bytes, wire_name

log = logging.getLogger(__name__)

SERVICE = "surge"
#: The intake's consumer group (before the topic prefix).
INTAKE_GROUP = "crible-surge.intake"
PARTITIONS = REPORTS_ACCEPTED.partitions
#: An intake's progress: (topic as on the wire, partition, offset done).
Progress = Callable[[str, int, int], None]


def make_intake_consumer(settings: Settings, surge: SurgeSettings) -> AIOKafkaConsumer:
    """The intake's group consumer: auto-commit off, surge's session timeout.

    Not subscribed yet: :class:`Intake` subscribes it with its rebalance listener.
    """
    session_ms = int(surge.session_timeout_seconds * 1000)
    return AIOKafkaConsumer(
        **kafka_client_options(settings),
        group_id=settings.topic_prefix + INTAKE_GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
        session_timeout_ms=session_ms,
        heartbeat_interval_ms=min(3000, session_ms // 3),
    )


class Intake:
    """Reads accepted reports in batches and hands them to the reporter stage."""

    def __init__(
        self,
        settings: Settings,
        surge: SurgeSettings,
        *,
        producer: AIOKafkaProducer,
        progress: Progress,
    ) -> None:
        self.settings = settings
        self.surge = surge
        self.consumer = make_intake_consumer(settings, surge)
        self._producer = producer
        self._progress = progress
        self._target = wire_name(SURGE_BY_REPORTER.name, settings.topic_prefix)
        #: Where batches are read and placed: a process of their own, or (None) this loop.
        self._worker: Executor | None = None
        #: The batch being handed on and committed while the next one is placed.
        self._handing: asyncio.Task[None] | None = None
        self.consumer.subscribe(
            [wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix)],
            listener=_FinishBeforeRevoking(self),
        )

    def assignment(self) -> set[TopicPartition]:
        """The partitions of ``reports.accepted`` this process reads now."""
        return set(self.consumer.assignment())

    async def run(self, stop: asyncio.Event) -> None:
        """Read, hand on and commit batches until ``stop`` is set."""
        if self.surge.intake_worker:
            self._worker = await _start_worker()
        await self.consumer.start()
        try:
            while not stop.is_set():
                if self._handing is not None and self._handing.done():
                    await self.finish_handing()  # a failure shows now, not at the next batch
                batches = await self.consumer.getmany(
                    timeout_ms=int(self.surge.batch_within_seconds * 1000),
                    max_records=self.surge.batch_max,
                )
                if batches:
                    records = [r for records in batches.values() for r in records]
                    placed = self._place(records)  # the worker starts on it now
                    await self.finish_handing()
                    self._handing = asyncio.create_task(self._hand_on(batches, records, placed))
            await self.finish_handing()
        finally:
            if self._handing is not None:
                self._handing.cancel()
            await self.consumer.stop()
            if self._worker is not None:
                self._worker.shutdown(wait=False, cancel_futures=True)

    async def finish_handing(self) -> None:
        """Wait for the batch in hand: its messages acknowledged, its offsets committed.

        The loop and a rebalance can both wait for it: each sees it done.
        """
        handing = self._handing
        if handing is None:
            return
        try:
            await handing
        finally:
            if handing.done() and self._handing is handing:
                self._handing = None  # (left when this wait is cancelled: stopping cancels it)

    async def _hand_on(
        self,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        records: Sequence[ConsumerRecord[bytes, bytes]],
        placed: asyncio.Future[Placed],
    ) -> None:
        await self.take_in(records, placed)
        await self._commit(batches)

    def _place(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> asyncio.Future[Placed]:
        """Read and place ``records`` in the worker (or here, when there is none)."""
        work = functools.partial(
            place,
            [record.value for record in records],
            partitions=PARTITIONS,
            limit=max_message_bytes(SURGE_BY_REPORTER.name),
        )
        loop = asyncio.get_running_loop()
        if self._worker is not None:
            return loop.run_in_executor(self._worker, work)
        done: asyncio.Future[Placed] = loop.create_future()
        done.set_result(work())
        return done

    async def take_in(
        self,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        placed: asyncio.Future[Placed] | None = None,
    ) -> None:
        """Validate a batch of accepted reports, repartition them by reporter, acknowledged.

        ``placed``: the batch already given to the worker (:meth:`_place`), if it was.
        """
        batch = await (self._place(records) if placed is None else placed)
        sent = [await self._dead_letter(records[at], error) for at, error in batch.refused]
        sent.extend([await self._send(value, partition) for partition, value in batch.messages])
        await asyncio.gather(*sent)
        counted = shared_metrics.CONSUMED.labels(SERVICE, REPORTS_ACCEPTED.name, "processed")
        counted.inc(len(records) - len(batch.refused))
        metrics.RECORDS.labels("intake").inc(len(records))

    async def _send(self, value: bytes, partition: int) -> asyncio.Future[object]:
        future: asyncio.Future[object] = await self._producer.send(
            self._target, value, partition=partition
        )
        return future

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException
    ) -> asyncio.Future[object]:
        log.warning(
            "message dead-lettered",
            extra={"topic": REPORTS_ACCEPTED.name, "error": type(error).__name__},
        )
        copy = dead_letter(
            record, error, service=SERVICE, topic=REPORTS_ACCEPTED.name, limit=max_message_bytes
        )
        shared_metrics.CONSUMED.labels(SERVICE, REPORTS_ACCEPTED.name, "dead_lettered").inc()
        shared_metrics.DEAD_LETTERED.labels(
            SERVICE, REPORTS_ACCEPTED.name, type(error).__name__
        ).inc()
        future: asyncio.Future[object] = await self._producer.send(
            wire_name(copy.topic, self.settings.topic_prefix),
            copy.value,
            key=copy.key,
            headers=list(copy.headers),
        )
        return future

    async def _commit(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items() if records}
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as error:
            # A rebalance took these partitions: their new owner reads the batch again.
            log.info("intake commit refused", extra={"reason": type(error).__name__})
            return
        except KafkaError as error:
            # Committed with the next batch (offsets only grow), or read again elsewhere.
            log.warning("intake commit failed", extra={"reason": type(error).__name__})
            return
        for tp, done in offsets.items():
            self._progress(tp.topic, tp.partition, done - 1)


class _FinishBeforeRevoking(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions are about to move: the batch in hand is committed first."""

    def __init__(self, intake: Intake) -> None:
        self._intake = intake

    async def on_partitions_revoked(self, revoked: object) -> None:
        """Commit the batch in hand while the partitions are still this process's."""
        del revoked
        try:
            await self._intake.finish_handing()
        except Exception:  # its records are read again by the partitions' next owner
            log.warning("the intake's batch in hand failed before a rebalance", exc_info=True)

    async def on_partitions_assigned(self, assigned: object) -> None:
        """Nothing to do: reading goes on from the committed offsets."""
        del assigned


async def _start_worker() -> Executor:
    """The intake's worker process, started (its imports done) before the first batch.

    Reading and placing a batch is most of the intake's work and all in Python: in a process
    of its own it runs on another core than the faust stages. Spawned, never forked from a
    process with an event loop and threads; it ends with this process.
    """
    worker = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )
    empty = functools.partial(place, [], partitions=PARTITIONS, limit=0)
    await asyncio.get_running_loop().run_in_executor(worker, empty)
    return worker


def _worker_start(parent: int) -> None:
    """The worker ends with its parent, which stops it (Ctrl-C reaches the whole group)."""
    exit_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
