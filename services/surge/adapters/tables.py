"""The surge app's tables: their codecs, and writes held until faust commits.

faust writes a changelog record at every assignment to a table, from the partition of the
event being handled. Surge holds its writes per key instead (:class:`Deferred`), sets them
aside when faust starts a commit (:class:`SnapshotBeforeCommit`) and writes them to the
changelogs itself before faust commits the offsets it picked (:class:`HeldWrites`), each
from the partition it belongs to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import faust
import orjson
from aiokafka import AIOKafkaProducer
from faust.serializers import codecs
from faust.types import TP, ConsumerT, TableT

from services.surge.adapters.stores import store_of
from services.surge.core.baseline import CategoryStats
from services.surge.core.reporters import ReporterState
from services.surge.core.windows import SubjectState


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


#: Between a subject's key and a bucket's start in the key of the bucket's record: subject
#: keys are made of platform ids, which refuse NUL.
PART = b"\x00"


def part_key(key: bytes, start: int) -> bytes:
    """The key of the record of ``key``'s bucket of ``start`` (after its head's, in order)."""
    return key + PART + start.to_bytes(8, "big", signed=True)


class SubjectCodec(codecs.Codec):
    """The subjects table's codec: a subject is a head record and a record per bucket.

    A busy subject holds an hour of buckets, of which a commit interval changes one or two:
    written whole, the hour was written and encoded again at every commit. Here a write
    carries the head and the buckets changed (:class:`~services.surge.core.windows.Changes`,
    a tombstone for each bucket gone), the head last. A crash between them leaves at
    worst a head naming a bucket older than it, or a bucket no head names yet: the reports
    behind either are read again, their offsets not committed, and written again.
    Subjects written whole by an earlier version are read, and rewritten as parts.
    """

    def _dumps(self, obj: Any) -> bytes:  # noqa: ARG002 - never called
        raise TypeError(f"a subject is written as records ({type(self).__name__}.records)")

    def _loads(self, s: bytes) -> Any:
        """A changelog record as it is.

        faust decodes each record it restores; the store copies them as they are, and
        :meth:`assemble` reads a subject from them.
        """
        return s

    def records(self, key: bytes, value: SubjectState) -> list[tuple[bytes, bytes | None]]:
        """The records of what changed in ``value`` since its last write, its head last."""
        changes = value.changes()
        out: list[tuple[bytes, bytes | None]] = []
        for start, bucket in changes.buckets:
            raw = orjson.dumps(bucket)
            value.sizes[start] = len(raw)
            out.append((part_key(key, start), raw))
        for start in changes.gone:
            value.sizes.pop(start, None)
            out.append((part_key(key, start), None))
        out.append((key, orjson.dumps(changes.head)))
        return out

    def record_keys(self, key: bytes, value: SubjectState) -> list[bytes]:
        """The key of every record ``value`` has, or had since its last write."""
        return [key, *(part_key(key, start) for start in value.records())]

    def head_keys(self, key: bytes, head: bytes) -> list[bytes]:
        """The key of every record of the subject whose head is ``head``."""
        starts = SubjectState.head_starts(orjson.loads(head))
        return [key, *(part_key(key, start) for start in starts)]

    def assemble(
        self, key: bytes, head: bytes, read: Callable[[bytes], bytes | None]
    ) -> SubjectState:
        """The subject whose head is ``head``, its buckets' records fetched by ``read``."""
        wire = orjson.loads(head)
        buckets, sizes = {}, {}
        for start in SubjectState.head_starts(wire):
            raw = read(part_key(key, start))
            if raw is not None:
                buckets[start] = orjson.loads(raw)
                sizes[start] = len(raw)
        state = SubjectState.from_parts(wire, buckets)
        state.sizes = sizes
        return state

    def is_part(self, key: bytes) -> bool:
        """Whether ``key`` is a bucket's record."""
        return len(key) > 9 and key[-9:-8] == PART

    def head_of(self, key: bytes) -> bytes:
        """The key of the subject a record belongs to."""
        return key[:-9] if self.is_part(key) else key

    def weight(self, value: SubjectState, head: int) -> int:
        """The bytes of ``value``'s records as last written or read (``head``: its head's)."""
        return head + sum(value.sizes.values())


def subject_codec() -> SubjectCodec:
    """The subjects table's codec."""
    return SubjectCodec()


def subject_ended_before(before: int) -> Callable[[bytes], bool]:
    """A test of a subject's stored head: whether its windows all ended before ``before``.

    Read from its JSON (:func:`subject_codec`), its buckets left on disk.
    """
    return lambda raw: SubjectState.wire_ended(orjson.loads(raw), before)


def subject_published(raw: bytes) -> bool:
    """Whether a subject's stored head names published windows (its buckets left on disk)."""
    return SubjectState.wire_emitted(orjson.loads(raw))


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
    changed it are committed (:class:`HeldWrites`). A crash loses only writes whose
    messages are read again.
    """

    def __init__(self, table: TableT[bytes, Any], partition: int, dirty: Dirty) -> None:
        self._table = table
        self._partition = partition
        self._dirty = dirty

    def get(self, key: bytes) -> Any:
        """The value of ``key`` in the table's store."""
        return store_of(self._table).get_in(self._partition, key)

    def __setitem__(self, key: bytes, value: Any) -> None:
        """Store ``value``; its changelog record is written at the next commit."""
        store_of(self._table).put_in(self._partition, key, value)
        self._dirty[(self._table.name, key)] = (self._table, self._partition)

    def delete(self, key: bytes) -> None:
        """Forget ``key``; a tombstone is written at the next commit."""
        store_of(self._table).delete_in(self._partition, key)
        self._dirty[(self._table.name, key)] = (self._table, self._partition)


