"""Notices an agent that stopped consuming while its partitions have lag.

faust restarts an agent that raises, but an agent can also hang or die without a trace
after long runs: its partitions stay assigned to the process and nothing moves. The
watchdog compares, per partition, the next offset to process with the high-water mark: lag
that does not move for ``reread_seconds`` is read again from the next offset to process
(faust's consumer can lose track of records around a rebalance), and lag that does not move
for ``stall_seconds`` is a stall: the process exits non-zero so that its supervisor
(``crible run all``, or Kubernetes) starts a fresh one.

While an agent works through a batch of a topic (it says so at the batch's start, at least
every few seconds through it, and at its end: :meth:`Watchdog.working_on`), no partition of
that topic is either: behind a backlog, one batch of a slow stage can take longer than
either delay, and reading its partitions again threw that work away, until the process
exited and started over (three restarts in a soak). The partitions not in the batch wait
behind it in faust's buffer, for the same agent: their clock starts again where it ends. An
agent that hangs stops saying so, and its partitions stall again. What this gives up: a
partition faust lost track of while its agent works through a backlog back to back is read
again only once the backlog is through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
        #: When an agent last said it works through records of a topic.
        self._busy: dict[str, float] = {}

    def processed(self, topic: str, partition: int, offset: int) -> None:
        """An agent is done with ``offset`` of ``topic``/``partition``."""
        tp = (topic, partition)
        current = self._progress.get(tp)
        if current is None:
            self._progress[tp] = _Progress(offset + 1, self._clock())
        elif offset + 1 > current.next_offset:
            current.next_offset = offset + 1
            current.moved_at = self._clock()

    def working_on(self, topic: str) -> None:
        """An agent of ``topic`` works through records of it now (or just finished)."""
        self._busy[topic] = self._clock()

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
            elif now - max(progress.moved_at, self._busy.get(tp[0], float("-inf"))) >= seconds:
                still.append(tp)  # neither moved nor behind a batch of its agent's
        return still
