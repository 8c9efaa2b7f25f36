"""The faust app around the pure stages: its topics, tables, agents and watchdog.

Three stages: the intake, then two agents, each co-partitioned with the tables it writes:

1. the intake (:mod:`services.surge.adapters.intake`, batches of plain aiokafka: it keeps no state)
   reads ``reports.accepted``, validates each event (bad ones go to
   ``reports.accepted.dlq``, with the headers every Crible consumer writes) and repartitions
   compact records by reporter onto ``surge.by_reporter``;
2. ``reporters`` keeps the reporters table and repartitions the annotated records by
   subject onto ``surge.by_subject``;
3. ``subjects`` keeps the subject windows and category baselines and publishes
   ``SurgeSignal`` events on ``surge.signals``.

faust never creates a topic here (``topic_allow_declare`` off): every one is declared in
``shared/topics.py`` and created by ``crible topics apply``. Its web server is off; the
process's metrics and probes are the shared, token-protected endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import faust
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from faust.exceptions import ConsumerNotStarted
from faust.tables.recovery import Recovery
from faust.types import EventT, StreamT, TableT

from services.surge import metrics
from services.surge.adapters.intake import INTAKE_GROUP, Intake
from services.surge.adapters.tables import (
    Deferred,
    HeldWrites,
    SnapshotBeforeCommit,
    StateCodec,
    category_codec,
    reporter_codec,
    subject_codec,
)
from services.surge.adapters.transport import App
from services.surge.config import SurgeSettings
from services.surge.core.detect import Burst, signal
from services.surge.core.records import (
    Annotated,
    packs,
    partition_for,
    subject_of,
    unpack_accepted,
    unpack_annotated,
)
from services.surge.core.reporters import ReporterState, expired
from services.surge.core.stages import annotate, count, flush, since_key
from services.surge.core.watchdog import Watchdog
from shared import metrics as shared_metrics
from shared.config import Settings
from shared.events.surge import SurgeSignal
from shared.kafka import kafka_client_options, make_admin, make_plain_consumer, make_producer
from shared.runtime.deadletter import dead_letter
from shared.topics import (
    REPORTS_ACCEPTED,
    SURGE_BY_REPORTER,
    SURGE_BY_SUBJECT,
    SURGE_CATEGORIES,
    SURGE_REPORTERS,
    SURGE_SIGNALS,
    SURGE_SUBJECTS,
    TopicSpec,
    largest_message_bytes,
    max_message_bytes,
    wire_name,
)

log = logging.getLogger(__name__)

SERVICE = "surge"
#: The consumer group (before the topic prefix), named like every service's.
GROUP = "crible-surge"
R = TypeVar("R")
PARTITIONS = REPORTS_ACCEPTED.partitions


class AgentStalledError(RuntimeError):
    """An agent stopped consuming while its partitions had lag."""


def _by_partition(events: Sequence[EventT[bytes]]) -> dict[int, list[EventT[bytes]]]:
    groups: dict[int, list[EventT[bytes]]] = {}
    for event in events:
        groups.setdefault(event.message.partition, []).append(event)
    return groups


class SurgeApp:
    """One process's faust app, its tables, and what the runtime needs to watch it."""

    def __init__(self, settings: Settings, surge: SurgeSettings) -> None:
        self.settings = settings
        self.surge = surge
        self.policy = surge.policy()
        self.watchdog = Watchdog(stall_seconds=surge.stall_seconds)
        self._prefix = settings.topic_prefix
        self._watermarks: dict[tuple[str, int], int] = {}
        self._swept: dict[tuple[str, int], float] = {}
        self._held_writes = HeldWrites()
        self._dirty = self._held_writes.dirty
        #: The watchdog's own client for offsets (outside faust and any group).
        self._offsets: AIOKafkaConsumer | None = None
        #: Subjects whose grown windows wait for a flush: key -> partition.
        self._held: dict[bytes, int] = {}
        #: The partitions of the subject stage this process has recovered and looked through.
        self._owned: set[int] = set()
        self._stopping = False
        self._intake: asyncio.Task[None] | None = None
        self.app = App(
            self._prefix + GROUP,
            broker=[f"kafka://{h.strip()}" for h in settings.kafka_bootstrap_servers.split(",")],
            broker_credentials=_credentials(settings),
            store="memory://",
            # faust's default is "<app id>-data" in the working directory, which may be
            # read-only (a container's) or a checkout.
            datadir=str(surge.data_dir or Path(tempfile.gettempdir()) / "{conf.name}-data"),
            # No HTTP server of faust's: probes and metrics are the shared, token-protected
            # endpoint (CRIBLE_METRICS_PORT).
            web_enabled=False,
            # Topics are declared in shared/topics.py and created by `crible topics apply`.
            topic_allow_declare=False,
            topic_disable_leader=True,
            topic_partitions=PARTITIONS,
            table_standby_replicas=0,
            consumer_auto_offset_reset="earliest",
            broker_commit_interval=surge.commit_interval_seconds,
            broker_session_timeout=surge.session_timeout_seconds,
            broker_heartbeat_interval=min(3.0, surge.session_timeout_seconds / 3),
            producer_acks=-1,
            producer_linger_ms=settings.producer_linger_ms,
            producer_max_request_size=largest_message_bytes() + 64 * 1024,
            stream_buffer_maxsize=8192,
            broker_max_poll_records=5000,
            loop=asyncio.get_running_loop(),
        )
        # faust pauses every stream once 100 table writes wait to be produced (its default):
        # the reporter stage writes about one per report, so the pause came every few
        # milliseconds. The writes are flushed before each commit whatever this limit.
        self.app.producer.buffer.max_messages = 50_000
        #: The intake's own producer (its records are flushed before it commits).
        self._producer = make_producer(settings)
        self.intake = Intake(
            settings, surge, producer=self._producer, progress=self.watchdog.processed
        )
        self.app.sensors.add(SnapshotBeforeCommit(self._held_writes))
        self.app.consumer.before_commit = self._write_held  # type: ignore[attr-defined]
        self.by_reporter = self._topic(SURGE_BY_REPORTER)
        self.by_subject = self._topic(SURGE_BY_SUBJECT)
        self.signals = self._topic(SURGE_SIGNALS)
        self.reporters = self._table(SURGE_REPORTERS, reporter_codec())
        self.subjects = self._table(SURGE_SUBJECTS, subject_codec())
        self.categories = self._table(SURGE_CATEGORIES, category_codec())
        self._logical = {
            wire_name(t.name, self._prefix): t.name
            for t in (REPORTS_ACCEPTED, SURGE_BY_REPORTER, SURGE_BY_SUBJECT)
        }
        self.app.agent(self.by_reporter, name="surge.reporters")(self._reporters)
        self.app.agent(self.by_subject, name="surge.subjects")(self._subjects)

    def _topic(self, spec: TopicSpec) -> faust.TopicT:
        return self.app.topic(
            wire_name(spec.name, self._prefix),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=spec.partitions,
        )

    def _table(self, spec: TopicSpec, codec: StateCodec) -> TableT[bytes, Any]:
        schema: faust.Schema[bytes, Any] = faust.Schema(
            key_type=bytes, key_serializer="raw", value_serializer=codec
        )
        changelog = self.app.topic(
            wire_name(spec.name, self._prefix),
            schema=schema,
            partitions=spec.partitions,
            compacting=True,
            acks=False,
            internal=True,
            allow_empty=True,
            maxsize=131_072,
        )
        table = self.app.Table(
            spec.name,
            default=None,
            key_type=bytes,
            schema=schema,
            partitions=spec.partitions,
            changelog_topic=changelog,
        )
        # A table serialises what it writes with serializers derived from its types, not its
        # schema's (faust-streaming 0.15.3): without this its changelog would be written in
        # faust's JSON and read back through the codec.
        table.value_serializer = codec  # type: ignore[attr-defined]  # TableT omits it
        return table

    # -- the agents ---------------------------------------------------------------------

    async def _reporters(self, stream: StreamT[bytes]) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            self.surge.batch_max, within=self.surge.batch_within_seconds
        ):
            await self.annotate(events)

    async def annotate(self, events: Sequence[EventT[bytes]]) -> None:
        """Fold packed messages into the reporters table; repartition them by subject."""
        out: list[tuple[object, ...]] = []
        for partition, group in _by_partition(events).items():
            records = await self._unpacked(group, SURGE_BY_REPORTER, unpack_accepted)
            if not records:
                continue
            store = Deferred(self.reporters, partition, self._dirty)
            key = since_key(partition)
            stored = store.get(key)
            since = min(r.at for r in records)
            if stored is None or since < stored.first_seen:
                store[key] = ReporterState(first_seen=since)
            else:
                since = stored.first_seen
            notes = annotate(records, reporters=store, watched_since=since, policy=self.policy)
            out.extend(tuple(r) for r in notes)
            metrics.RECORDS.labels("reporters").inc(len(records))
            self._sweep_reporters(partition, max(r.at for r in records))
        by_partition: dict[int, list[tuple[object, ...]]] = {}
        for record in out:
            by_partition.setdefault(partition_for(str(record[2]), PARTITIONS), []).append(record)
        for partition, packed in by_partition.items():
            for value in packs(packed, limit=max_message_bytes(SURGE_BY_SUBJECT.name)):
                await self.by_subject.send(value=value, partition=partition)
        self._progress(events)

    async def _subjects(self, stream: StreamT[bytes]) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            self.surge.batch_max, within=self.surge.batch_within_seconds
        ):
            await self.count(events)

    async def count(self, events: Sequence[EventT[bytes]]) -> None:
        """Count packed messages into their subjects' windows; publish the signals due."""
        for partition, group in _by_partition(events).items():
            records = await self._unpacked(group, SURGE_BY_SUBJECT, unpack_annotated)
            if not records:
                continue
            counted = count(
                records,
                partition=partition,
                subjects=Deferred(self.subjects, partition, self._dirty),
                categories=Deferred(self.categories, partition, self._dirty),
                policy=self.policy,
            )
            await self._publish(counted.due)
            for record in counted.held:
                self._held[record.subject.encode()] = partition
            if counted.replays:
                metrics.REPLAYS.inc(counted.replays)
            metrics.RECORDS.labels("subjects").inc(len(records))
            self._sweep_subjects(partition, max(r.at for r in records))
        self._progress(events)

    async def _unpacked(
        self,
        events: Sequence[EventT[bytes]],
        spec: TopicSpec,
        unpack: Callable[[bytes], list[R]],
    ) -> list[R]:
        """The records of packed messages; one that cannot be read goes to the topic's DLQ.

        Not the agent down: faust would restart it on the same message.
        """
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
                record.subject.encode(), signal(subject_of(record.parts), burst)
            )

    async def _send_signal(self, key: bytes, surge: SurgeSignal) -> None:
        await self.signals.send(key=key, value=surge.model_dump_json().encode())
        metrics.SIGNALS.labels(surge.kind.value).inc()

    async def flush(self) -> None:
        """Publish the last figures of windows whose growth was held back.

        Runs beside the agents. A partition that moved to another process is flushed there:
        the new owner looks through its subjects once it has recovered them.
        """
        if not self._held:
            return
        assigned = self._assigned(SURGE_BY_SUBJECT)
        held, self._held = self._held, {}
        for key, partition in held.items():
            store = Deferred(self.subjects, partition, self._dirty)
            state = store.get(key)
            if partition not in assigned or state is None or state.parts is None:
                continue
            due = flush(state, policy=self.policy)
            if due:
                subject = subject_of(state.parts)
                for burst in due:
                    await self._send_signal(key, signal(subject, burst))
                store[key] = state

    def _assigned(self, spec: TopicSpec) -> set[int]:
        topic = wire_name(spec.name, self._prefix)
        return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == topic}

    def _look_through(self, partitions: set[int]) -> None:
        """Hold for a flush every subject of ``partitions`` that has published windows."""
        for key in list(self.subjects.keys()):
            partition = partition_for(key.decode(), PARTITIONS)
            state = self.subjects.get(key)
            if partition in partitions and state is not None and state.emitted:
                self._held[key] = partition

    async def _dead_letter(self, message: Any, error: BaseException, spec: TopicSpec) -> None:
        # The copy is sent and acknowledged before the batch's offsets can be committed.
        copy = dead_letter(
            message, error, service=SERVICE, topic=spec.name, limit=max_message_bytes
        )
        await self.app.producer.send_and_wait(
            wire_name(copy.topic, self._prefix),
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
            self.watchdog.processed(message.topic, message.partition, message.offset)

    # -- expiry -------------------------------------------------------------------------

    def _due(self, stage: str, partition: int, at: int) -> bool:
        """Note the partition's newest event time; whether the stage's sweep is due.

        One sweep covers every partition of the stage: the stores hold the keys of all
        partitions together, so it reads each key once.
        """
        tp = (stage, partition)
        self._watermarks[tp] = max(at, self._watermarks.get(tp, at))
        now = time.monotonic()
        if now - self._swept.get((stage, -1), float("-inf")) < self.surge.sweep_seconds:
            return False
        self._swept[(stage, -1)] = now
        return True

    def _sweep_subjects(self, partition: int, at: int) -> None:
        """Drop the subjects and baselines whose windows all ended."""
        if not self._due("subjects", partition, at):
            return
        horizon = self.policy.horizon_seconds
        before = {
            p: self._watermarks[("subjects", p)] - horizon
            for p in self._assigned(SURGE_BY_SUBJECT)
            if ("subjects", p) in self._watermarks
        }
        if not before:
            return
        latest_before = max(before.values())
        for key in list(self.subjects.keys()):
            state = self.subjects.get(key)
            latest = None if state is None else state.latest
            if latest is not None and latest >= latest_before:
                continue  # the common case, decided without hashing the key
            where = partition_for(key.decode(), PARTITIONS)
            if where in before and (latest is None or latest < before[where]):
                Deferred(self.subjects, where, self._dirty).delete(key)
        for key in list(self.categories.keys()):
            where = int(key.split(b"/", 1)[0])
            stats = self.categories.get(key)
            if (
                where in before
                and stats is not None
                and max(stats.buckets, default=before[where] - 1) < before[where]
            ):
                Deferred(self.categories, where, self._dirty).delete(key)
        self.update_sizes()

    def _sweep_reporters(self, partition: int, at: int) -> None:
        """Drop the reporters inactive for longer than the retention."""
        if not self._due("reporters", partition, at):
            return
        now = {
            p: self._watermarks[("reporters", p)]
            for p in self._assigned(SURGE_BY_REPORTER)
            if ("reporters", p) in self._watermarks
        }
        if not now:
            return
        retention = self.policy.reporter_retention_seconds
        latest = max(now.values())
        for key in list(self.reporters.keys()):
            state = self.reporters.get(key)
            if state is None or key.startswith(b"watching-since/"):
                continue
            if not expired(state, now=latest, retention_seconds=retention):
                continue  # the common case, decided without hashing the key
            where = partition_for(key.decode(), PARTITIONS)
            if where in now and expired(state, now=now[where], retention_seconds=retention):
                Deferred(self.reporters, where, self._dirty).delete(key)

    def update_sizes(self) -> None:
        """The table-size gauges."""
        metrics.TABLE_KEYS.labels("subjects").set(len(self.subjects))
        metrics.TABLE_KEYS.labels("reporters").set(len(self.reporters))
        metrics.TABLE_KEYS.labels("categories").set(len(self.categories))

    # -- running and watching -----------------------------------------------------------

    @property
    def _recovery(self) -> Recovery:
        # The table manager's recovery service (the TableManagerT protocol omits it).
        recovery: Recovery = self.app.tables.recovery  # type: ignore[attr-defined]
        return recovery

    def readiness(self) -> list[str]:
        """Failing checks for ``/readyz``: started, partitions assigned, tables recovered.

        Never raises: faust's consumer refuses questions before it starts and after it
        stops, and a probe must be answered (503 with a reason) all the same.
        """
        if self._stopping or self.app.should_stop:
            return ["stopping"]
        if not self.app.started:
            return ["starting"]
        try:
            assigned = self.app.consumer.assignment()
        except ConsumerNotStarted:
            return ["starting"]
        failing = []
        if not assigned:
            failing.append("partitions")
        if not self._recovery.completed.is_set():
            failing.append("tables")
        return failing

    async def run(self, stop: asyncio.Event, *, every: float) -> None:
        """Run the app until ``stop`` is set; raise :class:`AgentStalledError` on a stall."""
        self._offsets = make_plain_consumer(self.settings)
        await self._offsets.start()
        await self._producer.start()
        await self.app.start()
        intake_stop = asyncio.Event()
        intake = self._intake = asyncio.create_task(self.intake.run(intake_stop))
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every)
                await self.flush()
                await self.check()
        except AgentStalledError:
            # No graceful stop: faust would wait for the wedged agent's events for ever.
            raise
        except BaseException:
            await self._stop(intake, intake_stop)
            raise
        else:
            await self._stop(intake, intake_stop)
        finally:
            await self._offsets.stop()

    async def _write_held(self) -> None:
        await self._held_writes.write(self._producer)

    async def _stop(self, intake: asyncio.Task[None], intake_stop: asyncio.Event) -> None:
        """Stop the intake (its last batch committed), then faust, each bounded."""
        self._stopping = True
        intake_stop.set()
        await asyncio.wait({intake}, timeout=30)
        if not intake.done():
            log.warning("the intake did not stop in 30 s")
            intake.cancel()
        await self._stop_app()
        # What changed after the last commit (sweeps, flushes), for the next owner.
        self._held_writes.snapshot()
        await self._write_held()
        await self._producer.stop()

    async def _stop_app(self) -> None:
        """Stop faust (it commits what was processed, held table writes first), bounded."""
        self._stopping = True
        stopping = asyncio.ensure_future(self.app.stop())
        await asyncio.wait({stopping}, timeout=30)
        if not stopping.done():
            log.warning("faust did not stop in 30 s")

    async def check(self) -> None:
        """Lag gauges, table sizes, and the watchdog's verdict."""
        if self.app.crash_reason is not None:
            raise AgentStalledError(
                f"the faust app crashed: {type(self.app.crash_reason).__name__}"
            )
        if self._intake is not None and self._intake.done():
            raise AgentStalledError(f"the intake ended: {self._intake.exception()!r}")
        consumer = self.app.consumer
        watched = {
            (tp.topic, tp.partition): tp
            for tp in (*consumer.assignment(), *self.intake.assignment())
            if tp.topic in self._logical
        }
        recovered = self._recovery.completed.is_set()
        if not recovered:
            # Agents wait for the tables: the clock starts once they can run.
            self.watchdog.forget(set())
            return
        self.watchdog.forget(set(watched))
        owned = self._assigned(SURGE_BY_SUBJECT)
        if owned - self._owned:
            self._look_through(owned - self._owned)
        self._owned = owned
        # The broker's end offsets, read by a client of the watchdog's own: a partition faust
        # never resumed has no fetched high-water mark, and an agent that hangs can hold up
        # faust's consumer thread with it. That is the stall to catch.
        assert self._offsets is not None  # noqa: S101 - started by run()
        by_tp = {TopicPartition(tp.topic, tp.partition): tp for tp in watched.values()}
        read = await asyncio.wait_for(self._offsets.end_offsets(list(by_tp)), timeout=10)
        ends = {by_tp[tp]: offset for tp, offset in read.items()}
        unknown = [tp for key, tp in watched.items() if not self.watchdog.known(key)]
        if unknown:
            for tp, offset in (await self._committed(unknown)).items():
                self.watchdog.start((tp.topic, tp.partition), offset)
        highwaters = {key: ends[tp] for key, tp in watched.items() if ends.get(tp) is not None}
        # (The group's lag gauge is the runtime's, from the broker: Service.own_groups.)
        self.update_sizes()
        stalled = self.watchdog.stalled(highwaters)
        if stalled:
            for topic, partition in stalled:
                metrics.STALLS.labels(self._logical[topic]).inc()
                log.critical(
                    "agent stopped consuming with lag; exiting for a restart",
                    extra={"topic": self._logical[topic], "partition": partition},
                )
            raise AgentStalledError(f"no progress for {self.surge.stall_seconds} s with lag")

    async def _committed(self, partitions: list[Any]) -> dict[Any, int]:
        """Where the groups stand on newly assigned partitions.

        Their committed offsets (the log start where they have none), not the fetch
        position: faust fetches ahead of its agents, and a partition fetched but never
        processed is exactly a stall.
        """
        intake = wire_name(REPORTS_ACCEPTED.name, self._prefix)
        wanted = [TopicPartition(tp.topic, tp.partition) for tp in partitions]
        offsets = {}
        admin = make_admin(self.settings)
        await admin.start()
        try:
            for group, tps in (
                (INTAKE_GROUP, [tp for tp in wanted if tp.topic == intake]),
                (GROUP, [tp for tp in wanted if tp.topic != intake]),
            ):
                if tps:
                    offsets.update(
                        await admin.list_consumer_group_offsets(
                            self._prefix + group, partitions=tps
                        )
                    )
        finally:
            await admin.close()
        assert self._offsets is not None  # noqa: S101 - started by run()
        earliest = await self._offsets.beginning_offsets(wanted)
        out = {}
        for tp in partitions:
            committed = offsets.get(TopicPartition(tp.topic, tp.partition))
            if committed is not None and committed.offset >= 0:
                out[tp] = committed.offset
            else:
                out[tp] = earliest.get(TopicPartition(tp.topic, tp.partition), 0)
        return out


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """Faust's broker credentials from the settings every Kafka client of Crible uses."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    ssl_context = kafka_client_options(settings).get("ssl_context")
    if protocol == "SSL":
        return faust.SSLCredentials(ssl_context)
    password = settings.kafka_sasl_password
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=None if password is None else password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=ssl_context,
    )
