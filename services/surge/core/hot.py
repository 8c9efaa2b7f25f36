"""The decoded values used most recently, bounded by the size of their stored form.

A table on disk decodes a value at every read: a subject read at every report would be
decoded (and its words copied) each time. The hot part of a table stays decoded here; the
rest is on disk only. The bound counts the bytes of each value's stored form, which the
store has in hand (decoded, a subject takes about as much: its words are 8-byte arrays).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class Hot:
    """Least recently used values, each weighed by its stored form, up to ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        #: key -> (partition, value, weight), least recently used first.
        self._entries: OrderedDict[bytes, tuple[int, Any, int]] = OrderedDict()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes) -> Any:
        """The value of ``key`` (now the most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def peek(self, key: bytes) -> Any:
        """The value of ``key``, or None, leaving the order as it is (a sweep's read)."""
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def put(self, partition: int, key: bytes, value: Any, weight: int) -> None:
        """Keep ``value``; the least recently used go while the total is over the limit."""
        self.pop(key)
        if weight > self.limit:
            return  # larger than the whole bound: read from disk each time
        self._entries[key] = (partition, value, weight)
        self.weight += weight
        while self.weight > self.limit:
            _key, (_partition, _value, dropped) = self._entries.popitem(last=False)
            self.weight -= dropped

    def pop(self, key: bytes) -> None:
        """Forget ``key``."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.weight -= entry[2]

    def drop_partition(self, partition: int) -> None:
        """Forget every value of ``partition`` (it moved, or its database is gone)."""
        for key in [k for k, (p, _v, _w) in self._entries.items() if p == partition]:
            self.pop(key)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self.weight = 0
