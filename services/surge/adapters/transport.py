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
again), records are held while the flow is suspended, and the acknowledged offsets are
deduplicated (those committed dropped) before faust picks the run to commit, so a duplicate
from any other path cannot slow commits down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, Message


class Consumer(driver.Consumer):
    """faust's aiokafka consumer: nothing fetched before a seek delivered after it."""

    #: Awaited before the offsets faust picked are committed (surge's held table writes).
    before_commit: Callable[[], Awaitable[None]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Seeks per partition, and their number when the batch being delivered was fetched.
        self._seeks: dict[TP, int] = {}
        self._fetched_after: dict[TP, int] = {}

    async def perform_seek(self) -> None:
        """Seek every partition to its committed offset, as faust does; count the seeks."""
        committed = await self.seek_to_committed()
        for tp, offset in committed.items():
            if offset is not None and offset > 0:  # the partitions aiokafka seeks
                self._seeks[tp] = self._seeks.get(tp, 0) + 1
            self._read_offset[tp] = offset if offset is not None and offset >= 0 else None
            if offset is not None:
                self._committed_offset[tp] = offset or None

    def seek_state(self, tp: TP) -> dict[str, int]:
        """Seeks of ``tp`` so far, and when the batch being delivered was fetched (a log)."""
        return {"seeks": self._seeks.get(tp, 0), "fetched_after": self._fetched_after.get(tp, 0)}

    async def _wait_next_records(self, timeout: float) -> Any:  # noqa: ASYNC109 - faust's
        fetched = await super()._wait_next_records(timeout)
        self._fetched_after = dict(self._seeks)
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
                await self.can_resume_flow.wait()
                held = self.assignment()
            if held is not None and tp not in held:
                continue  # moved away meanwhile: its new owner reads it
            if self._seeks.get(tp, 0) == self._fetched_after.get(tp, 0):
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
