"""Crible's key hash is the Java client's: checked against aiokafka's byte-by-byte port."""

from __future__ import annotations

import random

from aiokafka.partitioner import murmur2 as reference

from shared.murmur2 import murmur2, partition_for_key


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
