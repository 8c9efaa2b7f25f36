"""The one consume-handle-produce loop that runs every Crible consumer.

A service declares a :class:`ConsumerSpec` (topics, event models, a batch handler) and
never writes its own poll loop. For every batch the runner:

1. decodes and validates each record against its topic's event model; poison records
   (undecodable bytes, invalid JSON, schema violations) are set aside for the DLQ;
2. calls the handler with the valid events and a connection inside one PostgreSQL
   transaction, and stores the events the handler returns in the outbox, in that same
   transaction;
3. publishes those events and the dead letters, and waits for Kafka's acknowledgement;
4. deletes the outbox row, then commits the consumed offsets.

So every message is processed at least once, and a crash at any point neither loses an
effect nor applies one twice (handlers are idempotent on stable ids). Transient failures
(database or broker unavailable) are retried with capped exponential back-off, never
dead-lettered. If a handler raises anything else, the batch is split until the failing
records are isolated; those go to the DLQ with the error, the rest are processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord
from pydantic import BaseModel, ValidationError

from shared import metrics, outbox
from shared.config import Settings
from shared.db import Connection, create_pool
from shared.kafka import make_consumer, make_producer
from shared.publisher import Outbound, Publisher
from shared.topics import DLQ_SUFFIX, TopicSpec, wire_name

log = logging.getLogger(__name__)

E = TypeVar("E", bound=BaseModel)
T = TypeVar("T")

#: Failures of infrastructure, not of a message: retried, never dead-lettered.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # asyncpg reports a connection killed mid-protocol this way ("cannot switch to state").
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


@dataclass(frozen=True, slots=True)
class Inbound(Generic[E]):
    """A validated event and where it came from."""

    event: E
    topic: str
    partition: int
    offset: int
    key: bytes | None
    #: The bytes as received (already validated into ``event``), for handlers that store them.
    raw: bytes


@dataclass(frozen=True, slots=True)
class Handled:
    """What a handler did: events to publish, and what to do once its transaction committed."""

    events: Sequence[Outbound]
    #: Runs after the commit, e.g. to count business metrics exactly once per effect.
    after_commit: Callable[[], None] | None = None


class BatchHandler(Protocol[E]):
    """Applies a batch of events inside the given transaction; returns events to publish."""

    async def __call__(self, batch: Sequence[Inbound[E]], conn: Connection) -> Handled:
        """Handle ``batch``; must be idempotent (the same batch may come again)."""
        ...


@dataclass(frozen=True)
class ConsumerSpec(Generic[E]):
    """What a service consumes and how it handles it."""

    service: str
    models: Mapping[TopicSpec, type[E]]
    handler: BatchHandler[E]
    #: Topics the handler publishes to (documentation, the demo view, dashboards).
    produces: tuple[TopicSpec, ...] = ()

    @property
    def group_id(self) -> str:
        """The consumer group (before the topic prefix), scaled by adding processes."""
        return f"crible-{self.service}"


class StopRequestedError(Exception):
    """Raised inside a retry loop when the process is asked to stop."""


#: What gets past the retries of a batch without being the batch's fault.
_NOT_THE_MESSAGES_FAULT: tuple[type[BaseException], ...] = (StopRequestedError, *TRANSIENT_ERRORS)


@dataclass(slots=True)
class _Poison:
    record: ConsumerRecord[bytes, bytes]
    error: BaseException


def describe_error(error: BaseException) -> str:
    """A reason a platform engineer can act on, without echoing the message's content."""
    if isinstance(error, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)
        ]
        text = f"{error.error_count()} validation error(s) for {error.title}: " + "; ".join(
            problems
        )
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:1000]


def dead_letter(
    record: ConsumerRecord[bytes, bytes], error: BaseException, *, service: str, topic: str
) -> Outbound:
    """The DLQ copy of ``record`` (read from logical ``topic``), with headers saying why."""
    headers = (
        ("crible.error.class", type(error).__name__.encode()),
        ("crible.error.message", describe_error(error).encode()),
        ("crible.source.topic", record.topic.encode()),
        ("crible.source.partition", str(record.partition).encode()),
        ("crible.source.offset", str(record.offset).encode()),
        ("crible.service", service.encode()),
        ("crible.failed_at", datetime.now(UTC).isoformat().encode()),
    )
    return Outbound(topic + DLQ_SUFFIX, record.key, record.value or b"", headers)


