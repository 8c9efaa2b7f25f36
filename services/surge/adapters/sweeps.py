"""Expiry of the tables: subjects and baselines whose windows all ended, reporters gone quiet.

Event time drives it (each partition's newest event), so a replay expires what it expired
the first time; the wall clock only spaces the sweeps out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from services.surge import metrics
from services.surge.adapters.stores import RocksStore, on_disk, rocksdb_memory, store_of
from services.surge.adapters.tables import Deferred, Dirty, subject_ended_before
from services.surge.adapters.topology import PARTITIONS, Topology
from services.surge.core.policy import Policy
from services.surge.core.records import partition_for
from services.surge.core.reporters import expired
from services.surge.core.windows import SubjectState
from shared.topics import SURGE_BY_REPORTER, SURGE_BY_SUBJECT, TopicSpec

#: Keys read from disk per table, partition and sweep.
SWEEP_SLICE = 5_000

#: (stage, partition)
Watermark = tuple[str, int]


class Sweeps:
    """The stages' watermarks and the sweeps they trigger, at most one per stage and period."""

    def __init__(self, topology: Topology, *, policy: Policy, every: float, dirty: Dirty) -> None:
        self._topology = topology
        self._policy = policy
        self._every = every
        self._dirty = dirty
        self._watermarks: dict[Watermark, int] = {}
        self._swept: dict[Watermark, float] = {}
        #: Where each table's and partition's sweep on disk resumes (None: from the start).
        self._cursors: dict[tuple[str, int], bytes | None] = {}

    def subjects(self, partition: int, at: int) -> list[tuple[bytes, SubjectState]]:
        """Drop the subjects and baselines whose windows all ended.

        Returns the dropped subjects that had published windows, with their last state: the
        caller publishes what grew since (a flush), so a window's last figures go out even
        when the sweep comes before the flush.
        """
        if not self._due("subjects", partition, at):
            return []
        horizon = self._policy.horizon_seconds
        before = {
            p: mark - horizon for p, mark in self._marks("subjects", SURGE_BY_SUBJECT).items()
        }
        if not before:
            return []
        dropped = self._expire_subjects(before)
        self._expire_categories(before)
        self.update_sizes()
        return dropped

    def reporters(self, partition: int, at: int) -> None:
        """Drop the reporters inactive for longer than the retention."""
        if not self._due("reporters", partition, at):
            return
        now = self._marks("reporters", SURGE_BY_REPORTER)
        if not now:
            return
        table = self._topology.reporters
        store = store_of(table)
        if isinstance(store, RocksStore):
            self._sweep_on_disk(store, now)
            return
        retention = self._policy.reporter_retention_seconds
        latest = max(now.values())
        for key in list(table.keys()):
            state = table.get(key)
            if state is None or key.startswith(b"watching-since/"):
                continue
            if not expired(state, now=latest, retention_seconds=retention):
                continue  # the common case, decided without hashing the key
            where = partition_for(key.decode(), PARTITIONS)
            if where in now and expired(state, now=now[where], retention_seconds=retention):
                Deferred(table, where, self._dirty).delete(key)

    def _sweep_on_disk(self, store: RocksStore, now: dict[int, int]) -> None:
        """A slice of each partition's reporters, from where the last sweep stopped.

        Reading every reporter from disk at every sweep would cost seconds a sweep at a
        million of them; a slice of ``SWEEP_SLICE`` a partition goes round in minutes, well
        inside any retention.
        """
        table = self._topology.reporters
        retention = self._policy.reporter_retention_seconds
        for partition, key, state in self._slices("reporters", store, now):
            if key.startswith(b"watching-since/"):
                continue
            if expired(state, now=now[partition], retention_seconds=retention):
                Deferred(table, partition, self._dirty).delete(key)

    def _slices(
        self,
        name: str,
        store: RocksStore,
        partitions: dict[int, int],
        wanted: Callable[[int], Callable[[bytes], bool]] | None = None,
    ) -> Iterator[tuple[int, bytes, Any]]:
        """(partition, key, value) of the next slice of each partition's keys on disk.

        ``wanted`` (given the partition) picks the values on disk worth decoding.
        """
        for partition in partitions:
            at = (name, partition)
            entries, self._cursors[at] = store.scan_in(
                partition,
                after=self._cursors.get(at),
                limit=SWEEP_SLICE,
                wanted=None if wanted is None else wanted(partition),
            )
            for key, value in entries:
                yield partition, key, value

    def update_sizes(self) -> None:
        """The table-size gauges."""
        for name in ("subjects", "reporters", "categories"):
            table = getattr(self._topology, name)
            metrics.TABLE_KEYS.labels(name).set(store_of(table).count())
        stores = [store_of(getattr(self._topology, n)) for n in ("subjects", "reporters")]
        for part, size in rocksdb_memory(stores).items():
            metrics.ROCKSDB_BYTES.labels(part).set(size)

    def _due(self, stage: str, partition: int, at: int) -> bool:
        """Note the partition's newest event time; whether the stage's sweep is due.

        One sweep covers every partition of the stage: the stores hold the keys of all
        partitions together, so it reads each key once.
        """
        tp = (stage, partition)
        self._watermarks[tp] = max(at, self._watermarks.get(tp, at))
        now = time.monotonic()
        if now - self._swept.get((stage, -1), float("-inf")) < self._every:
            return False
        self._swept[(stage, -1)] = now
        return True

    def _marks(self, stage: str, spec: TopicSpec) -> dict[int, int]:
        """The newest event time of each partition of ``spec`` this process holds."""
        return {
            p: self._watermarks[(stage, p)]
            for p in self._topology.assigned(spec)
            if (stage, p) in self._watermarks
        }

    def _expire_subjects(self, before: dict[int, int]) -> list[tuple[bytes, SubjectState]]:
        store = on_disk(self._topology.subjects)
        return self._expire_on_disk(store, before)

    def _expire_on_disk(
        self, store: RocksStore, before: dict[int, int]
    ) -> list[tuple[bytes, SubjectState]]:
        """A slice of each partition's subjects on disk, from where the last sweep stopped.

        A subject past the horizon waits on disk until its slice comes round.
        """
        table = self._topology.subjects
        dropped = []
        ended = self._slices(
            "subjects", store, before, wanted=lambda p: subject_ended_before(before[p])
        )
        for partition, key, state in ended:
            if state is None or state.ended(before[partition]):
                Deferred(table, partition, self._dirty).delete(key)
                if state is not None and state.emitted:
                    dropped.append((key, state))
        return dropped

    def _expire_categories(self, before: dict[int, int]) -> None:
        table = self._topology.categories
        for key in list(table.keys()):
            where = int(key.split(b"/", 1)[0])
            stats = table.get(key)
            if where not in before or stats is None:
                continue
            if stats.ended(before[where]):
                Deferred(table, where, self._dirty).delete(key)
