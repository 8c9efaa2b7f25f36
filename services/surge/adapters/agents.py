"""The two faust agents around the pure stages, and the flush of windows held back.

``reporters`` keeps the reporters table and repartitions the annotated records by subject
onto ``surge.by_subject``; ``subjects`` keeps the subject windows and category baselines and
publishes ``SurgeSignal`` events on ``surge.signals``. A message that cannot be read goes to
its topic's dead-letter topic, not the agent down (faust would restart it on the same one).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from faust.types import EventT, StreamT

from services.surge import metrics
from services.surge.adapters.stores import on_disk
from services.surge.adapters.sweeps import Sweeps
from services.surge.adapters.tables import Deferred, Dirty, subject_published
from services.surge.adapters.topology import PARTITIONS, Topology
from services.surge.config import SurgeSettings
from services.surge.core.detect import Burst, signal
from services.surge.core.held import HeldBack
from services.surge.core.records import (
    Accepted,
    Annotated,
    packs,
    partition_for,
    subject_of,
    unpack_accepted,
    unpack_annotated,
)
from services.surge.core.reporters import ReporterState
from services.surge.core.stages import annotate, count, flush, since_key
from services.surge.core.watchdog import Watchdog
from services.surge.core.windows import SubjectState
from shared import metrics as shared_metrics
from shared.events.surge import SurgeSignal
from shared.runtime.deadletter import dead_letter
from shared.topics import (
    SURGE_BY_REPORTER,
    SURGE_BY_SUBJECT,
    TopicSpec,
    max_message_bytes,
    wire_name,
)

log = logging.getLogger(__name__)

SERVICE = "surge"
#: Subjects decoded at once when looking a partition on disk through.
LOOK_SLICE = 1_000
#: Records of one partition counted at once. Behind a backlog a message can hold thousands;
#: between slices the subject stage tells the watchdog it is still at work, and lets the
#: loop run (the health checks, the flush).
COUNT_SLICE = 1_000
R = TypeVar("R")


class Agents:
    """The reporter and subject stages as faust agents of ``topology``'s app."""

    def __init__(
        self,
        topology: Topology,
        surge: SurgeSettings,
        *,
        sweeps: Sweeps,
        watchdog: Watchdog,
        dirty: Dirty,
        publishing: asyncio.Lock,
    ) -> None:
        self._topology = topology
        self._surge = surge
        self._policy = surge.policy()
        self._sweeps = sweeps
        self._watchdog = watchdog
        self._dirty = dirty
        #: Held from a subject's change to its signals sent (:attr:`HeldWrites.publishing`).
        self._publishing = publishing
        #: Subjects whose grown windows wait for a flush.
        self._held = HeldBack(quiet=surge.flush_quiet_seconds, at_most=surge.flush_max_seconds)
        app = topology.app
        app.agent(topology.by_reporter, name="surge.reporters")(self._reporters)
        app.agent(topology.by_subject, name="surge.subjects")(self._subjects)

    async def _reporters(self, stream: StreamT[bytes]) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            self._surge.batch_max, within=self._surge.batch_within_seconds
        ):
            await self.annotate(events)

    async def annotate(self, events: Sequence[EventT[bytes]]) -> None:
        """Fold packed messages into the reporters table; repartition them by subject."""
        groups = _by_partition(events)
        topic = _topic_of(events)
        self._watchdog.working_on(topic)
        try:
            out: list[tuple[object, ...]] = []
            for partition, group in groups.items():
                records = await self._unpacked(group, SURGE_BY_REPORTER, unpack_accepted)
                if records:
                    out.extend(self._annotated(partition, records))
            await self._repartition(out)
            self._progress(events)
        finally:
            self._watchdog.working_on(topic)  # what waited behind the batch, from now

    def _annotated(self, partition: int, records: list[Accepted]) -> list[tuple[object, ...]]:
        """One partition's records annotated with what the reporters table knows."""
        store = Deferred(self._topology.reporters, partition, self._dirty)
        key = since_key(partition)
        stored = store.get(key)
        since = min(r.at for r in records)
        if stored is None or since < stored.first_seen:
            store[key] = ReporterState(first_seen=since)
        else:
            since = stored.first_seen
        notes = annotate(records, reporters=store, watched_since=since, policy=self._policy)
        out = [tuple(r) for r in notes]
        metrics.RECORDS.labels("reporters").inc(len(records))
        self._sweeps.reporters(partition, max(r.at for r in records))
        return out

    async def _repartition(self, out: list[tuple[object, ...]]) -> None:
        """Send annotated records to the subject stage, packed, by their subject's partition."""
        by_partition: dict[int, list[tuple[object, ...]]] = {}
        for record in out:
            by_partition.setdefault(partition_for(str(record[2]), PARTITIONS), []).append(record)
        for partition, packed in by_partition.items():
            for value in packs(packed, limit=max_message_bytes(SURGE_BY_SUBJECT.name)):
                await self._topology.by_subject.send(value=value, partition=partition)

    async def _subjects(self, stream: StreamT[bytes]) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            self._surge.batch_max, within=self._surge.batch_within_seconds
        ):
            await self.count(events)

    async def count(self, events: Sequence[EventT[bytes]]) -> None:
        """Count packed messages into their subjects' windows; publish the signals due.

        A partition's progress is noted as soon as its records are counted, and the
        watchdog is told the stage works on its topic at every slice.
        """
        groups = _by_partition(events)
        topic = _topic_of(events)
        try:
            for partition, group in groups.items():
                records = await self._unpacked(group, SURGE_BY_SUBJECT, unpack_annotated)
                for at in range(0, len(records), COUNT_SLICE):
                    self._watchdog.working_on(topic)
                    if at:
                        await asyncio.sleep(0)
                    async with self._publishing:
                        await self._count(partition, records[at : at + COUNT_SLICE])
                self._progress(group)
        finally:
            self._watchdog.working_on(topic)  # what waited behind the batch, from now

    async def _count(self, partition: int, records: list[Annotated]) -> None:
        """Count one partition's records; publish, then hold or flush, what they call for."""
        counted = count(
            records,
            partition=partition,
            subjects=Deferred(self._topology.subjects, partition, self._dirty),
            categories=Deferred(self._topology.categories, partition, self._dirty),
            policy=self._policy,
        )
        await self._publish(counted.due)
        now = time.monotonic()
        for record in counted.held:
            self._held.grew(record.subject.encode(), partition, now)
        if counted.replays:
            metrics.REPLAYS.inc(counted.replays)
        metrics.RECORDS.labels("subjects").inc(len(records))
        for key, state in self._sweeps.subjects(partition, max(r.at for r in records)):
            self._held.forget(key)
            await self._flush_one(key, state)

    async def flush(self) -> None:
        """Publish the last figures of windows whose growth was held back.

        Runs beside the agents. A partition that moved to another process is flushed there:
        the new owner looks through its subjects once it has recovered them.
        """
        held = self._held.due(time.monotonic())
        if not held:
            return
        assigned = self._topology.assigned(SURGE_BY_SUBJECT)
        async with self._publishing:
            for key, (partition, quiet) in held.items():
                store = Deferred(self._topology.subjects, partition, self._dirty)
                state = store.get(key)
                if partition not in assigned or state is None:
                    continue
                if await self._flush_one(key, state, ended_only=not quiet):
                    store[key] = state

    async def _flush_one(
        self, key: bytes, state: SubjectState, *, ended_only: bool = False
    ) -> bool:
        """Publish the last figures of ``state``'s grown windows; whether any was due."""
        if state.parts is None:
            return False
        due = flush(state, policy=self._policy, ended_only=ended_only)
        subject = subject_of(state.parts)
        for burst in due:
            await self._send_signal(key, signal(subject, burst, now=datetime.now(UTC)))
        return bool(due)

    def look_through(self, partitions: set[int]) -> None:
        """Hold for a flush every subject of ``partitions`` that has published windows."""
        store = on_disk(self._topology.subjects)
        for partition in partitions:
            after: bytes | None = None
            while True:  # in slices: every subject decoded at once would fill memory
                entries, after = store.scan_in(
                    partition, after=after, limit=LOOK_SLICE, wanted=subject_published
                )
                for key, state in entries:
                    if state is not None and state.emitted:
                        self._held.flush_soon(key, partition)
                if after is None:
                    break

    async def _unpacked(
        self,
        events: Sequence[EventT[bytes]],
        spec: TopicSpec,
        unpack: Callable[[bytes], list[R]],
    ) -> list[R]:
        """The records of packed messages; one that cannot be read goes to the topic's DLQ."""
        records: list[R] = []
        for event in events:
            try:
                records.extend(unpack(event.message.value or b"[]"))
            except Exception as error:
                log.exception("message dead-lettered", extra={"topic": spec.name})
                await self._dead_letter(event.message, error, spec)
        return records

    async def _publish(self, due: Iterable[tuple[Annotated, Burst]]) -> None:
        for record, burst in due:
            await self._send_signal(
                record.subject.encode(),
                signal(subject_of(record.parts), burst, now=datetime.now(UTC)),
            )

    async def _send_signal(self, key: bytes, surge: SurgeSignal) -> None:
        await self._topology.signals.send(key=key, value=surge.model_dump_json().encode())
        metrics.SIGNALS.labels(surge.kind.value).inc()

    async def _dead_letter(self, message: Any, error: BaseException, spec: TopicSpec) -> None:
        # The copy is sent and acknowledged before the batch's offsets can be committed.
        copy = dead_letter(
            message, error, service=SERVICE, topic=spec.name, limit=max_message_bytes
        )
        await self._topology.app.producer.send_and_wait(
            wire_name(copy.topic, self._topology.prefix),
            copy.key,
            copy.value,
            partition=None,
            timestamp=None,
            headers=list(copy.headers),
        )
        shared_metrics.CONSUMED.labels(SERVICE, spec.name, "dead_lettered").inc()
        shared_metrics.DEAD_LETTERED.labels(SERVICE, spec.name, type(error).__name__).inc()

    def _progress(self, events: Iterable[EventT[bytes]]) -> None:
        for event in events:
            message = event.message
            self._watchdog.processed(message.topic, message.partition, message.offset)


def _topic_of(events: Sequence[EventT[bytes]]) -> str:
    """The topic (as on the wire) of a batch of one agent's events."""
    return events[0].message.topic if events else ""


def _by_partition(events: Sequence[EventT[bytes]]) -> dict[int, list[EventT[bytes]]]:
    groups: dict[int, list[EventT[bytes]]] = {}
    for event in events:
        groups.setdefault(event.message.partition, []).append(event)
    return groups
