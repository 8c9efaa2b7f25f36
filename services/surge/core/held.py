"""When a subject's held-back growth is flushed: once it went quiet, or after a bound.

A window that grew by less than the republish step waits for a flush to publish its last
figures. Flushing at every tick a subject that grows all the time (a busy one, every
report of the longest window) recomputed its figures at every tick, a cost that grows with
its windows; its figures go out at each republish step anyway. So a held subject is flushed
once it had no growth for ``quiet`` seconds, and at the latest ``at_most`` seconds after its
growth was first held back: then only its windows that ended, which grow no more. Flushing
every grown window of a busy subject at the bound republished each of its open windows
(22 with the default windows) every 15 seconds, most of surge's signals in a soak.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Held:
    partition: int
    #: When its growth was first held back since its last flush, and when it last grew.
    since: float
    grown: float


class HeldBack:
    """The subjects whose grown windows wait for a flush, and when each is due."""

    def __init__(self, *, quiet: float, at_most: float) -> None:
        self._quiet = quiet
        self._at_most = at_most
        self._held: dict[bytes, _Held] = {}

    def __len__(self) -> int:
        return len(self._held)

    def grew(self, key: bytes, partition: int, now: float) -> None:
        """``key`` (of ``partition``) grew at ``now`` and its growth is held back."""
        held = self._held.get(key)
        if held is None:
            self._held[key] = _Held(partition, now, now)
        else:
            held.partition = partition
            held.grown = now

    def flush_soon(self, key: bytes, partition: int) -> None:
        """Due at the next look (a subject found after a rebalance)."""
        self._held[key] = _Held(partition, float("-inf"), float("-inf"))

    def forget(self, key: bytes) -> None:
        """``key`` was flushed otherwise (a sweep)."""
        self._held.pop(key, None)

    def due(self, now: float) -> dict[bytes, tuple[int, bool]]:
        """The subjects due at ``now``: key -> (partition, whether it went quiet).

        They are no longer held. One due at the bound still grows: of its windows, only
        those that ended are final (:func:`~services.surge.core.stages.flush`).
        """
        out = {}
        for key, held in self._held.items():
            quiet = now - held.grown >= self._quiet
            if quiet or now - held.since >= self._at_most:
                out[key] = (held.partition, quiet)
        for key in out:
            del self._held[key]
        return out
