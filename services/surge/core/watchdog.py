"""Notices an agent that stopped consuming while its partitions have lag.

faust restarts an agent that raises, but an agent can also hang or die without a trace
after long runs: its partitions stay assigned to the process and nothing moves. The
watchdog compares, per partition, the next offset to process with the high-water mark: lag
that does not move for ``reread_seconds`` is read again from the next offset to process
(faust's consumer can lose track of records around a rebalance), and lag that does not move
for ``stall_seconds`` is a stall: the process exits non-zero so that its supervisor
(``crible run all``, or Kubernetes) starts a fresh one.

A partition whose records an agent has in hand and is working through (it says so at least
every few seconds: :meth:`Watchdog.working_on`) is neither: behind a backlog, one batch of
a slow stage can take longer than either delay, and reading its partitions again threw
that work away, until the process exited and started over (three restarts in a soak). An
agent that hangs with records in hand stops saying so, and is a stall again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: (topic as on the wire, partition)
Partition = tuple[str, int]


@dataclass(slots=True)
class _Progress:
    next_offset: int
    moved_at: float
    reread_at: float = float("-inf")


class Watchdog:
    """Progress per partition, as the agents report it, against the high-water marks."""

    def __init__(
        self, *, stall_seconds: float, clock: Callable[[], float], reread_seconds: float = 15.0
    ):
        self._stall = stall_seconds
        self._reread = reread_seconds
        self._clock = clock
        self._progress: dict[Partition, _Progress] = {}
        #: Partitions whose records an agent holds, and when it last said it works on them.
        self._in_hand: dict[Partition, float] = {}

    def processed(self, topic: str, partition: int, offset: int) -> None:
        """An agent is done with ``offset`` of ``topic``/``partition``."""
        tp = (topic, partition)
        current = self._progress.get(tp)
        if current is None:
            self._progress[tp] = _Progress(offset + 1, self._clock())
        elif offset + 1 > current.next_offset:
            current.next_offset = offset + 1
            current.moved_at = self._clock()

    def working_on(self, topic: str, partitions: Iterable[int]) -> None:
        """An agent holds records of ``partitions`` and is working through them now."""
        now = self._clock()
        for partition in partitions:
            self._in_hand[(topic, partition)] = now

    def done_with(self, topic: str, partitions: Iterable[int]) -> None:
        """An agent no longer holds records of ``partitions`` (done, or failed)."""
        for partition in partitions:
            self._in_hand.pop((topic, partition), None)

    def start(self, tp: Partition, position: int) -> None:
        """Where a newly assigned partition starts (before any record is processed)."""
        if tp not in self._progress:
            self._progress[tp] = _Progress(position, self._clock())

    def known(self, tp: Partition) -> bool:
        """Whether the partition's starting point or progress is known."""
        return tp in self._progress

    def forget(self, keep: set[Partition]) -> None:
        """Drop the partitions no longer assigned (they may come back at another offset)."""
        for tp in [tp for tp in self._progress if tp not in keep]:
            del self._progress[tp]
        for tp in [tp for tp in self._in_hand if tp not in keep]:
            del self._in_hand[tp]

    def lag(self, highwaters: Mapping[Partition, int]) -> dict[Partition, int]:
        """Records between each known partition's progress and its high-water mark."""
        return {
            tp: max(0, hw - self._progress[tp].next_offset)
            for tp, hw in highwaters.items()
            if tp in self._progress
        }

    def stalled(self, highwaters: Mapping[Partition, int]) -> list[Partition]:
        """Partitions with lag whose progress has not moved for ``stall_seconds``."""
        return self._still(highwaters, self._stall)

    def to_read_again(self, highwaters: Mapping[Partition, int]) -> dict[Partition, int]:
        """Partitions whose lag has not moved for ``reread_seconds``, and where to read from.

        The next offset to process, once per ``reread_seconds`` of no progress: records the
        consumer lost track of around a rebalance are read again from there before the
        process gives up at ``stall_seconds``.
        """
        now = self._clock()
        due = {}
        for tp in self._still(highwaters, self._reread):
            progress = self._progress[tp]
            if now - max(progress.moved_at, progress.reread_at) >= self._reread:
                progress.reread_at = now
                due[tp] = progress.next_offset
        return due

    def _still(self, highwaters: Mapping[Partition, int], seconds: float) -> list[Partition]:
        now = self._clock()
        still = []
        for tp, lag in self.lag(highwaters).items():
            progress = self._progress[tp]
            if lag == 0:
                progress.moved_at = now  # idle, not stalled: the clock starts at new lag
            elif now - self._in_hand.get(tp, float("-inf")) < seconds:
                continue  # slow, not stalled: its agent works through its records
            elif now - progress.moved_at >= seconds:
                still.append(tp)
        return still
