"""Whether the faust app is ready and alive: ``/readyz`` and the watchdog's verdict.

A partition faust never resumed has no fetched high-water mark, and an agent that hangs can
hold up faust's consumer thread with it: that is the stall to catch, so the broker's end
offsets and the groups' committed offsets are read by a client of the watchdog's own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from faust.exceptions import ConsumerNotStarted
from faust.tables.recovery import Recovery
from faust.types import TP

from services.surge import metrics
from services.surge.adapters.intake import INTAKE_GROUP, Intake
from services.surge.adapters.topology import GROUP, Topology
from services.surge.adapters.transport import Consumer
from services.surge.core.watchdog import Partition, Watchdog
from shared.config import Settings
from shared.kafka import make_admin
from shared.topics import REPORTS_ACCEPTED, SURGE_BY_SUBJECT, wire_name

log = logging.getLogger(__name__)

#: How often a recovery that lasts is reported, with what it still waits for.
RECOVERY_REPORT_SECONDS = 20.0


class AgentStalledError(RuntimeError):
    """An agent stopped consuming while its partitions had lag."""


class Health:
    """Readiness for the probe, and a periodic check that raises on a stall or a crash."""

    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        *,
        intake: Intake,
        watchdog: Watchdog,
        stall_seconds: float,
        on_owned: Callable[[set[int]], None],
        update_sizes: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._topology = topology
        self._intake = intake
        self._watchdog = watchdog
        self._stall_seconds = stall_seconds
        self._on_owned = on_owned
        self._update_sizes = update_sizes
        #: The partitions of the subject stage this process has recovered and looked through.
        self._owned: set[int] = set()
        #: Whether the process is stopping (readiness answers so at once).
        self.stopping = False
        #: Since when the tables have been recovering, and when that was last reported.
        self._recovering_since: float | None = None
        self._reported_at = 0.0

    @property
    def _recovery(self) -> Recovery:
        # The table manager's recovery service (the TableManagerT protocol omits it).
        recovery: Recovery = self._topology.app.tables.recovery  # type: ignore[attr-defined]
        return recovery

    def readiness(self) -> list[str]:
        """Failing checks for ``/readyz``: started, partitions assigned, tables recovered.

        Never raises: faust's consumer refuses questions before it starts and after it
        stops, and a probe must be answered (503 with a reason) all the same.
        """
        app = self._topology.app
        if self.stopping or app.should_stop:
            return ["stopping"]
        if not app.started:
            return ["starting"]
        try:
            assigned = app.consumer.assignment()
        except ConsumerNotStarted:
            return ["starting"]
        failing = []
        if not assigned:
            failing.append("partitions")
        if not self._recovery.completed.is_set():
            failing.append("tables")
        return failing

    async def check(self, offsets: AIOKafkaConsumer, intake_task: asyncio.Task[None]) -> None:
        """The watchdog's verdict; raise :class:`AgentStalledError` on a crash or a stall.

        ``offsets`` is the watchdog's own client (outside faust and any group).
        """
        self._raise_if_ended(intake_task)
        watched = self._watched()
        if not self._recovery.completed.is_set():
            # Agents wait for the tables: the clock starts once they can run.
            self._watchdog.forget(set())
            await self._report_recovery()
            return
        self._recovering_since = None
        self._watchdog.forget(set(watched))
        self._note_owned()
        highwaters = await self._highwaters(offsets, watched)
        # (The group's lag gauge is the runtime's, from the broker: Service.own_groups.)
        self._update_sizes()
        await self._read_again(highwaters)
        self._raise_if_stalled(highwaters)

    async def _read_again(self, highwaters: dict[Partition, int]) -> None:
        """Partitions of faust's topics whose lag stopped moving: read from where they are."""
        consumer = self._topology.app.consumer
        for (topic, partition), offset in self._watchdog.to_read_again(highwaters).items():
            tp = TP(topic, partition)
            if not isinstance(consumer, Consumer) or tp not in consumer.assignment():
                continue  # the intake's (a plain consumer of its own) or moved away
            state = self._consumer_state(tp)
            await consumer.read_again(tp, offset)
            metrics.READ_AGAIN.labels(self._topology.logical[topic]).inc()
            log.warning(
                "partition stopped with lag; reading it again from the next offset to process",
                extra={
                    "topic": self._topology.logical[topic],
                    "partition": partition,
                    "offset": offset,
                    "highwater": highwaters.get((topic, partition)),
                    "consumer": state,
                },
            )

    async def _report_recovery(self) -> None:
        """Every ``RECOVERY_REPORT_SECONDS`` of a recovery, what it still waits for.

        faust says only that no event came; an operator needs to know how far each
        changelog partition is read (the consumer's position) against what recovery counted.
        """
        now = time.monotonic()
        if self._recovering_since is None:
            self._recovering_since = self._reported_at = now
            return
        if now - self._reported_at < RECOVERY_REPORT_SECONDS:
            return
        self._reported_at = now
        consumer = self._topology.app.consumer
        waiting = []
        for tp, stats in self._recovery.active_stats().items():
            try:
                # aiokafka may wait for a position it has to look up: bounded.
                position = await asyncio.wait_for(consumer.position(tp), timeout=2)
            except Exception:  # noqa: BLE001 - a diagnosis; the partition may have moved
                position = None
            paused = tp in getattr(consumer, "_paused_partitions", ())  # faust has no getter
            waiting.append(
                f"{tp.topic}[{tp.partition}] recovered to {stats.offset} of {stats.highwater}, "
                f"position {position}, {'paused' if paused else 'fetching'}"
            )
        log.warning(
            "tables still recovering",
            extra={"seconds": round(now - self._recovering_since), "waiting_for": waiting},
        )

    def _raise_if_ended(self, intake_task: asyncio.Task[None]) -> None:
        crash = self._topology.app.crash_reason
        if crash is not None:
            raise AgentStalledError(f"the faust app crashed: {type(crash).__name__}")
        if intake_task.done():
            raise AgentStalledError(f"the intake ended: {intake_task.exception()!r}")

    def _watched(self) -> dict[Partition, Any]:
        """The partitions of the stages' topics this process holds, faust's and the intake's."""
        assigned = (*self._topology.app.consumer.assignment(), *self._intake.assignment())
        logical = self._topology.logical
        return {(tp.topic, tp.partition): tp for tp in assigned if tp.topic in logical}

    def revoked(self) -> None:
        """Partitions are moving: every one held after the rebalance is looked through again.

        A partition can leave and come back to this process between two checks; its held
        windows may have been dropped by a flush meanwhile (it was not assigned then), and
        only a look through finds them again.
        """
        self._owned = set()

    def _note_owned(self) -> None:
        """Hand the subject partitions newly recovered here to ``on_owned``."""
        owned = self._topology.assigned(SURGE_BY_SUBJECT)
        if owned - self._owned:
            self._on_owned(owned - self._owned)
        self._owned = owned

    async def _highwaters(
        self, offsets: AIOKafkaConsumer, watched: dict[Partition, Any]
    ) -> dict[Partition, int]:
        """The broker's end offsets; the watchdog started on partitions new to it."""
        by_tp = {TopicPartition(tp.topic, tp.partition): tp for tp in watched.values()}
        read = await asyncio.wait_for(offsets.end_offsets(list(by_tp)), timeout=10)
        ends = {by_tp[tp]: offset for tp, offset in read.items()}
        unknown = [tp for key, tp in watched.items() if not self._watchdog.known(key)]
        if unknown:
            for tp, offset in (await self._committed(offsets, unknown)).items():
                self._watchdog.start((tp.topic, tp.partition), offset)
        return {key: ends[tp] for key, tp in watched.items() if ends.get(tp) is not None}

    def _raise_if_stalled(self, highwaters: dict[Partition, int]) -> None:
        stalled = self._watchdog.stalled(highwaters)
        if not stalled:
            return
        for topic, partition in stalled:
            metrics.STALLS.labels(self._topology.logical[topic]).inc()
            log.critical(
                "agent stopped consuming with lag; exiting for a restart",
                extra={
                    "topic": self._topology.logical[topic],
                    "partition": partition,
                    "highwater": highwaters.get((topic, partition)),
                    "consumer": self._consumer_state(TP(topic, partition)),
                },
            )
        raise AgentStalledError(f"no progress for {self._stall_seconds} s with lag")

    def _consumer_state(self, tp: TP) -> dict[str, object]:
        """What faust's consumer knows of ``tp``: the diagnosis of a stall, for the log."""
        consumer = self._topology.app.consumer
        known = {
            "assigned": tp in consumer.assignment(),
            "paused": tp in getattr(consumer, "_paused_partitions", ()),
            "read_offset": getattr(consumer, "_read_offset", {}).get(tp),
            "committed": getattr(consumer, "_committed_offset", {}).get(tp),
            "acked": len(getattr(consumer, "_acked", {}).get(tp, ())),
            "flow_active": getattr(consumer, "flow_active", None),
        }
        known.update(getattr(consumer, "seek_state", lambda _tp: {})(tp))
        return known

    async def _committed(self, offsets: AIOKafkaConsumer, partitions: list[Any]) -> dict[Any, int]:
        """Where the groups stand on newly assigned partitions.

        Their committed offsets (the log start where they have none), not the fetch
        position: faust fetches ahead of its agents, and a partition fetched but never
        processed is exactly a stall.
        """
        wanted = [TopicPartition(tp.topic, tp.partition) for tp in partitions]
        committed = await self._group_offsets(wanted)
        earliest = await offsets.beginning_offsets(wanted)
        out = {}
        for tp in partitions:
            key = TopicPartition(tp.topic, tp.partition)
            at = committed.get(key)
            out[tp] = at if at is not None and at >= 0 else earliest.get(key, 0)
        return out

    async def _group_offsets(self, wanted: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The offsets the intake's group and faust's have committed on ``wanted``."""
        prefix = self._topology.prefix
        intake = wire_name(REPORTS_ACCEPTED.name, prefix)
        groups = (
            (INTAKE_GROUP, [tp for tp in wanted if tp.topic == intake]),
            (GROUP, [tp for tp in wanted if tp.topic != intake]),
        )
        offsets = {}
        admin = make_admin(self._settings)
        await admin.start()
        try:
            for group, tps in groups:
                if tps:
                    read = await admin.list_consumer_group_offsets(prefix + group, partitions=tps)
                    offsets.update({tp: meta.offset for tp, meta in read.items()})
        finally:
            await admin.close()
        return offsets
