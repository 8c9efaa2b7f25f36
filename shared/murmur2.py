"""Kafka's key hash (MurmurHash2, the Java client's ``Utils.murmur2``), in fewer Python steps.

aiokafka's version works byte by byte; this one reads the key four bytes at a time. The
partition of a key is ``(murmur2(key) & 0x7FFFFFFF) % partitions``, as in the Java client's
``BuiltInPartitioner.partitionForKey``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """The signed 32-bit MurmurHash2 of ``data``, as the Java client computes it."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length & ~3
    for (word,) in struct.iter_unpack("<I", data[:whole]):
        k = (word * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    extra = length & 3
    if extra:
        if extra >= 3:
            h ^= data[whole + 2] << 16
        if extra >= 2:
            h ^= data[whole + 1] << 8
        h ^= data[whole]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition the Java client puts ``key`` on, among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def partitions_for_keys(keys: Sequence[bytes], partitions: int) -> list[int]:
    """:func:`partition_for_key` of every key, the keys of one length hashed together.

    A batch of keys costs a few array operations per length instead of a Python loop per
    key: the surge intake places every report by its reporter, mostly a new one each time.
    """
    import numpy as np  # noqa: PLC0415 - only here: every service's publisher imports this module

    out = [0] * len(keys)
    by_length: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        by_length.setdefault(len(key), []).append(i)
    for length, where in by_length.items():
        rows = np.frombuffer(b"".join([keys[i] for i in where]), dtype=np.uint8)
        hashes = _murmur2_rows(rows.reshape(len(where), length))
        for i, placed in zip(where, ((hashes & 0x7FFFFFFF) % partitions).tolist(), strict=True):
            out[i] = placed
    return out


def _murmur2_rows(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """The unsigned MurmurHash2 of each row of equal-length keys (uint32 wraps as Java's int)."""
    import numpy as np  # noqa: PLC0415 - as above

    count, length = rows.shape
    m = np.uint32(_M)
    h = np.full(count, (_SEED ^ length) & _MASK, dtype=np.uint32)
    whole = length & ~3
    words = np.ascontiguousarray(rows[:, :whole]).view("<u4")
    for column in range(whole // 4):
        k = words[:, column] * m
        k ^= k >> np.uint32(24)
        k *= m
        h *= m
        h ^= k
    extra = length & 3
    if extra:
        if extra >= 3:
            h ^= rows[:, whole + 2].astype(np.uint32) << np.uint32(16)
        if extra >= 2:
            h ^= rows[:, whole + 1].astype(np.uint32) << np.uint32(8)
        h ^= rows[:, whole].astype(np.uint32)
        h *= m
    h ^= h >> np.uint32(13)
    h *= m
    h ^= h >> np.uint32(15)
    return h
