"""faust's Kafka consumer with its offset bookkeeping made safe for surge's topics.

faust-streaming 0.15.3 can lose records and let the committed offsets of a restarted app
crawl, one offset per commit, for minutes:

- once the tables are recovered, faust resumes the stream partitions and then seeks them to
  their committed offsets, one round trip per partition. The fetcher delivers records in
  between; those still queued when the flow resumes are dropped, to be read again from the
  committed offset. But the rest of the batch fetched before the seek is still delivered
  after it: its first record looks like it follows a hole, which faust counts as
  acknowledged (the "gap": the dropped records, and that record too). The dropped ones are
  committed unprocessed, and the records fetched again are discarded as read already;
- a record fetched after that seek but before the flow resumes is dropped by faust's
  fetch loop (its delivery is cancelled by the suspended flow) and counted as read: its
  partition stops until the next rebalance, and the watchdog restarts the process;
- its list of acknowledged offsets then holds offsets twice, and it commits only the first
  run of consecutive offsets of that sorted list: with duplicates, a run is two long.

Here the records fetched before a partition was sought are skipped (the seek fetches them
again; each seek is counted the moment it is made, in the consumer's thread), records are
held while the flow is suspended, and the acknowledged offsets are deduplicated (those
committed dropped) before faust picks the run to commit, so a duplicate from any other path
cannot slow commits down.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, Message


class ConsumerThread(driver.AIOKafkaConsumerThread):
    """aiokafka's side of faust's consumer: a seek is counted the moment it is made.

    aiokafka seeks partition after partition, looking each committed offset up in between;
    a partition sought early is fetched again before the last is sought. Counted only once
    every seek was done, records fetched after their own seek looked fetched before it and
    were skipped, while the position had already moved past them: lost until the next
    rebalance. Seeks and the snapshot taken when a fetch returns are both made here, in the
    consumer's own thread, so their order is the order in which they happened.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Seeks per partition (written in this thread only).
        self.seeks: dict[TP, int] = {}
        #: The seeks when the last fetch returned.
        self.fetched_after: dict[TP, int] = {}

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every assigned partition to its committed offset, as aiokafka does."""
        return cast(Mapping[TP, int], await self.call_thread(self._seek_to_committed))

    async def _seek_to_committed(self) -> dict[TP, int | None]:
        consumer = self._ensure_consumer()
        committed: dict[TP, int | None] = {}
        for tp in consumer.assignment():
            offset = await consumer.committed(tp)
            committed[tp] = offset
            if offset and offset > 0:  # aiokafka seeks only these
                consumer.seek(tp, offset)
                self.seeks[tp] = self.seeks.get(tp, 0) + 1
        return committed

    async def seek_counted(self, tp: TP, offset: int) -> None:
        """Seek ``tp`` to ``offset`` in the consumer's thread, counted with the others."""
        await self.call_thread(self._seek_counted, tp, offset)

    async def _seek_counted(self, tp: TP, offset: int) -> None:
        self._ensure_consumer().seek(tp, offset)
        self.seeks[tp] = self.seeks.get(tp, 0) + 1

    async def _fetch_records(
        self,
        consumer: Any,
        active_partitions: Any,
        timeout: float | None = None,  # noqa: ASYNC109 - faust's signature
        max_records: int | None = None,
    ) -> Any:
        records = await super()._fetch_records(
            consumer, active_partitions, timeout=timeout, max_records=max_records
        )
        self.fetched_after = dict(self.seeks)
        return records


class Consumer(driver.Consumer):
    """faust's aiokafka consumer: nothing fetched before a seek delivered after it."""

    #: Awaited before the offsets faust picked are committed (surge's held table writes).
    before_commit: Callable[[], Awaitable[None]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The seeks when the batch being delivered was fetched.
        self._fetched_after: dict[TP, int] = {}
        #: For a stall's diagnosis: records skipped per partition, the last fetch's time,
        #: and whether a fetched record waits for the flow now.
        self._skipped: dict[TP, int] = {}
        self._fetched_at = 0.0
        self._waiting_for_flow = False

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    @property
    def _seeks(self) -> dict[TP, int]:
        return cast(ConsumerThread, self._thread).seeks

    def seek_state(self, tp: TP) -> dict[str, object]:
        """What this consumer did with ``tp``'s records (a stall's diagnosis, for the log)."""
        return {
            "seeks": self._seeks.get(tp, 0),
            "fetched_after": self._fetched_after.get(tp, 0),
            "skipped": self._skipped.get(tp, 0),
            "last_fetch_s_ago": round(time.monotonic() - self._fetched_at, 1),
            "waiting_for_flow": self._waiting_for_flow,
        }

    async def read_again(self, tp: TP, offset: int) -> None:
        """Fetch ``tp`` again from ``offset`` and hand its records over from there."""
        await cast(ConsumerThread, self._thread).seek_counted(tp, offset)
        self._read_offset[tp] = offset

    async def _wait_next_records(self, timeout: float) -> Any:  # noqa: ASYNC109 - faust's
        fetched = await super()._wait_next_records(timeout)
        self._fetched_after = cast(ConsumerThread, self._thread).fetched_after
        self._fetched_at = time.monotonic()
        return fetched

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # noqa: ASYNC109
        """The records of one fetch, less those of partitions sought since.

        A record is held while the flow is suspended: once its tables are recovered faust
        resumes the stream partitions and seeks them *before* it resumes the flow, and its
        fetch loop drops a record that arrives in between (its delivery is cancelled by the
        suspension) while counting it as read; nothing reads it again until the next seek.
        """
        held: set[TP] | None = None  # the assignment once the fetch had to wait
        async for tp, message in super().getmany(timeout):
            if not self.flow_active:
                self._waiting_for_flow = True
                await self.can_resume_flow.wait()
                self._waiting_for_flow = False
                held = self.assignment()
            if (held is not None and tp not in held) or self._seeks.get(
                tp, 0
            ) != self._fetched_after.get(tp, 0):
                # Moved away meanwhile (its new owner reads it), or fetched before a seek
                # (which fetches it again).
                self._skipped[tp] = self._skipped.get(tp, 0) + 1
                continue
            yield tp, message

    async def _commit_offsets(
        self,
        offsets: Mapping[TP, int],
        start_new_transaction: bool = True,  # noqa: FBT001, FBT002 - faust's signature
    ) -> bool:
        if self.before_commit is not None:
            await self.before_commit()
        return await super()._commit_offsets(offsets, start_new_transaction)

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked:
            kept = sorted({o for o in acked if committed is None or o >= committed})
            if len(kept) != len(acked):
                self._acked_index[tp].intersection_update(kept)
                acked[:] = kept
        return super()._new_offset(tp)


class Transport(driver.Transport):
    """faust's aiokafka transport, with :class:`Consumer`."""

    Consumer = Consumer


class App(faust.App):
    """A faust app on :class:`Transport`."""

    def _new_transport(self) -> Any:
        return Transport(self.conf.broker_consumer, self)
