"""The surge app's tables: their codecs, and writes held until faust commits.

faust writes a changelog record at every assignment to a table, from the partition of the
event being handled. Surge holds its writes per key instead (:class:`Deferred`) and hands
them to faust's producer when faust starts a commit (:class:`WriteBeforeCommit`), so that
they are flushed before the offsets of the messages that changed them are committed, each
from the partition it belongs to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import faust
import orjson
from faust.serializers import codecs
from faust.types import ConsumerT, TableT

from services.surge.baseline import CategoryStats
from services.surge.reporters import ReporterState
from services.surge.windows import SubjectState


class StateCodec(codecs.Codec):
    """A table's values as JSON (orjson), through the state's own wire form."""

    def __init__(self, to_wire: Callable[[Any], Any], from_wire: Callable[[Any], Any]) -> None:
        super().__init__()
        self._to_wire = to_wire
        self._from_wire = from_wire

    def _dumps(self, obj: Any) -> bytes:
        return orjson.dumps(self._to_wire(obj))

    def _loads(self, s: bytes) -> Any:
        return self._from_wire(orjson.loads(s))


def subject_codec() -> StateCodec:
    """The subjects table's codec."""
    return StateCodec(SubjectState.to_wire, SubjectState.from_wire)


def reporter_codec() -> StateCodec:
    """The reporters table's codec."""
    return StateCodec(ReporterState.to_wire, ReporterState.from_wire)


def category_codec() -> StateCodec:
    """The category baselines' codec."""
    return StateCodec(CategoryStats.to_wire, CategoryStats.from_wire)


#: Table writes held until the next commit: (table, key) -> (table, partition).
Dirty = dict[tuple[str, bytes], tuple[TableT[bytes, Any], int]]


class Deferred:
    """A table seen from one partition: reads from its store, writes held until the commit.

    faust writes a changelog record at every assignment, and from the partition of the
    event being handled. Here a hot subject's state (every report of the last hour) would be
    written once per message: held until the next commit, a key is written once per commit
    interval, from the partition given, and always before the offsets of the messages that
    changed it are committed (:class:`WriteBeforeCommit`). A crash loses only writes whose
    messages are read again.
    """

    def __init__(self, table: TableT[bytes, Any], partition: int, dirty: Dirty) -> None:
        self._table = table
        self._partition = partition
        self._dirty = dirty

    def get(self, key: bytes) -> Any:
        """The value of ``key`` in the table's store."""
        return self._table.data.get(key)

    def __setitem__(self, key: bytes, value: Any) -> None:
        """Store ``value``; its changelog record is written at the next commit."""
        self._table.data[key] = value
        self._dirty[(self._table.name, key)] = (self._table, self._partition)

    def delete(self, key: bytes) -> None:
        """Forget ``key``; a tombstone is written at the next commit."""
        with contextlib.suppress(KeyError):
            del self._table.data[key]
        self._dirty[(self._table.name, key)] = (self._table, self._partition)


def write_held(dirty: Dirty) -> None:
    """Hand every held table write to faust's producer (flushed before the commit)."""
    for (_name, key), (table, partition) in list(dirty.items()):
        value = table.data.get(key)
        if value is None:
            table.send_changelog(partition, key, None, value_serializer="raw")
        else:
            table.send_changelog(partition, key, value)
    dirty.clear()


class WriteBeforeCommit(faust.Sensor):
    """Writes the held table changes when faust starts a commit.

    That is before it flushes its producer and commits the offsets.
    """

    def __init__(self, dirty: Dirty) -> None:
        super().__init__()
        self._dirty = dirty

    def on_commit_initiated(self, consumer: ConsumerT) -> Any:  # noqa: ARG002 - faust's API
        """About to commit: the held writes go first."""
        write_held(self._dirty)
