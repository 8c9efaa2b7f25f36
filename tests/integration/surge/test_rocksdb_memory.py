"""RocksDB's memory in a surge process is bounded whatever the partitions it holds."""

from __future__ import annotations

import os
from pathlib import Path

from services.surge.adapters.stores import (
    ROCKSDB_MEMORY,
    ROCKSDB_OPTIONS,
    RocksStore,
    SharedMemoryOptions,
    rocksdb_memory,
    shared_memory,
    store_of,
)
from services.surge.adapters.topology import Topology
from services.surge.config import SurgeSettings
from services.surge.core.windows import SubjectState
from shared.config import Settings
from tests.unit.bounded_memory import assert_memory_levels_off
from tests.unit.surge.helpers import annotated

#: What the process may hold beyond the bound: RocksDB's own structures per database.
SLACK = 24 * 1024**2


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_eight_partitions_written_and_read_stay_within_the_process_bound(tmp_path: Path) -> None:
    options = SharedMemoryOptions(**ROCKSDB_OPTIONS, use_rocksdict=True)
    before = _rss()
    dbs = [options.open(tmp_path / f"reporters-{p}.db") for p in range(8)]
    try:
        # 8 x 20 MiB of values that do not compress, written and read: with a 16 MiB cache and
        # two 8 MiB write buffers per database (as before), eight held about 190 MiB.
        for n in range(8 * 20 * 1024):
            dbs[n % 8][b"reporter-%d" % n] = os.urandom(1024)
        for n in range(8 * 20 * 1024):  # every block read once: caches fill up
            assert len(dbs[n % 8][b"reporter-%d" % n]) == 1024
        grown = _rss() - before
        cache, write_buffers = shared_memory()
    finally:
        for db in dbs:
            db.close()

    assert write_buffers.get_usage() <= write_buffers.get_buffer_size()
    assert cache.get_usage() <= ROCKSDB_MEMORY
    assert grown < ROCKSDB_MEMORY + SLACK, f"{grown / 2**20:.0f} MiB"


async def test_subjects_on_disk_keep_a_bounded_part_in_memory(tmp_path: Path) -> None:
    """The subjects table on disk: its Python memory stops growing once the decoded subjects
    it keeps reach their bound, however many subjects (and reports) it holds on disk."""
    surge = SurgeSettings(data_dir=tmp_path, subjects_hot_mib=0.25)
    store = store_of(Topology(Settings(), surge).subjects)  # no broker: the store alone
    assert isinstance(store, RocksStore)
    links = tuple(range(8))

    def touch(n: int) -> None:
        # A report on a subject of its own (the soak's sparse subjects), committed in
        # batches of 500 as the held writes are.
        key, partition = b"channel:s%d" % n, n % 8
        state = store.get_in(partition, key) or SubjectState()
        state.add(annotated(n, subject=f"s{n}", others=links), bucket_seconds=60)
        store.put_in(partition, key, state)
        if n % 500 == 499:
            for p in range(8):
                store.write_out(p, store.unwritten(p))
            store.persist()

    # 3,000 subjects of ~200 bytes stored (about 600 KB) fill the 256 KiB kept decoded
    # twice over; 9,000 more would triple the memory of a store without the bound.
    assert_memory_levels_off(touch, bound=3_000)
    assert store.hot_weight() <= 2**18
    # What the process reports of RocksDB's memory (crible_surge_rocksdb_bytes): the subjects
    # just written sit in write buffers charged to the one cache, which stays within its bound.
    parts = rocksdb_memory([store])
    assert 0 < parts["memtables"] <= parts["cache"] <= ROCKSDB_MEMORY
    assert parts["cache_pinned"] <= parts["cache"]
    assert parts["table_readers"] >= 0
    for n in (0, 6_000, 11_999):  # every subject is still there, counted once
        state = store.get_in(n % 8, b"channel:s%d" % n)
        assert state is not None
        assert state.total() == 1
    await store.stop()
