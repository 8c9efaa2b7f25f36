"""faust's table stores, addressed by the partition the caller names.

faust's RocksDB store keeps one database per partition and places a write by the partition
of the event being handled. Surge's stages write a batch's keys per partition from one
stream event, its sweeps and commits write outside any: every access here names its
partition, which is the partition of the key's changelog record.
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable, Set
from typing import Any, Protocol, cast, runtime_checkable

import faust
import rocksdict
from faust.serializers import codecs
from faust.stores import memory, rocksdb
from faust.types import TP, CollectionT, StoreT, TableT
from rocksdict import WriteBatch
from yarl import URL

from services.surge.core.hot import Hot

log = logging.getLogger(__name__)

#: Each partition's database: faust's defaults (3 x 64 MiB write buffers and a 2 GiB block
#: cache per database) would let eight partitions hold gigabytes.
ROCKSDB_OPTIONS: dict[str, Any] = {
    "write_buffer_size": 8 * 1024**2,
    "max_write_buffer_number": 2,
    "target_file_size_base": 32 * 1024**2,
    "block_cache_compressed_size": 0,
}
#: RocksDB's memory in one process, whatever the partitions it holds: one block cache that
#: every partition's database shares, to which their write buffers are charged (at most
#: :data:`ROCKSDB_WRITE_BUFFERS` of it). Per database (a cache and two write buffers each)
#: it was 32 MiB a partition: 256 MiB with eight, filled within minutes by reporters
#: rewritten at every report. Index and filter blocks stay beside it (faust's default: read
#: without a cache lookup): a few bytes per reporter on disk (3 bits of Bloom filter per key,
#: an index entry per 4 KiB block).
ROCKSDB_MEMORY = 64 * 1024**2
ROCKSDB_WRITE_BUFFERS = 32 * 1024**2


class SharedMemoryOptions(rocksdb.RocksDBOptions):
    """faust's RocksDB options, with the process's one cache and write buffer manager."""

    def as_options(self) -> rocksdict.Options:
        """The options of one partition's database."""
        options: rocksdict.Options = super().as_options()
        cache, write_buffers = shared_memory()
        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(self.bloom_filter_size, block_based=True)
        table.set_block_cache(cache)
        table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        options.set_block_based_table_factory(table)
        options.set_write_buffer_manager(write_buffers)
        return options


@functools.cache
def shared_memory() -> tuple[rocksdict.Cache, rocksdict.WriteBufferManager]:
    """The process's RocksDB block cache, and the write buffer manager charging it."""
    cache = rocksdict.Cache(ROCKSDB_MEMORY)
    write_buffers = rocksdict.WriteBufferManager.new_write_buffer_manager_with_cache(
        ROCKSDB_WRITE_BUFFERS, allow_stall=False, cache=cache
    )
    return cache, write_buffers


def rocksdb_memory(stores: list[PartitionedStore]) -> dict[str, int]:
    """RocksDB's memory in the process: the shared cache once, the rest summed per database.

    Each database reports the shared cache's usage as its own, so it is read from the cache.
    """
    cache, _ = shared_memory()
    parts = {"cache": cache.get_usage(), "cache_pinned": cache.get_pinned_usage()}
    for part, name in (
        ("memtables", "rocksdb.size-all-mem-tables"),
        ("table_readers", "rocksdb.estimate-table-readers-mem"),
    ):
        parts[part] = sum(s.property_sum(name) for s in stores if isinstance(s, RocksStore))
    return parts


class PartitionedStore(Protocol):
    """A table's store as surge uses it: each access names the key's partition."""

    def get_in(self, partition: int, key: bytes) -> Any:
        """The value of ``key``, or None."""

    def put_in(self, partition: int, key: bytes, value: Any) -> None:
        """Store ``value`` under ``key``."""

    def delete_in(self, partition: int, key: bytes) -> None:
        """Forget ``key``."""

    def write_out(self, partition: int, keys: list[bytes]) -> list[tuple[bytes, bytes | None]]:
        """The changelog records of ``keys`` (key, value or None), read now."""

    def persist(self) -> None:
        """Keep on disk the values :meth:`write_out` read (once their signals are out)."""

    def count(self) -> int:
        """How many keys the store holds (an estimate for RocksDB)."""