class HeldWrites:
    """The table writes held since the last commit, written to the changelogs before it.

    faust's own changelog writes go through its producer buffer, a few tasks and futures
    per record: at one reporter written per report that cost about as much as the
    detection. These are sent with a plain aiokafka producer, in batches built per
    changelog partition, all of a commit at once.
    """

    def __init__(self) -> None:
        #: What the stages changed since the last snapshot.
        self.dirty: Dirty = {}
        self._pending: Dirty = {}
        #: Held by the subject stage from its first change to a subject until the signals
        #: that change calls for are handed to the producer, and by :meth:`write` while it
        #: reads the values (no await): every signal a value read records is in the producer.
        self.publishing = asyncio.Lock()
        #: One write at a time (a commit's and a revocation's): each persists what it read.
        self._writing = asyncio.Lock()

    def snapshot(self) -> None:
        """Set aside what changed so far: faust is about to pick the offsets to commit."""
        self._pending.update(self.dirty)
        self.dirty.clear()

    async def write(
        self,
        producer: AIOKafkaProducer,
        *,
        owned: Callable[[TP], bool],
        signals_out: Callable[[], Awaitable[None]],
    ) -> None:
        """Send the writes set aside to their changelogs, acknowledged by the broker.

        A value is read from the store as it is now: newer than its offsets is harmless
        (the messages read again change nothing), older never. Since a replay publishes
        nothing either, the values are read while no stage is between a change and its
        signals (:attr:`publishing`), and written (to disk, then to the changelogs) only
        once every signal sent before is on the broker (``signals_out`` flushes them; the
        stages go on meanwhile). Records are appended to batches per changelog partition,
        sent whole. A write of a changelog partition the process no longer holds (``owned``
        says) is dropped: its new owner writes there now, and reads again the messages
        behind it.
        """
        async with self._writing:
            async with self.publishing:
                by_partition = self._read_out(owned)
            await signals_out()
            for table in {table for table, _partition in by_partition}:
                store_of(table).persist()
            await self._send(producer, by_partition)

    async def _send(
        self,
        producer: AIOKafkaProducer,
        by_partition: dict[tuple[TableT[bytes, Any], int], list[tuple[bytes, bytes | None]]],
    ) -> None:
        """Send the records to their changelogs; note each partition's newest offset."""
        sent = []
        for (table, partition), records in by_partition.items():
            topic = table.changelog_topic.get_topic_name()
            for batch, count in _batches(producer, records):
                future = await producer.send_batch(batch, topic, partition=partition)
                sent.append((table, partition, count, future))
        newest: dict[tuple[TableT[bytes, Any], int], int] = {}
        for table, partition, count, future in sent:
            meta = await future  # the batch's first offset
            at = (table, partition)
            newest[at] = max(meta.offset + count - 1, newest.get(at, -1))
        for (table, partition), offset in newest.items():
            # A persistent store (RocksDB) restores from there after a restart.
            tp = TP(table.changelog_topic.get_topic_name(), partition)
            table.data.set_persisted_offset(tp, offset)  # type: ignore[attr-defined]

    def _read_out(
        self, owned: Callable[[TP], bool]
    ) -> dict[tuple[TableT[bytes, Any], int], list[tuple[bytes, bytes | None]]]:
        """The changelog records of the writes set aside, per table and partition held."""
        pending, self._pending = self._pending, {}
        keys: dict[tuple[TableT[bytes, Any], int], list[bytes]] = {}
        for (_name, key), at in pending.items():
            keys.setdefault(at, []).append(key)
        by_partition: dict[tuple[TableT[bytes, Any], int], list[tuple[bytes, bytes | None]]] = {}
        for (table, partition), held in keys.items():
            # Asked once per changelog partition: faust builds the set of its partitions anew
            # at every question, which cost more than the write itself when asked per key.
            if owned(TP(table.changelog_topic.get_topic_name(), partition)):
                by_partition[(table, partition)] = store_of(table).write_out(partition, held)
        return by_partition


def _batches(
    producer: AIOKafkaProducer, records: list[tuple[bytes, bytes | None]]
) -> Iterator[tuple[Any, int]]:
    """``records`` in producer batches, each with its number of records."""
    batch, count = producer.create_batch(), 0
    for key, value in records:
        if batch.append(key=key, value=value, timestamp=None) is None:
            yield batch, count  # full (a batch always takes its first record)
            batch, count = producer.create_batch(), 0
            batch.append(key=key, value=value, timestamp=None)
        count += 1
    if count:
        yield batch, count


class SnapshotBeforeCommit(faust.Sensor):
    """Sets the held writes aside when faust starts a commit, before it picks the offsets.

    They are written by :meth:`HeldWrites.write` before those offsets are committed.
    """

    def __init__(self, held: HeldWrites) -> None:
        super().__init__()
        self._held = held

    def on_commit_initiated(self, consumer: ConsumerT) -> Any:  # noqa: ARG002 - faust's API
        """About to pick the offsets to commit: what changed so far goes with them."""
        self._held.snapshot()