class ConsumerRunner(Generic[E]):
    """Runs one :class:`ConsumerSpec` until asked to stop."""

    def __init__(
        self,
        spec: ConsumerSpec[E],
        settings: Settings,
        *,
        pool: asyncpg.Pool,
        publisher: Publisher,
        stop: asyncio.Event,
    ) -> None:
        self._spec, self._settings = spec, settings
        self._pool, self._publisher, self._stop = pool, publisher, stop
        prefix = settings.topic_prefix
        self._models = {wire_name(t.name, prefix): m for t, m in spec.models.items()}
        self._logical = {wire_name(t.name, prefix): t.name for t in spec.models}
        self._lane_locks: list[asyncio.Lock] = []
        self._last_relay = 0.0
        self._group_id = prefix + spec.group_id
        self._consumer = make_consumer(settings, group_id=self._group_id)

    async def run(self) -> None:
        """Consume until the stop event is set, then finish the batches, commit and close."""
        lanes = self._settings.consumer_lanes
        self._lane_locks = [asyncio.Lock() for _ in range(lanes)]
        self._consumer.subscribe(list(self._models), listener=_CommitOnRevoke(self._lane_locks))
        await self._retrying("connect", self._consumer.start)
        log.info("consumer started", extra={"group": self._group_id, "lanes": lanes})
        tasks = [asyncio.create_task(self._lane(i)) for i in range(lanes)]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = [t for t in done if not t.cancelled() and t.exception() is not None]
            if failed:
                self._stop.set()  # let the other lanes finish their batch and commit
                await asyncio.gather(*tasks, return_exceptions=True)
                failed[0].result()
        finally:
            await self._consumer.stop()
            log.info("consumer stopped", extra={"group": self._group_id})

    async def _lane(self, index: int) -> None:
        """One of the concurrent batch loops, each over its own share of the partitions.

        While one lane waits for PostgreSQL or Kafka, another decodes and folds its batch:
        the database and the broker work on the other core meanwhile. A partition belongs
        to one lane only, so its records are processed and committed in order.
        """
        lanes = len(self._lane_locks)
        try:
            while not self._stop.is_set():
                mine = [tp for tp in self._consumer.assignment() if _lane_of(tp, lanes) == index]
                records = await self._poll(mine)
                if records:
                    async with self._lane_locks[index]:
                        await self._process(records)
                if index == 0:  # housekeeping, whether or not this lane has partitions
                    await self._update_lag()
                    await self._maybe_relay()
        except StopRequestedError:
            log.info("stopped while retrying; the unfinished batch will be redelivered")

    async def _poll(self, partitions: list[TopicPartition]) -> list[ConsumerRecord[bytes, bytes]]:
        if not partitions:
            await asyncio.sleep(self._settings.consumer_poll_timeout_ms / 1000)
            return []
        try:
            batches = await self._consumer.getmany(
                *partitions,
                timeout_ms=self._settings.consumer_poll_timeout_ms,
                max_records=self._settings.consumer_max_batch,
            )
        except IllegalStateError:
            return []  # a rebalance took some of these partitions away
        return [record for records in batches.values() for record in records]

    async def _process(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        started = time.perf_counter()
        service = self._spec.service
        good: list[Inbound[E]] = []
        poison: list[_Poison] = []
        for record in records:
            try:
                event = self._models[record.topic].model_validate_json(record.value or b"")
            except (ValidationError, ValueError) as error:
                poison.append(_Poison(record, error))
            else:
                good.append(
                    Inbound(
                        event,
                        record.topic,
                        record.partition,
                        record.offset,
                        record.key,
                        record.value or b"",
                    )
                )

        applied: list[tuple[int, list[Outbound]]] = []
        if good:
            await self._apply_isolating(good, records, applied, poison)
        to_publish = [r for _, recs in applied for r in recs]
        to_publish += [
            dead_letter(p.record, p.error, service=service, topic=self._logical[p.record.topic])
            for p in poison
        ]
        if to_publish:
            counts = await self._retrying("publish", lambda: self._publisher.publish(to_publish))
            for topic, count in counts.items():
                metrics.PRODUCED.labels(service, topic).inc(count)
        await self._retrying("outbox", lambda: outbox.forget(self._pool, [i for i, _ in applied]))
        await self._commit(records)

        for p in poison:
            topic = self._logical[p.record.topic]
            metrics.DEAD_LETTERED.labels(service, topic, type(p.error).__name__).inc()
            log.warning(
                "message dead-lettered",
                extra={
                    "topic": topic,
                    "partition": p.record.partition,
                    "offset": p.record.offset,
                    "error": type(p.error).__name__,
                },
            )
        received = Counter(record.topic for record in records)
        dead = Counter(p.record.topic for p in poison)
        for topic, count in received.items():
            logical = self._logical[topic]
            metrics.CONSUMED.labels(service, logical, "processed").inc(count - dead[topic])
            if dead[topic]:
                metrics.CONSUMED.labels(service, logical, "dead_lettered").inc(dead[topic])
        metrics.BATCH_SIZE.labels(service).observe(len(records))
        metrics.HANDLER_SECONDS.labels(service).observe(time.perf_counter() - started)

    async def _apply_isolating(
        self,
        good: list[Inbound[E]],
        records: list[ConsumerRecord[bytes, bytes]],
        applied: list[tuple[int, list[Outbound]]],
        poison: list[_Poison],
    ) -> None:
        """Apply ``good``; if the handler rejects it, split it until the culprits are alone."""
        try:
            applied.append(await self._retrying("handle", lambda: self._apply(good)))
        except _NOT_THE_MESSAGES_FAULT:
            raise
        except Exception as error:  # noqa: BLE001 - any other failure is the message's or a bug
            if len(good) == 1:
                one = good[0]
                source = next(
                    r
                    for r in records
                    if (r.topic, r.partition, r.offset) == (one.topic, one.partition, one.offset)
                )
                poison.append(_Poison(source, error))
                return
            middle = len(good) // 2
            await self._apply_isolating(good[:middle], records, applied, poison)
            await self._apply_isolating(good[middle:], records, applied, poison)

    async def _apply(self, batch: list[Inbound[E]]) -> tuple[int, list[Outbound]]:
        """Handle ``batch`` and store its events in one transaction; return the outbox row."""
        stored: tuple[int, list[Outbound], Handled] | None = None
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                handled = await self._spec.handler(batch, conn)
                wire = list(handled.events)
                row_id = await outbox.store(conn, service=self._spec.service, records=wire)
                stored = (row_id, wire, handled)
        except Exception as error:
            # A failure during COMMIT (typically a lost connection) leaves the outcome
            # unknown. Retrying a batch that did commit would find its reports known and
            # announce nothing, leaving its events to the orphan relay; so look first.
            if stored is None or not await self._retrying(
                "outbox", lambda: outbox.exists(self._pool, stored[0])
            ):
                raise
            log.warning(
                "batch committed although the commit reported an error",
                extra={"error": type(error).__name__},
            )
        row_id, wire, handled = stored
        if handled.after_commit is not None:
            handled.after_commit()
        return row_id, wire

    async def _commit(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as error:
            # The partitions moved to another worker, which will see these records again;
            # the handlers are idempotent, so that costs time, not correctness.
            log.warning("offset commit refused after rebalance", extra={"error": str(error)})

    async def _update_lag(self) -> None:
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue  # no fetch response for this partition yet
            try:
                position = await asyncio.wait_for(self._consumer.position(tp), timeout=1)
            except (TimeoutError, IllegalStateError):
                continue  # partition being reassigned
            metrics.CONSUMER_LAG.labels(
                self._spec.service, self._logical[tp.topic], str(tp.partition)
            ).set(max(0, highwater - position))

    async def _maybe_relay(self) -> None:
        now = time.monotonic()
        if now - self._last_relay < self._settings.outbox_relay_seconds:
            return
        self._last_relay = now
        relayed = await self._retrying(
            "relay",
            lambda: outbox.relay_orphans(
                self._pool,
                self._publisher,
                service=self._spec.service,
                older_than_seconds=self._settings.outbox_orphan_seconds,
            ),
        )
        if relayed:
            metrics.OUTBOX_RELAYED.labels(self._spec.service).inc(relayed)
            log.warning("relayed orphaned outbox batches", extra={"batches": relayed})

    async def _retrying(self, stage: str, action: Callable[[], Awaitable[T]]) -> T:
        """Run ``action``, retrying transient failures with capped exponential back-off."""
        delay = self._settings.retry_initial_seconds
        while True:
            try:
                return await action()
            except TRANSIENT_ERRORS as error:
                if self._stop.is_set():
                    raise StopRequestedError from error
                metrics.TRANSIENT_RETRIES.labels(self._spec.service, stage).inc()
                log.warning(
                    "transient failure, retrying",
                    extra={"stage": stage, "error": type(error).__name__, "retry_in_s": delay},
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)
                delay = min(delay * 2, self._settings.retry_max_seconds)


def _lane_of(tp: TopicPartition, lanes: int) -> int:
    return (zlib.crc32(tp.topic.encode()) + int(tp.partition)) % lanes


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Lets the batches in flight finish (and commit) before their partitions move away."""

    def __init__(self, lane_locks: list[asyncio.Lock]) -> None:
        self._lane_locks = lane_locks

    async def on_partitions_revoked(self, revoked: Any) -> None:  # noqa: ARG002
        for lock in self._lane_locks:
            async with lock:
                pass  # every batch commits its own offsets before releasing its lane

    async def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("partitions assigned", extra={"partitions": len(assigned)})


async def serve(
    spec: ConsumerSpec[E], settings: Settings, *, stop: asyncio.Event | None = None
) -> None:
    """Run ``spec`` with its own pool, producer and metrics endpoint until stopped."""
    stop = stop or install_stop_signals()
    server = None
    if settings.metrics_port:
        if settings.metrics_token is None:
            raise RuntimeError("CRIBLE_METRICS_TOKEN must be set to serve metrics")
        server = metrics.MetricsServer(
            host=settings.metrics_host,
            port=settings.metrics_port,
            token=settings.metrics_token.get_secret_value(),
        )
        await server.start()
    producer = make_producer(settings)
    pool: asyncpg.Pool | None = None
    _tune_gc()
    try:
        pool = await _connect_pool(settings, stop, application_name=f"crible-{spec.service}")
        await producer.start()
        runner = ConsumerRunner(
            spec,
            settings,
            pool=pool,
            publisher=Publisher(producer, prefix=settings.topic_prefix),
            stop=stop,
        )
        await runner.run()
    except StopRequestedError:
        log.info("stopped before start-up completed")
    finally:
        await producer.stop()
        if pool is not None:
            await pool.close()
        if server is not None:
            await server.close()


async def _connect_pool(
    settings: Settings, stop: asyncio.Event, *, application_name: str
) -> asyncpg.Pool:
    delay = settings.retry_initial_seconds
    while True:
        try:
            return await create_pool(
                settings.database_url.get_secret_value(),
                max_size=settings.db_pool_max,
                application_name=application_name,
            )
        except TRANSIENT_ERRORS as error:
            if stop.is_set():
                raise StopRequestedError from error
            log.warning("database unavailable, retrying", extra={"retry_in_s": delay})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, settings.retry_max_seconds)


def _tune_gc() -> None:
    """Collect garbage less often than Python's defaults.

    A batch allocates many short-lived objects; with the default thresholds, collections
    cost as much as validating the messages.
    """
    gc.collect()
    gc.freeze()  # objects alive after start-up (modules, models) are never scanned again
    gc.set_threshold(100_000, 50, 1000)


def install_stop_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT: the runner finishes its batch, commits, closes."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
