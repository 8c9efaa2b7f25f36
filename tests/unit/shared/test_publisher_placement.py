"""Where the publisher puts keyed records, and what remembering them costs."""

from __future__ import annotations

import uuid

from shared.murmur2 import partition_for_key
from shared.runtime.publisher import PLACED_KEYS, partition_of
from tests.unit.bounded_memory import assert_memory_levels_off


def test_a_key_goes_where_the_java_client_puts_it_also_after_partitions_are_added() -> None:
    key = b"7d3f6c1e-0a4b-5c2d-8e9f-112233445566"
    assert partition_of(key, list(range(8))) == partition_for_key(key, 8)
    assert partition_of(key, list(range(12))) == partition_for_key(key, 12)
    assert partition_of(key, list(range(8))) == partition_for_key(key, 8)


def test_memory_for_placements_levels_off_however_many_keys_pass() -> None:
    partitions = list(range(8))
    assert_memory_levels_off(
        lambda n: partition_of(str(uuid.UUID(int=n)).encode(), partitions), bound=PLACED_KEYS
    )
