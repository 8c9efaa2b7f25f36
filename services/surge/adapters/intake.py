"""The intake: ``reports.accepted`` read in batches, validated, repartitioned by reporter.

It keeps no state, so it needs nothing of faust's, and faust's consumer costs about as much
per message as all the detection does per report: every accepted report went through a few
asyncio tasks (a queue per stream, an acknowledgement each) before a stage saw it. Here a
plain aiokafka consumer takes batches from ``getmany``, as the runtime's lanes do, and
sends one packed message per destination partition of ``surge.by_reporter``; once the
broker has acknowledged them (and any dead letter), it commits the batch's offsets. At
least once: a batch read again is counted once downstream (reporter updates are minima and
maxima, the subject stage ignores a report it has counted).

Its consumer group is ``crible-surge.intake`` (the faust stages keep ``crible-surge``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from services.surge import metrics
from services.surge.config import SurgeSettings
from services.surge.core.intake import place
from shared import metrics as shared_metrics
from shared.config import Settings
from shared.kafka import kafka_client_options
from shared.runtime.deadletter import dead_letter
from shared.topics import REPORTS_ACCEPTED, SURGE_BY_REPORTER, max_message_bytes, wire_name

log = logging.getLogger(__name__)

SERVICE = "surge"
#: The intake's consumer group (before the topic prefix).
INTAKE_GROUP = "crible-surge.intake"
PARTITIONS = REPORTS_ACCEPTED.partitions
#: An intake's progress: (topic as on the wire, partition, offset done).
Progress = Callable[[str, int, int], None]


def make_intake_consumer(settings: Settings, surge: SurgeSettings) -> AIOKafkaConsumer:
    """The intake's group consumer: auto-commit off, surge's session timeout."""
    session_ms = int(surge.session_timeout_seconds * 1000)
    return AIOKafkaConsumer(
        wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix),
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

    def assignment(self) -> set[TopicPartition]:
        """The partitions of ``reports.accepted`` this process reads now."""
        return set(self.consumer.assignment())

    async def run(self, stop: asyncio.Event) -> None:
        """Read, hand on and commit batches until ``stop`` is set."""
        await self.consumer.start()
        try:
            while not stop.is_set():
                batches = await self.consumer.getmany(
                    timeout_ms=int(self.surge.batch_within_seconds * 1000),
                    max_records=self.surge.batch_max,
                )
                if batches:
                    await self.take_in([r for records in batches.values() for r in records])
                    await self._commit(batches)
        finally:
            await self.consumer.stop()

    async def take_in(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Validate a batch of accepted reports, repartition them by reporter, acknowledged."""
        placed = place(
            [record.value for record in records],
            partitions=PARTITIONS,
            limit=max_message_bytes(SURGE_BY_REPORTER.name),
        )
        sent = [await self._dead_letter(records[at], error) for at, error in placed.refused]
        sent.extend([await self._send(value, partition) for partition, value in placed.messages])
        await asyncio.gather(*sent)
        counted = shared_metrics.CONSUMED.labels(SERVICE, REPORTS_ACCEPTED.name, "processed")
        counted.inc(len(records) - len(placed.refused))
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
