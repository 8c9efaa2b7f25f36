"""RocksDB's memory in a surge process is bounded whatever the partitions it holds."""

from __future__ import annotations

import os
from pathlib import Path

from services.surge.adapters.stores import (
    ROCKSDB_MEMORY,
    ROCKSDB_OPTIONS,
    SharedMemoryOptions,
    shared_memory,
)

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
