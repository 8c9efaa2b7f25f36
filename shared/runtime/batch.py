"""One batch, from records to acknowledged events: decode, stage, apply, publish, settle.

For every batch of a consumer lane, :class:`BatchProcessor`:

1. decodes and validates each record against its topic's type; undecodable and invalid
   records are set aside for the dead-letter topic;
2. runs the consumer's :class:`~shared.runtime.spec.Stage`, if any, off the event loop;
3. calls the handler in one PostgreSQL transaction and stores the events it returns in the
   outbox in that same transaction (their sizes checked first);
4. publishes those events and the dead letters and waits for Kafka's acknowledgement; then
   hands the outbox rows and the offsets to ``settle``, which forgets the rows and only
   then commits the offsets, off the lane's path (its consumer does it every
   ``consumer_commit_interval_ms``, and before its partitions move).

When the handler fails, the batch is split until the failing records are alone. A record is
dead-lettered when it fails alone while the records beside it succeed, or when its failure
can only be its own (a value the database cannot store, an event too large for its topic);
when every record fails otherwise, that is an outage or a bug, not bad input: nothing is
committed, the lane backs off and tries again, with any newer records of its partitions
added (so a lone bad record is recognised as soon as a good one follows it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeAlias, TypeVar

import asyncpg
from aiokafka.structs import ConsumerRecord

from shared import metrics
from shared.runtime import outbox_table
from shared.runtime.contract import Handled, Inbound, Outbound
from shared.runtime.deadletter import dead_letter
from shared.runtime.errors import (
    ConfigurationError,
    Fault,
    RefusedError,
    StopRequestedError,
    classify,
    record_at_fault,
)
from shared.runtime.outbox import Outbox
from shared.runtime.retry import RetryPolicy
from shared.runtime.spec import ConsumerSpec, Stage, decoder

log = logging.getLogger(__name__)

E = TypeVar("E")
#: A record as consumed.
Record: TypeAlias = ConsumerRecord[bytes, bytes]


class AbandonedError(Exception):
    """The lane gave a stalled batch up (its partitions are moving); nothing was committed."""


@dataclass(slots=True)
class _Failure:
    record: Record
    error: BaseException

    @property
    def certain(self) -> bool:
        """Whether the record is at fault whatever its neighbours do."""
        return record_at_fault(self.error)


@dataclass(slots=True)
class _Attempt:
    """What one pass over a batch achieved."""

    applied: list[tuple[int | None, list[Outbound]]] = field(default_factory=list)
    failed: list[_Failure] = field(default_factory=list)
    invalid: list[_Failure] = field(default_factory=list)

    @property
    def stalled(self) -> bool:
        """Every record that reached the handler failed, not all certainly by its own fault."""
        return bool(self.failed) and not self.applied and not all(f.certain for f in self.failed)


class BatchProcessor(Generic[E]):
    """Processes the batches of one consumer (all its lanes share it)."""

    def __init__(
        self,
        *,
        service: str,
        consumer: ConsumerSpec[E, Any, Any],
        pool: asyncpg.Pool,
        outbox: Outbox,
        retry: RetryPolicy,
        logical: dict[str, str],
        stop: asyncio.Event,
        executor: Executor | None,
        max_batch: int,
    ) -> None:
        self._service = service
        self._spec = consumer
        self._pool = pool
        self._outbox = outbox
        self._retry = retry
        self._logical = logical
        self._decoders = {
            wire: decoder(consumer.models[t])
            for wire, name in logical.items()
            for t in consumer.models
            if t.name == name
        }
        self._stop = stop
        self._executor = executor
        self._max_batch = max_batch

    async def process(
        self,
        records: list[Record],
        *,
        settle: Callable[[list[int], list[Record]], None],
        more: Callable[[], Awaitable[list[Record]]],
        abandon: Callable[[], bool],
    ) -> None:
        """Apply ``records`` (split until each succeeds or fails alone), publish, ``settle``.

        ``more`` fetches newer records of the lane's partitions while a batch is stalled;
        ``abandon`` says the lane must give the batch up (raises :class:`AbandonedError`).
        """
        started = time.perf_counter()
        oldest = min(record.timestamp for record in records) / 1000
        metrics.BATCH_WAIT.labels(self._service).observe(max(0.0, time.time() - oldest))
        stalls = 0
        while True:
            attempt = await self._attempt(records)
            if not attempt.stalled:
                break
            stalls += 1
            error = attempt.failed[0].error
            metrics.STALLED_BATCHES.labels(self._service, type(error).__name__).inc()
            delay = self._retry.backoff(stalls)
            log.warning(
                "every record of the batch failed: backing off, nothing dead-lettered",
                extra={
                    "records": len(records),
                    "error": type(error).__name__,
                    "fault": classify(error).value,
                    "retry_in_s": delay,
                },
            )
            await self._retry.pause(delay)
            if self._stop.is_set():
                raise StopRequestedError
            if abandon():
                raise AbandonedError
            if len(records) < self._max_batch:
                records = records + await more()

        dead = [*attempt.invalid, *attempt.failed]
        letters = [
            dead_letter(
                f.record,
                f.error,
                service=self._service,
                topic=self._logical[f.record.topic],
                limit=self._outbox.publisher.limit,
            )
            for f in dead
        ]
        events = [e for _, events in attempt.applied for e in events]
        rows = [row for row, _ in attempt.applied if row is not None]
        await self._outbox.publish(events + letters)
        settle(rows, records)
        self._count(records, dead, started)

    async def _attempt(self, records: list[Record]) -> _Attempt:
        attempt = _Attempt()
        good: list[Inbound[E, Any]] = []
        by_position: dict[tuple[str, int, int], Record] = {}
        for record in records:
            value = record.value or b""
            try:
                event = self._decoders[record.topic](value)
            except ValueError as error:  # pydantic's ValidationError, invalid UTF-8 or JSON
                attempt.invalid.append(_Failure(record, error))
                continue
            good.append(
                Inbound(
                    event, record.topic, record.partition, record.offset, record.key, value, None
                )
            )
            by_position[(record.topic, record.partition, record.offset)] = record
        if good:
            staged = self._spec.stage is None
            if not staged:
                try:
                    good = await self._staged(good)
                    staged = True
                except Exception:  # noqa: BLE001 - the split below finds the records at fault
                    log.warning("stage failed on a whole batch; isolating", exc_info=False)
            await self._isolate(good, attempt, by_position, staged=staged, first=True)
        return attempt

    async def _staged(self, batch: list[Inbound[E, Any]]) -> list[Inbound[E, Any]]:
        stage = self._spec.stage
        assert isinstance(stage, Stage)  # noqa: S101 - callers check; factories are bound
        loop = asyncio.get_running_loop()
        events = [m.event for m in batch]
        results = await loop.run_in_executor(self._executor, stage.compute, events)
        if len(results) != len(batch):
            raise RuntimeError(f"stage returned {len(results)} results for {len(batch)} events")
        return [replace(m, staged=r) for m, r in zip(batch, results, strict=True)]

    async def _isolate(
        self,
        batch: list[Inbound[E, Any]],
        attempt: _Attempt,
        by_position: dict[tuple[str, int, int], Record],
        *,
        staged: bool,
        first: bool = False,
    ) -> None:
        """Apply ``batch``; if it fails, split it until the failing records are alone."""
        try:
            applied = await self._retry.run(
                "handle",
                lambda: self._apply(batch, staged=staged),
                # The first try of a batch may retry an ambiguous failure; once splitting,
                # the split itself is the retry.
                ambiguous_attempts=None if first else 0,
            )
        except StopRequestedError:
            raise
        except Exception as error:
            fault = classify(error)
            if fault is Fault.FATAL:
                raise ConfigurationError(_fatal_hint(error)) from error
            if len(batch) == 1:
                one = batch[0]
                record = by_position[(one.topic, one.partition, one.offset)]
                attempt.failed.append(_Failure(record, error))
                return
            middle = len(batch) // 2
            await self._isolate(batch[:middle], attempt, by_position, staged=staged)
            await self._isolate(batch[middle:], attempt, by_position, staged=staged)
        else:
            row_id, events, handled = applied
            attempt.applied.append((row_id, events))
            for inbound, reason in handled.refused:
                record = by_position[(inbound.topic, inbound.partition, inbound.offset)]
                attempt.invalid.append(_Failure(record, RefusedError(reason)))

    async def _apply(
        self, batch: list[Inbound[E, Any]], *, staged: bool
    ) -> tuple[int | None, list[Outbound], Handled]:
        """Handle ``batch`` and store its events in one transaction; return the outbox row."""
        if not staged:
            batch = await self._staged(batch)
        stored: tuple[int | None, list[Outbound], Handled] | None = None
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                handled = await self._spec.handler(batch, self._spec.ports(conn))
                events = list(handled.events)
                row_id = await self._outbox.store(conn, events)
                stored = (row_id, events, handled)
        except Exception as error:
            # A failure during COMMIT (typically a lost connection) leaves the outcome
            # unknown. Retrying a batch that did commit would find its effects applied and
            # announce nothing, leaving its events to the relay; so look first.
            if stored is None or stored[0] is None:
                raise
            row = stored[0]
            if not await self._retry.run(
                "outbox", lambda: outbox_table.exists(self._pool, row, service=self._service)
            ):
                raise
            metrics.COMMIT_RECOVERIES.labels(self._service).inc()
            log.warning(
                "batch committed although the commit reported an error",
                extra={"error": type(error).__name__},
            )
        row_id, events, handled = stored
        self._outbox.hold(row_id)
        if handled.after_commit is not None:
            try:
                handled.after_commit()
            except Exception:
                # Applied and committed: a failing callback must not make it look otherwise.
                log.exception("after_commit callback failed")
        return row_id, events, handled

    def _count(self, records: Sequence[Record], dead: Sequence[_Failure], started: float) -> None:
        service = self._service
        for failure in dead:
            topic = self._logical[failure.record.topic]
            metrics.DEAD_LETTERED.labels(service, topic, type(failure.error).__name__).inc()
            log.warning(
                "message dead-lettered",
                extra={
                    "topic": topic,
                    "partition": failure.record.partition,
                    "offset": failure.record.offset,
                    "error": type(failure.error).__name__,
                },
            )
        received = Counter(record.topic for record in records)
        lost = Counter(f.record.topic for f in dead)
        for topic, count in received.items():
            logical = self._logical[topic]
            metrics.CONSUMED.labels(service, logical, "processed").inc(count - lost[topic])
            if lost[topic]:
                metrics.CONSUMED.labels(service, logical, "dead_lettered").inc(lost[topic])
        metrics.BATCH_SIZE.labels(service).observe(len(records))
        metrics.HANDLER_SECONDS.labels(service).observe(time.perf_counter() - started)


def _fatal_hint(error: BaseException) -> str:
    """What an operator should do about a fatal error (no values echoed)."""
    sqlstate = str(getattr(error, "sqlstate", "") or "")
    if sqlstate in {"42P01", "42703", "42883", "3F000"}:
        return (
            f"{type(error).__name__}: the database schema is missing or outdated; "
            "run `crible migrate` before starting the service"
        )
    if sqlstate == "42501" or sqlstate.startswith("28"):
        return f"{type(error).__name__}: the service's database role lacks a privilege"
    return f"{type(error).__name__}: the deployment cannot work as configured"