def store_of(table: TableT[bytes, Any]) -> PartitionedStore:
    """The store of one of surge's tables (made by :class:`Table`)."""
    return cast(PartitionedStore, table.data)


def on_disk(table: TableT[bytes, Any]) -> RocksStore:
    """The store of one of surge's tables kept on disk (the subjects' always is)."""
    store = table.data
    if not isinstance(store, RocksStore):
        raise TypeError(f"table {table.name} is not on disk")
    return store


class _Coded:
    """A store's values through the table's codec itself.

    faust's path (its serializer registry: type checks, a lookup and nested codecs per
    value) cost twice the codec's own work, on every reporter read and written. A codec
    without nested codecs is called by its own functions, looked up once.
    """

    value_serializer: Any
    _codec_functions: tuple[Callable[[Any], bytes], Callable[[bytes], Any]] | None = None

    def _functions(self) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]] | None:
        """The codec's (dumps, loads), or None for faust's path (not a codec object)."""
        if self._codec_functions is None:
            codec = self.value_serializer
            if not isinstance(codec, codecs.Codec):
                return None
            plain = tuple(codec.nodes) == (codec,)  # nothing chained: its own work is all
            self._codec_functions = (
                (codec._dumps, codec._loads) if plain else (codec.dumps, codec.loads)
            )
        return self._codec_functions

    def _encode_value(self, value: Any) -> bytes | None:
        functions = self._functions()
        if functions is not None:
            return functions[0](value)
        return cast(bytes | None, super()._encode_value(value))  # type: ignore[misc]

    def _decode_value(self, value: bytes | None) -> Any:
        functions = self._functions()
        if functions is not None:
            return None if value is None else functions[1](value)
        return super()._decode_value(value)  # type: ignore[misc]


class MemoryStore(_Coded, memory.Store[bytes, Any]):
    """faust's in-memory store: one dictionary, whatever the partition."""

    def get_in(self, partition: int, key: bytes) -> Any:  # noqa: ARG002 - one dictionary
        """The value of ``key``."""
        return self.data.get(key)

    def put_in(self, partition: int, key: bytes, value: Any) -> None:
        """Store ``value`` under ``key``."""
        self.data[key] = value
        # faust drops the keys of partitions the process no longer holds once a rebalance's
        # recovery completes, by this map, which only its restore fills otherwise.
        self._key_partition[key] = partition

    def delete_in(self, partition: int, key: bytes) -> None:  # noqa: ARG002
        """Forget ``key``."""
        self.data.pop(key, None)
        self._key_partition.pop(key, None)

    def write_out(self, partition: int, keys: list[bytes]) -> list[tuple[bytes, bytes | None]]:
        """The changelog records of ``keys`` (in memory, nothing more to keep)."""
        records = []
        for key in keys:
            value = self.get_in(partition, key)
            records.append((key, None if value is None else self._encode_value(value)))
        return records

    def persist(self) -> None:
        """Nothing: the changelog is this store's only copy."""

    def count(self) -> int:
        """How many keys the store holds."""
        return len(self.data)


@runtime_checkable
class Layout(Protocol):
    """How a table's values lie in records: one each, or a head and parts of their own.

    A codec with these methods lays its values out itself (the subjects': a head record
    under the subject's key and a record per bucket, ``tables.SubjectCodec``); any other
    is written one record per value (:class:`_Whole`).
    """

    def records(self, key: bytes, value: Any) -> list[tuple[bytes, bytes | None]]:
        """The records a write of ``value`` carries (what changed since), its head last."""

    def record_keys(self, key: bytes, value: Any) -> list[bytes]:
        """The key of every record ``value`` has, or had since its last write."""

    def head_keys(self, key: bytes, head: bytes) -> list[bytes]:
        """The key of every record of the value whose stored head is ``head``."""

    def assemble(self, key: bytes, head: bytes, read: Callable[[bytes], bytes | None]) -> Any:
        """The value whose head is ``head``, its other records fetched by ``read``."""

    def is_part(self, key: bytes) -> bool:
        """Whether ``key`` is a part's record (not a value's head)."""

    def head_of(self, key: bytes) -> bytes:
        """The key of the value a record belongs to."""

    def weight(self, value: Any, head: int) -> int:
        """About the bytes of ``value``'s records (``head``: its head's)."""


