"""Crible's key hash is the Java client's: checked against aiokafka's byte-by-byte port."""

from __future__ import annotations

import random

from aiokafka.partitioner import murmur2 as reference

from shared.murmur2 import murmur2, partition_for_key, partitions_for_keys


def test_same_hash_as_the_reference_for_every_length() -> None:
    rng = random.Random(7)
    for length in range(70):
        for _ in range(20):
            data = rng.randbytes(length)
            assert murmur2(data) & 0xFFFFFFFF == reference(data) & 0xFFFFFFFF


def test_known_placements() -> None:
    # Values the Java client gives (Utils.toPositive(Utils.murmur2(key)) % n).
    assert partition_for_key(b"", 8) == (reference(b"") & 0x7FFFFFFF) % 8
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482


def test_a_batch_of_keys_is_placed_as_one_key_at_a_time() -> None:
    rng = random.Random(11)
    keys = [rng.randbytes(rng.randrange(0, 40)) for _ in range(3000)]
    keys += [str(rng.getrandbits(63)).encode() for _ in range(3000)]  # surge's reporter keys
    rng.shuffle(keys)

    for partitions in (1, 8, 13):
        expected = [partition_for_key(key, partitions) for key in keys]
        assert partitions_for_keys(keys, partitions) == expected
    assert partitions_for_keys([], 8) == []
