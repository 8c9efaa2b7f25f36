"""Events go out through the outbox: stored with their effects, published once committed.

Both ends of a unit of work are one :class:`~shared.runtime.contract.Handled`: a consumer's
handler returns it for its batch, an HTTP request keeps it in its :meth:`Outbox.transaction`.
Either way its events are published at once, in order with the rest, and survive a crash
between the commit and Kafka's acknowledgement (the relay publishes them then).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from shared import metrics
from shared.db import Connection
from shared.runtime import outbox_table
from shared.runtime.contract import Handled, Outbound
from shared.runtime.deadletter import undeliverable
from shared.runtime.errors import PublishError
from shared.runtime.publisher import Publisher, Rejected
from shared.runtime.retry import RetryPolicy

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Transaction:
    """A database transaction for an HTTP request; it ends in what the request handled."""

    conn: Connection
    handled: Handled | None = None

    def keep(self, handled: Handled) -> None:
        """Keep ``handled``'s events with the transaction; once it commits, publish them.

        ``handled.after_commit`` runs then too, as for a consumer's batch. A transaction
        keeps one outcome: the whole unit of work's.
        """
        if self.handled is not None:
            raise RuntimeError("a transaction keeps one Handled: its unit of work's outcome")
        self.handled = handled


class Outbox:
    """Stores a unit of work's events in the outbox and publishes them after the commit."""

    #: How long an HTTP request waits for its events to reach Kafka before it answers. Past
    #: it (a broker outage) they keep going in the background: committed in the outbox, they
    #: are published when the broker is back, by this process or by the relay after a crash.
    request_wait: float = 5.0

    def __init__(
        self,
        *,
        service: str,
        pool: asyncpg.Pool,
        publisher: Publisher,
        retry: RetryPolicy,
        worker: int | None = None,
        topic_prefix: str = "",
    ) -> None:
        self._service = service
        self._pool = pool
        self._publisher = publisher
        self._retry = retry
        self._worker = worker
        self._topic_prefix = topic_prefix
        #: Deliveries still running after their request answered (kept from the collector).
        self._background: set[asyncio.Future[None]] = set()
        #: Committed rows this process knows it still has to publish or forget. Any other row
        #: carrying its worker id was lost track of (a commit reported as failed that did
        #: commit, a forget that failed): the relay publishes those too, once they are old.
        self._held: set[int] = set()

    @property
    def worker(self) -> int | None:
        """The id of this process's liveness lock, written on the rows it stores."""
        return self._worker

    @property
    def held(self) -> list[int]:
        """The committed rows this process is still publishing or forgetting."""
        return list(self._held)

    def hold(self, row_id: int | None) -> None:
        """Note that ``row_id`` committed: this process publishes and forgets it."""
        if row_id is not None:
            self._held.add(row_id)

    @property
    def publisher(self) -> Publisher:
        """The publisher (its size limits are the topics')."""
        return self._publisher

    async def store(self, conn: Connection, events: Sequence[Outbound]) -> int | None:
        """Check the events' sizes and write them in the caller's transaction; the row id.

        Raises :class:`~shared.runtime.errors.RecordTooLargeError` before anything is
        written if an event cannot fit its topic, so the transaction rolls back.
        """
        if not events:
            return None
        for event in events:
            self._publisher.check_size(event)
        return await outbox_table.store(
            conn,
            service=self._service,
            records=events,
            worker=self._worker,
            topic_prefix=self._topic_prefix,
        )

    async def deliver(self, row_ids: Sequence[int], events: Sequence[Outbound]) -> None:
        """Publish committed ``events`` (and dead letters), then forget their outbox rows."""
        await self.publish(events)
        try:
            await self.forget(row_ids)
        except Exception:
            # Nothing here tries again: let the relay delete them (publishing them again).
            self._held.difference_update(row_ids)
            raise

    async def publish(self, events: Sequence[Outbound]) -> None:
        """Publish committed ``events`` (and dead letters) and wait for Kafka's acknowledgement.

        Failures of the broker are retried for as long as they last: the effects are
        committed, so the only way forward is to publish them. An event the broker refuses
        for its size goes to its topic's dead-letter topic instead.
        """
        rejected = await self._publish(events, stage="publish")
        if rejected:
            copies = [
                undeliverable(r.record, r.error, service=self._service, limit=self._limit)
                for r in rejected
            ]
            for r in rejected:
                metrics.UNDELIVERABLE.labels(self._service, r.record.topic).inc()
                log.error(
                    "event refused by the broker; dead-lettered",
                    extra={"topic": r.record.topic, "error": type(r.error).__name__},
                )
            for lost in await self._publish(copies, stage="publish-dlq"):
                log.error(
                    "dead-letter copy refused by the broker; dropped",
                    extra={"topic": lost.record.topic, "error": type(lost.error).__name__},
                )

    async def forget(self, row_ids: Sequence[int]) -> None:
        """Delete outbox rows whose events Kafka has acknowledged."""
        if row_ids:
            ids = list(row_ids)
            await self._retry.run(
                "outbox", lambda: outbox_table.forget(self._pool, ids, service=self._service)
            )
            self._held.difference_update(ids)

    def _limit(self, topic: str) -> int:
        return self._publisher.limit(topic)

    async def _publish(self, events: Sequence[Outbound], *, stage: str) -> list[Rejected]:
        pending = list(events)
        rejected: list[Rejected] = []

        async def attempt() -> None:
            nonlocal pending
            try:
                counts, refused = await self._publisher.publish(pending)
            except PublishError as error:
                pending = error.remaining
                raise
            pending = []
            rejected.extend(refused)
            for topic, count in counts.items():
                metrics.PRODUCED.labels(self._service, topic).inc(count)

        if pending:
            await self._retry.run(stage, attempt, ambiguous_attempts=float("inf"))
        return rejected

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A transaction for an HTTP request; ``keep`` its :class:`Handled` before it ends.

        The connection goes back to the pool before the events are published: forgetting
        their outbox row takes a connection of its own, and a request waiting for Kafka must
        not hold one that other requests need.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            tx = Transaction(conn)
            yield tx
            events = list(tx.handled.events) if tx.handled is not None else []
            row_id = await self.store(conn, events)
        self.hold(row_id)
        if tx.handled is not None and tx.handled.after_commit is not None:
            try:
                tx.handled.after_commit()
            except Exception:
                # Committed: a failing callback must not make the request look failed.
                log.exception("after_commit callback failed")
        if events:
            await self._deliver_soon([row_id] if row_id is not None else [], events)

    async def _deliver_soon(self, row_ids: list[int], events: list[Outbound]) -> None:
        """Deliver, waiting at most ``request_wait``; the rest continues in the background."""
        delivery = asyncio.ensure_future(self.deliver(row_ids, events))
        try:
            await asyncio.wait_for(asyncio.shield(delivery), self.request_wait)
        except TimeoutError:
            log.warning(
                "a request's events are not acknowledged yet; still publishing",
                extra={"events": len(events)},
            )
            self._background.add(delivery)
            delivery.add_done_callback(self._settled)

    def _settled(self, delivery: asyncio.Future[None]) -> None:
        self._background.discard(delivery)
        if not delivery.cancelled() and delivery.exception() is not None:
            # Stopping mid-outage: the outbox row stays, and the relay publishes it later.
            log.warning(
                "background delivery stopped",
                extra={"error": type(delivery.exception()).__name__},
            )