class _Whole:
    """The layout of a plain codec: one record per value, under its key."""

    def __init__(self, store: _Coded) -> None:
        self._store = store

    def records(self, key: bytes, value: Any) -> list[tuple[bytes, bytes | None]]:
        return [(key, self._store._encode_value(value))]

    def record_keys(self, key: bytes, value: Any) -> list[bytes]:  # noqa: ARG002
        return [key]

    def head_keys(self, key: bytes, head: bytes) -> list[bytes]:  # noqa: ARG002
        return [key]

    def assemble(
        self,
        key: bytes,  # noqa: ARG002
        head: bytes,
        read: Callable[[bytes], bytes | None],  # noqa: ARG002
    ) -> Any:
        return self._store._decode_value(head)

    def is_part(self, key: bytes) -> bool:  # noqa: ARG002
        return False

    def head_of(self, key: bytes) -> bytes:
        return key

    def weight(self, value: Any, head: int) -> int:  # noqa: ARG002
        return head


class RocksStore(_Coded, rocksdb.Store):
    """faust's RocksDB store (rocksdict), one database per partition, named by the caller.

    Values written are held as objects until the commit writes them out (:meth:`write_out`),
    encoded once, to the changelog and to the database in one batch per partition: a put and
    a read back per reporter cost about a fifth of the process's time under load. The
    database is written (:meth:`persist`) once the signals sent before the values were read
    are on the broker, and before the changelog offset it records; until then reads find
    the values read out in their stored form.

    With ``hot_bytes`` in the table's options, the values read or written most recently stay
    decoded (:class:`Hot`, up to that many bytes of their stored form): a hot subject is
    not decoded again at every report.

    A value may lie in several records (:class:`Layout`): the database holds the records the
    changelog does, so a restore copies them as they are.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        options = dict(kwargs.pop("options", None) or {})
        self._hot = Hot(int(options.pop("hot_bytes", 0)))
        super().__init__(*args, options=options, **kwargs)
        self.rocksdb_options = SharedMemoryOptions(**(self.options or {}), use_rocksdict=True)
        #: Values written since the last commit, per partition (not yet in the database).
        self._unwritten: dict[int, dict[bytes, Any]] = {}
        #: Records read out for the changelog, stored form, per partition, not yet on disk.
        self._unpersisted: dict[int, dict[bytes, bytes | None]] = {}
        #: Keys deleted since the last commit, per partition, with their records' keys.
        self._deleted: dict[int, dict[bytes, list[bytes]]] = {}
        codec = self.value_serializer
        self._layout: Layout = codec if isinstance(codec, Layout) else _Whole(self)

    def get_in(self, partition: int, key: bytes) -> Any:
        """The value of ``key`` in ``partition``'s database (or written since the commit)."""
        held = self._unwritten.get(partition)
        if held is not None and key in held:
            return held[key]
        value = self._hot.get(key)
        if value is not None:
            return value
        raw = self._stored(partition, key)
        if raw is None:
            return None
        value = self._layout.assemble(key, raw, functools.partial(self._stored, partition))
        if self._hot.limit:
            self._hot.put(partition, key, value, self._layout.weight(value, len(raw)))
        return value

    def _stored(self, partition: int, key: bytes) -> bytes | None:
        """The stored form of ``key``: read out for the changelog, or on disk."""
        pending = self._unpersisted.get(partition)
        if pending is not None and key in pending:
            return pending[key]
        raw: bytes | None = self._db_for_partition(partition).get(key)
        return raw

    def put_in(self, partition: int, key: bytes, value: Any) -> None:
        """Store ``value`` under ``key``: in ``partition``'s database at the next commit."""
        self._hot.pop(key)  # held until the commit, kept hot again from there
        self._unwritten.setdefault(partition, {})[key] = value

    def delete_in(self, partition: int, key: bytes) -> None:
        """Forget ``key`` in ``partition``'s database: every record of its value."""
        value = self._unwritten.get(partition, {}).pop(key, None)
        if value is None:
            value = self._hot.peek(key)
        if value is not None:
            keys = self._layout.record_keys(key, value)
        else:
            head = self._stored(partition, key)
            keys = [key] if head is None else self._layout.head_keys(key, head)
        self._hot.pop(key)
        pending = self._unpersisted.get(partition, {})
        db = self._db_for_partition(partition)
        for record in keys:
            pending.pop(record, None)
            db.delete(record)
        deleted = self._deleted.setdefault(partition, {})
        deleted[key] = [*deleted.get(key, ()), *keys]

    def write_out(self, partition: int, keys: list[bytes]) -> list[tuple[bytes, bytes | None]]:
        """The changelog records of ``keys``; those held for them to be persisted.

        A key deleted since the last commit writes a tombstone for each record it had (but
        those its value, put again since, writes anew).
        """
        held = self._unwritten.get(partition, {})
        pending = self._unpersisted.setdefault(partition, {})
        deleted = self._deleted.get(partition, {})
        records: list[tuple[bytes, bytes | None]] = []
        for key in keys:
            written: list[tuple[bytes, bytes | None]] = []
            if key in held:
                value = held.pop(key)
                written = self._layout.records(key, value)
                pending.update(written)
                if self._hot.limit:
                    head = written[-1][1] or b""  # a value's head comes last
                    self._hot.put(partition, key, value, self._layout.weight(value, len(head)))
            dropped = deleted.pop(key, None)
            if dropped is not None:
                anew = {record for record, _raw in written}
                records += [(record, None) for record in dropped if record not in anew]
            elif not written:
                written = [(key, self._stored(partition, key))]
            records += written
        return records

    def persist(self) -> None:
        """Write to each partition's database, in one batch, the values read out."""
        pending, self._unpersisted = self._unpersisted, {}
        for partition, values in pending.items():
            if not values or partition not in self._dbs:
                continue  # a partition closed meanwhile: its new owner has the changelog
            batch = WriteBatch(raw_mode=True)
            for key, raw in values.items():
                if raw is None:
                    batch.delete(key)
                else:
                    batch.put(key, raw)
            self._dbs[partition].write(batch)

    def unwritten(self, partition: int) -> list[bytes]:
        """The keys of ``partition`` written since the last commit."""
        return list(self._unwritten.get(partition, ()))

    def hot_weight(self) -> int:
        """The bytes (stored form) of the values kept decoded."""
        return self._hot.weight

    def scan_in(
        self,
        partition: int,
        *,
        after: bytes | None,
        limit: int,
        wanted: Callable[[bytes], bool] | None = None,
    ) -> tuple[list[tuple[bytes, Any]], bytes | None]:
        """The entries among the next ``limit`` keys of ``partition``, from past ``after``.

        Returns them with the last key read, or None once the partition's end is reached.
        A value read from disk is decoded only if ``wanted`` (given its stored head) says so,
        and left out otherwise: a sweep decides most subjects on a field of their head, where
        decoding every bucket of every subject took an eighth of surge's time. The records
        of a value's parts are read with its head, never on their own.
        Values written since the commit, or kept decoded, are always included.
        """
        it = self._db_for_partition(partition).iter()
        if after is None:
            it.seek_to_first()
        else:
            it.seek(after)
            if it.valid() and it.key() == after:
                it.next()
        held = self._unwritten.get(partition, {})
        pending = self._unpersisted.get(partition, {})
        out: list[tuple[bytes, Any]] = []
        read = 0
        last: bytes | None = None
        while it.valid() and read < limit:
            key = last = it.key()
            read += 1
            if self._layout.is_part(key):
                pass  # read with its head
            elif key in held:
                out.append((key, held[key]))
            elif (hot := self._hot.peek(key)) is not None:
                out.append((key, hot))
            elif key != self.offset_key:
                raw = pending.get(key, it.value())
                if raw is not None and (wanted is None or wanted(raw)):
                    read_part = functools.partial(self._stored, partition)
                    out.append((key, self._layout.assemble(key, raw, read_part)))
            it.next()
        return out, last if read == limit else None

    def property_sum(self, name: str) -> int:
        """A RocksDB integer property summed over the partitions' databases."""
        return sum(db.property_int_value(name) or 0 for db in self._dbs.values())

    def count(self) -> int:
        """About how many keys the store holds (RocksDB's estimate: counting reads them all)."""
        return sum(
            db.property_int_value("rocksdb.estimate-num-keys") or 0
            for db in self._dbs_for_actives()
        )

    def revoke_partitions(self, table: CollectionT, tps: Set[TP]) -> None:
        """Close the databases of partitions handed to another process.

        faust's drops them unclosed: RocksDB's lock, write buffers and cache stay with the
        process until the garbage collector finds the handle.
        """
        for tp in tps:
            if tp.topic in table.changelog_topic.topics:
                # Its writes since the commit are its new owner's to make (from the messages).
                self._unwritten.pop(tp.partition, None)
                self._unpersisted.pop(tp.partition, None)
                self._deleted.pop(tp.partition, None)
                self._hot.drop_partition(tp.partition)
                db = self._dbs.pop(tp.partition, None)
                if db is not None:
                    db.close()
                    log.info("database closed", extra={"partition": tp.partition})

    def on_disk(self) -> list[int]:
        """The partitions whose database is on disk (open or not)."""
        return [p for p in range(self.table.partitions or 0) if self.partition_path(p).is_dir()]

    def persisted_in(self, partition: int) -> int | None:
        """The changelog offset ``partition``'s database last recorded (opened, then closed)."""
        db = self._db_for_partition(partition)
        try:
            raw = db.get(self.offset_key)
        finally:
            del self._dbs[partition]
            db.close()
        return None if raw is None else int(raw)

    def remove(self, partition: int) -> None:
        """Delete ``partition``'s database from disk (closed first)."""
        self._unwritten.pop(partition, None)
        self._unpersisted.pop(partition, None)
        self._deleted.pop(partition, None)
        self._hot.drop_partition(partition)
        db = self._dbs.pop(partition, None)
        if db is not None:
            db.close()
        shutil.rmtree(self.partition_path(partition), ignore_errors=True)

    def apply_changelog_batch(self, batch: Any, to_key: Any, to_value: Any) -> None:
        """Restore records into the databases; the decoded values they replace are dropped."""
        events = list(batch)
        for event in events:
            self._hot.pop(self._layout.head_of(event.message.key))
        super().apply_changelog_batch(events, to_key, to_value)

    async def stop(self) -> None:
        """Close every database (faust's leaves them open)."""
        self._hot.clear()
        for db in self._dbs.values():
            db.close()
        self._dbs.clear()

    def _set(self, key: bytes, value: bytes | None) -> None:  # noqa: ARG002 - faust's API
        raise TypeError(f"write {key!r} with put_in(partition, ...): no event names it here")


class Table(faust.Table):  # type: ignore[type-arg]
    """A faust table whose store is addressed by partition: memory:// or rocksdb://."""

    def _new_store(self) -> StoreT[Any, Any]:
        # faust's falls back to the app's store when the table's URL is false, and
        # URL("rocksdb://") is (no host, no path).
        return self._new_store_by_url(
            self._store if self._store is not None else self.app.conf.store
        )

    def _new_store_by_url(self, url: str | URL) -> StoreT[Any, Any]:
        scheme = URL(str(url)).scheme
        kinds: dict[str, type[Any]] = {"memory": MemoryStore, "rocksdb": RocksStore}
        if scheme not in kinds:
            raise ValueError(f"surge's tables are in memory:// or rocksdb://, not {url}")
        store: StoreT[Any, Any] = kinds[scheme](
            url,
            self.app,
            self,
            table_name=self.name,
            key_type=self.key_type,
            key_serializer=self.key_serializer,
            value_serializer=self.value_serializer,
            value_type=self.value_type,
            loop=self.loop,
            options=dict(self.options or {}),
        )
        return store
